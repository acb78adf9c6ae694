"""Control zones: drawn or generated around addresses, with the buildings,
addresses and an estimate of people inside (checked independently)."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from pyproj import Geod
from shapely import wkt as shapely_wkt
from shapely.geometry import box

from cim.models import Address, AuditLog
from emergency.constants import PEOPLE_PER_M2
from emergency.models import ControlZone
from tests import factories as f

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="GRS80")
URL = "/api/emergency/zones/"


def area_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.fixture
def block(grid_city):
    district = grid_city.district
    homes = f.building(105.7050, 34.5750, size=0.0003, height=18, floors=6, use="residential",
                       admin_area=district, source_id="home")
    office = f.building(105.7060, 34.5750, size=0.0002, height=30, use="office", admin_area=district,
                        source_id="office")  # no floors: 30 m / 3 m = 10 storeys
    far = f.building(105.7150, 34.5850, size=0.0002, height=9, floors=3, use="residential",
                     admin_area=district, source_id="far")
    street = Address.objects.create(kind="thoroughfare", admin_area=district, label="民主路",
                                    full_name="秦州区民主路", code="Z-0")
    doors = {}
    for k, b in enumerate((homes, office, far), start=1):
        c = b.centroid
        doors[b.source_id] = Address.objects.create(
            kind="door", parent=street, admin_area=district, label=f"{k}号", number=k, building=b,
            full_name=f"秦州区民主路{k}号", code=f"Z-{k}", position=Point(c.x, c.y - 0.00016, srid=4326))
    return {"homes": homes, "office": office, "far": far, "doors": doors}


def test_zone_generated_around_an_address_counts_what_is_inside(block, api):
    client, user = api("commander")
    resp = client.post(URL, {"tier": "sealed", "addresses": [block["doors"]["home"].pk], "buffer_m": 20},
                       format="json")
    assert resp.status_code == 201, resp.content
    props = resp.json()["properties"]
    assert props["tier_label"] == "封控区" and props["generated"] is True
    zone = ControlZone.objects.get(pk=resp.json()["id"])
    # the footprint grown by 20 m: the whole homes building, part of the office next door?
    zone_shape = shapely_wkt.loads(zone.geom.wkt)
    homes = shapely_wkt.loads(block["homes"].footprint.wkt)
    office = shapely_wkt.loads(block["office"].footprint.wkt)
    far = shapely_wkt.loads(block["far"].footprint.wkt)
    assert zone_shape.contains(homes) and not zone_shape.intersects(far)
    inside_office = area_m2(zone_shape.intersection(office))
    want = area_m2(homes) * 6 * PEOPLE_PER_M2["residential"] + inside_office * 10 * PEOPLE_PER_M2["office"]
    assert props["people_estimate"] == pytest.approx(want, rel=0.01, abs=1)
    assert props["buildings_count"] == (2 if inside_office > 0 else 1)
    assert props["addresses_count"] >= 1
    assert AuditLog.objects.filter(action="zone.create", actor=user).exists()
    contents = client.get(f"{URL}{zone.pk}/contents/").json()
    assert block["homes"].pk in contents["building_ids"]
    assert block["doors"]["home"].pk in contents["address_ids"]


def test_drawn_zone_takes_the_part_of_buildings_inside(block, api):
    client, _ = api("commander")
    homes = block["homes"]
    x0, y0, x1, y1 = homes.footprint.extent
    half = box(x0 - 0.001, y0 - 0.001, (x0 + x1) / 2, y1 + 0.001)  # the western half of the block
    geometry = {"type": "Polygon", "coordinates": [list(map(list, half.exterior.coords))]}
    resp = client.post(URL, {"tier": "controlled", "geometry": geometry, "name": "民主路管控区"},
                       format="json")
    assert resp.status_code == 201
    props = resp.json()["properties"]
    inside = area_m2(half.intersection(shapely_wkt.loads(homes.footprint.wkt)))
    assert props["people_estimate"] == pytest.approx(inside * 6 * PEOPLE_PER_M2["residential"], rel=0.01)
    assert props["name"] == "民主路管控区" and props["buildings_count"] == 1


def test_zone_names_are_configurable(block, api, settings):
    settings.EMERGENCY = {"ZONE_NAMES": {"sealed": "高风险区", "controlled": "中风险区",
                                         "prevention": "低风险区"}}
    client, _ = api("commander")
    resp = client.post(URL, {"tier": "prevention", "addresses": [block["doors"]["far"].pk]}, format="json")
    assert resp.json()["properties"]["tier_label"] == "低风险区"
    assert resp.json()["properties"]["name"] == "低风险区"


@pytest.mark.parametrize("body,field", [
    ({"tier": "red"}, "tier"),
    ({"tier": "sealed"}, "geometry"),
    ({"tier": "sealed", "addresses": [999999]}, "addresses"),
    ({"tier": "sealed", "addresses": [1], "buffer_m": -5}, "buffer_m"),
    ({"tier": "sealed", "geometry": {"type": "Polygon", "coordinates": "nope"}}, "geometry"),
])
def test_bad_zone_input_stores_nothing(block, api, body, field):
    client, _ = api("commander")
    resp = client.post(URL, body, format="json")
    assert resp.status_code in (400, 404)
    assert resp.json()["field"] == field
    assert not ControlZone.objects.exists()


def test_lift_and_roles(block, api):
    commander, _ = api("commander")
    zone_id = commander.post(URL, {"tier": "sealed", "addresses": [block["doors"]["home"].pk]},
                             format="json").json()["id"]
    dispatcher, _ = api("dispatcher")
    assert dispatcher.get(URL).status_code == 200
    assert dispatcher.post(f"{URL}{zone_id}/lift/").status_code == 403
    assert commander.post(f"{URL}{zone_id}/lift/").json()["properties"]["status"] == "lifted"
    assert commander.post(f"{URL}{zone_id}/lift/").status_code == 409
