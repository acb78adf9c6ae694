"""Standard addresses: the chain, names and codes, and the bulk generator."""

from __future__ import annotations

import re

import openlocationcode.openlocationcode as olc
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from cim.addresses import naming
from cim.errors import DomainError
from cim.models import Address, AuditLog
from cim.services.addresses import address_create, address_retire, addresses_generate
from tests import factories as f

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"^\d{12}-\d{4}-\d{4}[0-9A-Z](-\d{3}(-\d{2}(-\d{4})?)?)?$")


@pytest.fixture
def area():
    city = f.admin_area("620500", "天水市", "city")
    district = f.admin_area("620502", "秦州区", "district", city, (105.60, 34.50, 105.80, 34.70))
    street = f.admin_area("620502001", "大城街道", "street", district, (105.70, 34.57, 105.73, 34.59))
    community = f.admin_area("620502001001", "进步巷社区", "community", street,
                             (105.70, 34.57, 105.73, 34.59))
    return {"city": city, "district": district, "street": street, "community": community}


def test_chain_names_codes_and_plus_code(area):
    road = address_create(kind="thoroughfare", admin_area=area["community"], label="民主路", by="t")
    assert road.admin_area == area["district"]
    assert road.full_name == "秦州区民主路" and road.code == "620502-T0001"
    from django.contrib.gis.geos import Point

    door = address_create(kind="door", parent=road, admin_area=area["community"], number=12,
                          position=Point(105.71, 34.58, srid=4326), by="t")
    unit = address_create(kind="unit", parent=door, admin_area=area["community"], number=3, by="t")
    room = address_create(kind="room", parent=unit, admin_area=area["community"], floor=5, number=2,
                          by="t")
    assert door.full_name == "秦州区大城街道进步巷社区民主路12号"
    assert room.full_name == "秦州区大城街道进步巷社区民主路12号3单元502室"
    assert room.label == "502室" and room.number == 502
    assert door.code == "620502001001-0001-00120"
    assert room.code == "620502001001-0001-00120-000-03-0502"
    assert all(CODE_RE.match(a.code) for a in (door, unit, room))
    # the chain, walked from the room up
    chain, node = [], room
    while node:
        chain.append(node.kind)
        node = node.parent
    assert chain == ["room", "unit", "door", "thoroughfare"]
    # positions are inherited and the plus code decodes back near the entrance
    assert room.position == door.position
    decoded = olc.decode(room.plus_code)
    assert abs(decoded.latitudeCenter - 34.58) < 1e-4 and abs(decoded.longitudeCenter - 105.71) < 1e-4
    assert AuditLog.objects.filter(action="address.create").count() == 4


def test_building_level_between_door_and_unit(area):
    road = address_create(kind="thoroughfare", admin_area=area["district"], label="建设路", by="t")
    door = address_create(kind="door", parent=road, admin_area=area["community"], number=7,
                          suffix="1", by="t")
    bldg = address_create(kind="building", parent=door, admin_area=area["community"], number=2, by="t")
    unit = address_create(kind="unit", parent=bldg, admin_area=area["community"], number=1, by="t")
    assert door.label == "7-1号"
    assert unit.full_name.endswith("建设路7-1号2栋1单元")
    assert unit.code == "620502001001-0001-00071-002-01"


@pytest.mark.parametrize("kwargs,field", [
    ({"kind": "door", "number": 3}, "parent"),
    ({"kind": "castle"}, "kind"),
    ({"kind": "thoroughfare", "label": "  "}, "label"),
])
def test_bad_input_names_the_field_and_stores_nothing(area, kwargs, field):
    before = Address.objects.count()
    with pytest.raises(DomainError) as err:
        address_create(admin_area=area["community"], by="t", **kwargs)
    assert err.value.field == field
    assert Address.objects.count() == before


def test_duplicate_door_number_refused(area):
    road = address_create(kind="thoroughfare", admin_area=area["district"], label="民主路", by="t")
    address_create(kind="door", parent=road, admin_area=area["community"], number=12, by="t")
    with pytest.raises(DomainError) as err:
        address_create(kind="door", parent=road, admin_area=area["community"], number=12, by="t")
    assert err.value.code == "duplicate"
    assert Address.objects.filter(kind="door").count() == 1


def test_retire_cascades_down_the_chain(area):
    road = address_create(kind="thoroughfare", admin_area=area["district"], label="民主路", by="t")
    door = address_create(kind="door", parent=road, admin_area=area["community"], number=1, by="t")
    unit = address_create(kind="unit", parent=door, admin_area=area["community"], number=1, by="t")
    address_retire(address=door, by="t")
    unit.refresh_from_db()
    road.refresh_from_db()
    assert unit.status == "retired" and road.status == "current"


@pytest.mark.parametrize("official, place", [
    ("莲园社区居委会", "莲园社区"), ("进步巷社区居民委员会", "进步巷社区"), ("东关居委会", "东关社区"),
    ("张家村村民委员会", "张家村"), ("李家村委会", "李家村"), ("王家村民委员会", "王家村"),
    ("大城街道", "大城街道"), ("秦州区", "秦州区"), ("居委会", "居委会"),
])
def test_addresses_name_the_community_not_its_committee(official, place):
    assert naming.place_name(official) == place
    assert naming.area_prefix(["秦州区", "大城街道", official]) == "秦州区大城街道" + place


