"""Fixtures of the emergency tests: a small street grid in 秦州区 with fire
stations, a hospital and a police station, agencies, units and depots."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import LineString, Point
from pyproj import Geod

from cim import roles
from cim.models import RoadNode, RoadSegment
from emergency import services
from emergency.models import Agency, Depot, Item
from tests import factories as f

LON0, LAT0, STEP = 105.70, 34.57, 0.002  # ~180 m blocks
N = 6
_serial = itertools.count(1)


def node(i: int, j: int) -> tuple[float, float]:
    return (round(LON0 + i * STEP, 6), round(LAT0 + j * STEP, 6))


@dataclass
class GridCity:
    district: object
    roads: dict = field(default_factory=dict)  # (a, b) → RoadSegment
    stations: dict = field(default_factory=dict)
    agencies: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)


_GEOD = Geod(ellps="GRS80")


def road(a, b, *, speed: float = 40.0, oneway: bool = False, **fields) -> RoadSegment:
    """As ``tests.factories.road`` (same node and id scheme), with a geodesic
    length: GDAL's per-call transform costs ~25 ms a road, too slow for a
    grid in every test."""
    na, _ = RoadNode.objects.get_or_create(source="test", source_id=f"{a[0]:.6f},{a[1]:.6f}",
                                           defaults={"geom": Point(*a, srid=4326)})
    nb, _ = RoadNode.objects.get_or_create(source="test", source_id=f"{b[0]:.6f},{b[1]:.6f}",
                                           defaults={"geom": Point(*b, srid=4326)})
    length = _GEOD.line_length([a[0], b[0]], [a[1], b[1]])
    return RoadSegment.objects.create(
        geom=LineString([a, b], srid=4326), from_node=na, to_node=nb, speed_kmh=speed, oneway=oneway,
        length_m=length, source="test", source_id=f"{na.pk}-{nb.pk}", **fields)


def build_grid(*, one_way_row: int | None = 2) -> dict:
    """An N×N grid; row ``one_way_row`` runs one way eastwards; speeds vary
    by line so that fastest and shortest paths differ."""
    roads = {}
    for i in range(N):
        for j in range(N):
            if i + 1 < N:
                speed = 60.0 if j in (0, 3) else 30.0
                roads[(node(i, j), node(i + 1, j))] = road(
                    node(i, j), node(i + 1, j), speed=speed, oneway=(j == one_way_row),
                    road_class="primary" if speed == 60 else "residential", name=f"东西{j}路")
            if j + 1 < N:
                speed = 50.0 if i == 4 else 25.0
                roads[(node(i, j), node(i, j + 1))] = road(
                    node(i, j), node(i, j + 1), speed=speed, road_class="secondary", name=f"南北{i}路")
    return roads


@pytest.fixture
def grid_city(db) -> GridCity:
    city = f.admin_area("620500", "天水市", "city")
    district = f.admin_area("620502", "秦州区", "district", city, (105.69, 34.56, 105.72, 34.59))
    gc = GridCity(district=district)
    gc.roads = build_grid()
    gc.stations = {
        "fire_west": f.service_point(*node(0, 0), "fire_station", "西关消防站"),
        "fire_east": f.service_point(*node(5, 5), "fire_station", "东关消防站"),
        "hospital": f.service_point(*node(5, 0), "hospital", "市第一人民医院"),
        "police": f.service_point(*node(0, 5), "police_station", "大城派出所"),
    }
    admin = "seed"
    gc.agencies = {
        "fire": Agency.objects.create(code="FIRE", name="天水市消防救援支队", kind="fire"),
        "medical": Agency.objects.create(code="MED", name="天水市急救中心", kind="medical"),
        "police": Agency.objects.create(code="POL", name="天水市公安局", kind="police"),
    }
    spec = [
        ("E1", "fire_engine", "fire", "fire_west"), ("E2", "fire_engine", "fire", "fire_east"),
        ("E3", "fire_engine", "fire", "fire_east"), ("A1", "ambulance", "medical", "hospital"),
        ("A2", "ambulance", "medical", "hospital"), ("P1", "police_car", "police", "police"),
    ]
    for code, unit_type, agency, station in spec:
        gc.units[code] = services.unit_save(by=admin, code=code, name=f"{code} 号车", unit_type=unit_type,
                                            agency=gc.agencies[agency], home_station=gc.stations[station],
                                            crew_size=4)
    return gc


@pytest.fixture
def depots(grid_city):
    """Three depots at grid corners with tents and water."""
    tents = Item.objects.create(code="TENT", name="帐篷", unit_of_measure="顶")
    water = Item.objects.create(code="WATER", name="饮用水", unit_of_measure="箱")
    made = {}
    for code, (i, j) in {"D-SW": (0, 0), "D-NE": (5, 5), "D-C": (3, 2)}.items():
        made[code] = Depot.objects.create(code=code, name=f"{code} 储备库",
                                          geom=Point(*node(i, j), srid=4326))
    return {"depots": made, "tents": tents, "water": water}


@pytest.fixture
def user_with(db, django_user_model):
    def make(role: str | None, name: str | None = None):
        user = django_user_model.objects.create_user(username=name or f"{role}-{next(_serial)}",
                                                     password="pw-for-tests-1")
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def api(user_with):
    """``api("dispatcher")`` → (APIClient logged in with that role, user)."""
    from rest_framework.test import APIClient

    def make(role: str | None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # English messages in assertions
        user = None
        if role is not None:
            user = user_with(role)
            client.force_authenticate(user)
        return client, user

    return make


@pytest.fixture
def incident_at(grid_city, user_with):
    """Make a verified incident at a grid point."""

    def make(lon: float, lat: float, *, incident_type: str = "fire", level: str = "IV",
             verify: bool = True, **kw):
        by = user_with(roles.DISPATCHER)
        incident = services.incident_create(title=kw.pop("title", "测试事件"), incident_type=incident_type,
                                            level=level, source=kw.pop("source", "119"),
                                            location=Point(lon, lat, srid=4326), by=by, **kw)
        if verify:
            incident = services.incident_transition(incident=incident, to="verified", by=by)
        return incident

    return make