def test_housenumber_parsing():
    assert naming.parse_housenumber("12") == (12, "")
    assert naming.parse_housenumber("12号") == (12, "")
    assert naming.parse_housenumber("12-1") == (12, "1")
    assert naming.parse_housenumber("12a") == (12, "A")
    assert naming.parse_housenumber("12-14 Rue") is None
    assert naming.parse_housenumber("") is None


def _slab(lon, lat, source_id):
    """A 6-storey residential slab about 40 m × 12 m, its long side along the road."""
    b = f.building(lon, lat, size=0.0001, height=18, floors=6, use="residential",
                   source_id=source_id)
    poly = Polygon.from_bbox((lon, lat, lon + 0.00044, lat + 0.00011))
    b.footprint = MultiPolygon(poly, srid=4326)
    b.centroid = poly.centroid
    b.centroid.srid = 4326
    b.save()
    return b


@pytest.fixture
def street_block(area):
    """民主路 runs west → east through the community (the city centre lies to the
    west, so numbers grow eastwards); four buildings north and three south of it;
    one building carries OSM addr:* tags for another street."""
    f.road((105.700, 34.580), (105.710, 34.580), name="民主路", road_class="secondary",
           source_id="r1")
    f.road((105.710, 34.580), (105.720, 34.580), name="民主路", road_class="secondary",
           source_id="r2")
    north = [_slab(105.7015 + i * 0.003, 34.5803, f"n{i}") for i in range(4)]
    south = [f.building(105.7030 + i * 0.003, 34.5794, size=0.0002, height=9,
                        use="commercial", source_id=f"s{i}") for i in range(3)]
    tagged = f.building(105.7050, 34.5830, size=0.0002, height=9, use="commercial",
                        source_id="osm1", tags={"addr:street": "进步巷", "addr:housenumber": "5"})
    far = f.building(105.7600, 34.6500, size=0.0002, height=9, source_id="far")  # no road near
    return {"north": north, "south": south, "tagged": tagged, "far": far}


def test_generator_numbers_odd_even_along_the_road(area, street_block):
    summary = addresses_generate(by="test", progress=False)
    doors = {a.building_id: a for a in Address.objects.filter(kind="door")}
    north = [doors[b.pk].number for b in street_block["north"]]
    south = [doors[b.pk].number for b in street_block["south"]]
    # facing east, north is on the left: odd numbers, increasing eastwards
    assert north == [1, 3, 5, 7]
    assert south == [2, 4, 6]
    assert doors[street_block["north"][0].pk].full_name == "秦州区大城街道进步巷社区民主路1号"
    # OSM tags win over the generated numbering
    tagged = doors[street_block["tagged"].pk]
    assert tagged.full_name.endswith("进步巷5号") and tagged.source == "osm-addr"
    assert street_block["far"].pk not in doors
    assert summary.skipped_no_road == 1
    # the entrance lies on the footprint's side facing the road
    b0 = street_block["north"][0]
    assert abs(doors[b0.pk].position.y - 34.5803) < 1e-6
    # residential blocks got units and rooms (6 floors × 2 per floor)
    units = Address.objects.filter(kind="unit", parent=doors[b0.pk])
    assert units.count() == 3  # ≈40 m long, one stairwell per 13 m
    rooms = Address.objects.filter(kind="room", parent=units.first())
    assert rooms.count() == 12
    assert set(rooms.values_list("label", flat=True)) >= {"101室", "602室"}
    assert summary.rooms == Address.objects.filter(kind="room").count()
    assert all(CODE_RE.match(c) for c in Address.objects.exclude(kind="thoroughfare")
               .values_list("code", flat=True))
    assert AuditLog.objects.filter(action="address.generate").count() == 1


def test_generator_is_idempotent_and_continues_numbers(area, street_block):
    addresses_generate(by="test", progress=False)
    count = Address.objects.count()
    second = addresses_generate(by="test", progress=False)
    assert Address.objects.count() == count and second.doors_generated == 0
    new = f.building(105.7180, 34.5803, size=0.0002, height=9, use="commercial", source_id="n9")
    addresses_generate(by="test", progress=False)
    assert Address.objects.get(kind="door", building=new).number == 9


def test_a_road_crossing_districts_gets_a_thoroughfare_on_each_side(area):
    """Door codes stay unique when the nearest segment lies in the next district."""
    other = f.admin_area("620503", "麦积区", "district", area["city"], (105.80, 34.50, 106.00, 34.70))
    f.road((105.790, 34.600), (105.802, 34.600), name="渭滨路", source_id="w1")  # midpoint in 620502
    f.road((105.802, 34.600), (105.830, 34.600), name="渭滨路", source_id="w2")  # in 620503
    f.road((105.700, 34.650), (105.710, 34.650), name="渭滨路", source_id="w3")  # far, in 620502
    west = f.building(105.7950, 34.6003, size=0.0002, source_id="w-west")
    east = f.building(105.8010, 34.6003, size=0.0002, source_id="w-east")  # nearest segment: w1
    summary = addresses_generate(by="t", progress=False)
    assert summary.doors_generated == 2
    doors = {a.building_id: a for a in Address.objects.filter(kind="door")}
    assert doors[west.pk].parent.admin_area == area["district"]
    assert doors[east.pk].parent.admin_area == other
    assert doors[east.pk].code.startswith("620503000000-")
    assert len({a.code for a in doors.values()}) == 2
