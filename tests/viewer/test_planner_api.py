"""The planner page (who may open it, what it loads) and its small map endpoints."""

from __future__ import annotations

import json
import math
import re

import pytest
from django.test import Client
from django.urls import reverse

from cim import roles
from cim.conf import cim_settings
from tests import factories

pytestmark = pytest.mark.django_db

QINZHOU = (105.70, 34.57, 105.76, 34.60)
MAIJI = (105.86, 34.55, 105.92, 34.59)


@pytest.fixture
def small_city():
    """Tianshui with two districts, a street and a community, buildings in both districts."""
    city = factories.admin_area("620500", "天水市", "city", bbox=(105.5, 34.4, 106.1, 34.8))
    city.name_en = "Tianshui"
    city.save()
    qinzhou = factories.admin_area("620502", "秦州区", "district", city, bbox=QINZHOU)
    maiji = factories.admin_area("620503", "麦积区", "district", city, bbox=MAIJI)
    street = factories.admin_area("620502001", "大城街道", "street", qinzhou, bbox=QINZHOU)
    community = factories.admin_area("620502001001", "进步巷社区", "community", street,
                                     bbox=(105.72, 34.575, 105.73, 34.585))
    maiji_c = factories.admin_area("620503001001", "道北社区", "community", maiji,
                                   bbox=(105.88, 34.56, 105.90, 34.58))
    built = []
    for i in range(4):
        built.append(factories.building(105.721 + i * 0.001, 34.578, admin_area=community,
                                        height=20 + i, use="residential", synthetic=True))
    for i in range(2):
        built.append(factories.building(105.881 + i * 0.001, 34.565, admin_area=maiji_c,
                                        height=30, use="commercial", synthetic=True))
    factories.road((105.72, 34.577), (105.73, 34.577), name="民主路", road_class="primary")
    factories.service_point(105.725, 34.579, "hospital", "天水市第一人民医院")
    return {"city": city, "qinzhou": qinzhou, "maiji": maiji, "buildings": built}


def _login(client: Client, make_user, role: str | None) -> Client:
    client.force_login(make_user(role, f"{role or 'norole'}_viewer"))
    return client


# --- the page ----------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login():
    response = Client().get("/viewer/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/viewer/" in response["Location"]


@pytest.mark.parametrize("role", [roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER])
def test_staff_who_brief_on_the_city_may_open_it(role, make_user):
    response = _login(Client(), make_user, role).get("/viewer/")
    assert response.status_code == 200
    html = response.content.decode()
    config = json.loads(re.search(r'<script id="planner-config" type="application/json">(.*?)</script>',
                                  html, re.S).group(1))
    assert config["cityInfoUrl"] == "/api/cim/city-info/"
    assert config["useLabels"]["residential"] == "住宅"


@pytest.mark.parametrize("role", [roles.RESPONDER, None])
def test_responders_and_users_without_a_role_are_refused(role, make_user):
    response = _login(Client(), make_user, role).get("/viewer/")
    assert response.status_code == 403


def test_page_loads_nothing_from_outside(make_user):
    """Every script, style and link of the page stays on this server (no CDN, no ion)."""
    html = _login(Client(), make_user, roles.PLANNER).get("/viewer/").content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the page references its scripts and styles"
    assert [u for u in urls if re.match(r"^(https?:)?//", u)] == []
    assert '/static/vendor/cesium/Cesium.js' in html
    assert 'data-base="/static/vendor/cesium/"' in html and "<script>" not in html  # no inline script (CSP)
    assert "cesium.com" not in html


def test_page_speaks_english_when_asked(make_user):
    client = _login(Client(), make_user, roles.PLANNER)
    client.post("/i18n/setlang/", {"language": "en", "next": "/viewer/"})
    html = client.get("/viewer/").content.decode()
    assert "Layers" in html and "3D buildings" in html
    strings = json.loads(re.search(r'<script id="planner-i18n" type="application/json">(.*?)</script>',
                                   html, re.S).group(1))
    assert strings["legendHeight"] == "Building height"
    config = json.loads(re.search(r'<script id="planner-config" type="application/json">(.*?)</script>',
                                  html, re.S).group(1))
    assert config["language"] == "en"
    assert config["useLabels"]["residential"] != "住宅"


# --- /api/cim/city-info/ --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER,
                                  roles.RESPONDER])
def test_city_info_is_for_staff(role, client_for, small_city):
    assert client_for(role).get("/api/cim/city-info/").status_code == 200


def test_city_info_refuses_the_public(client_for, small_city):
    assert client_for(None).get("/api/cim/city-info/").status_code == 403


def test_city_info_describes_the_loaded_city(client_for, small_city, media_root):
    data = client_for(roles.PLANNER).get("/api/cim/city-info/").json()
    assert data["name"] == "天水市" and data["code"] == "620500"
    assert data["synthetic"] is True and data["synthetic_parts"]["buildings"] is True
    x0, y0, x1, y1 = data["extent"]
    assert x0 == pytest.approx(105.721, abs=1e-6) and y0 == pytest.approx(34.565, abs=1e-6)
    assert x1 == pytest.approx(105.882 + 0.0002, abs=1e-6) and y1 == pytest.approx(34.578 + 0.0002, abs=1e-6)
    assert data["counts"] == {"buildings": 6, "roads": 1, "service_points": 1}
    # No tiles or terrain built yet: the viewer must be told, not left to fail.
    assert data["tileset_url"] is None and data["terrain_url"] is None


def test_bookmarks_frame_each_districts_buildings_then_the_city(client_for, small_city, media_root):
    data = client_for(roles.PLANNER).get("/api/cim/city-info/").json()
    marks = {m["key"]: m for m in data["bookmarks"]}
    assert [m["name"] for m in data["bookmarks"]] == ["秦州城区", "麦积城区", "全市鸟瞰"]
    qinzhou = marks["district-620502"]
    assert qinzhou["buildings"] == 4
    # Centred on the four buildings of 秦州区, not on the district's whole boundary.
    assert qinzhou["view"]["lon"] == pytest.approx((105.721 + 105.7242) / 2, abs=1e-6)
    assert qinzhou["view"]["lat"] == pytest.approx(34.5781, abs=1e-6)
    assert qinzhou["view"]["pitch"] < 0 and qinzhou["view"]["range"] >= 400
    overview = marks["overview"]
    assert data["default_view"] == overview["view"]
    assert overview["view"]["range"] > qinzhou["view"]["range"]


def test_city_info_reports_real_data_as_not_synthetic(client_for, media_root):
    factories.admin_area("620500", "天水市", "city")
    factories.building(105.72, 34.58, synthetic=False)
    data = client_for(roles.PLANNER).get("/api/cim/city-info/").json()
    assert data["synthetic"] is False
    assert not any(data["synthetic_parts"].values())


def test_city_info_points_at_built_tiles_and_terrain(client_for, small_city, media_root, settings):
    tiles = cim_settings.TILES_DIR
    terrain = cim_settings.TERRAIN_DIR
    tiles.mkdir(parents=True)
    terrain.mkdir(parents=True)
    (tiles / "tileset.json").write_text("{}")
    (terrain / "layer.json").write_text("{}")
    data = client_for(roles.PLANNER).get("/api/cim/city-info/").json()
    assert data["tileset_url"] == "/tiles/tileset.json"
    assert data["terrain_url"] == "/terrain/"


def test_empty_city_has_no_view(client_for, media_root):
    data = client_for(roles.PLANNER).get("/api/cim/city-info/").json()
    assert data["extent"] is None and data["default_view"] is None and data["bookmarks"] == []
    assert data["synthetic"] is False


# --- /api/cim/buildings/<id>/addresses/ ----------------------------------------------------------


def _address(kind, building, area, code, name, parent, status="current"):
    from cim.models import Address

    return Address.objects.create(kind=kind, building=building, admin_area=area, parent=parent,
                                  label=code, full_name=name, code=code, status=status)


def test_building_addresses_list_doors_and_count_units_and_rooms(client_for, small_city):
    from cim.models import Address

    building = small_city["buildings"][0]
    area = building.admin_area
    road = Address.objects.create(kind="thoroughfare", admin_area=area, label="民主路",
                                  full_name="秦州区民主路", code="620502-T0001")
    door = _address("door", building, area, "620502001001-0001-00010", "秦州区大城街道进步巷社区民主路1号",
                    road)
    unit = _address("unit", building, area, "620502001001-0001-00010-01", "民主路1号1单元", door)
    for room in ("101", "102"):
        _address("room", building, area, f"620502001001-0001-00010-01-{room}", f"民主路1号1单元{room}室",
                 unit)
    _address("door", building, area, "620502001001-0001-00020", "秦州区大城街道进步巷社区民主路2号",
             road, status="retired")
    _address("door", small_city["buildings"][1], area, "620502001001-0001-00030", "民主路3号", road)

    data = client_for(roles.PLANNER).get(f"/api/cim/buildings/{building.pk}/addresses/").json()
    assert data["building"] == building.pk
    assert [a["full_name"] for a in data["addresses"]] == ["秦州区大城街道进步巷社区民主路1号"]
    assert data["addresses"][0]["code"] == "620502001001-0001-00010"
    assert data["units"] == 1 and data["rooms"] == 2  # counted, never listed


def test_building_addresses_of_an_unknown_building_is_404(client_for, small_city):
    response = client_for(roles.PLANNER).get("/api/cim/buildings/999999/addresses/")
    assert response.status_code == 404


def test_building_addresses_are_for_staff_only(client_for, small_city):
    building = small_city["buildings"][0]
    assert client_for(None).get(f"/api/cim/buildings/{building.pk}/addresses/").status_code == 403
    assert client_for(roles.RESPONDER).get(f"/api/cim/buildings/{building.pk}/addresses/").status_code == 200


def test_planner_endpoints_are_in_the_openapi_schema(client_for):
    schema = client_for(roles.ADMIN).get("/api/schema/", {"format": "json"}).json()
    assert "/api/cim/city-info/" in schema["paths"]
    assert "/api/cim/buildings/{id}/addresses/" in schema["paths"]
    city_info = schema["paths"]["/api/cim/city-info/"]["get"]["responses"]["200"]
    assert city_info["content"]["application/json"]["schema"]["$ref"].endswith("/CityInfo")


# --- /api/cim/waterways/ ----------------------------------------------------------------------------


@pytest.fixture
def rivers():
    from django.contrib.gis.geos import LineString, MultiPolygon, Polygon

    from cim.models import Waterway

    jihe = Waterway.objects.create(
        source="test", source_id="jihe", name="藉河", kind="river", synthetic=True,
        geom=MultiPolygon(Polygon.from_bbox((105.69, 34.569, 105.76, 34.570)), srid=4326),
        centreline=LineString([(105.69, 34.5695), (105.76, 34.5695)], srid=4326))
    lake = Waterway.objects.create(
        source="test", source_id="lake", name="南湖", kind="lake",
        geom=MultiPolygon(Polygon.from_bbox((105.90, 34.55, 105.91, 34.56)), srid=4326))
    return jihe, lake


def test_waterways_are_geojson_with_a_label_point(client_for, rivers):
    data = client_for(None).get("/api/cim/waterways/").json()
    assert data["type"] == "FeatureCollection" and data["count"] == 2
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    jihe = by_name["藉河"]["properties"]
    assert by_name["藉河"]["geometry"]["type"] == "MultiPolygon"
    # Halfway along the river's centreline; inside the lake, which has none.
    assert (jihe["label_lon"], jihe["label_lat"]) == (pytest.approx(105.725), pytest.approx(34.5695))
    lake = by_name["南湖"]["properties"]
    assert 105.90 < lake["label_lon"] < 105.91 and 34.55 < lake["label_lat"] < 34.56
    assert jihe["kind"] == "river" and jihe["synthetic"] is True


def test_waterways_filter_by_bbox_and_kind(client_for, rivers):
    client = client_for(roles.PLANNER)
    near = client.get("/api/cim/waterways/", {"bbox": "105.70,34.56,105.75,34.58"}).json()
    assert [f["properties"]["name"] for f in near["features"]] == ["藉河"]
    lakes = client.get("/api/cim/waterways/", {"kind": "lake"}).json()
    assert [f["properties"]["name"] for f in lakes["features"]] == ["南湖"]


@pytest.mark.parametrize("params, field", [
    ({"bbox": "105.7,34.5,105.6"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": "105.8,34.5,105.7,34.6"}, "bbox"),
    ({"kind": "ocean"}, "kind"),
])
def test_waterways_refuse_bad_parameters_naming_the_field(client_for, rivers, params, field):
    response = client_for(roles.PLANNER).get("/api/cim/waterways/", params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_waterways_are_read_only(client_for, rivers):
    response = client_for(roles.PLANNER).post("/api/cim/waterways/", {"name": "x"}, format="json")
    assert response.status_code in (403, 405)


# --- /api/cim/map/admin-boundaries/ -------------------------------------------------------------------


def test_map_boundaries_are_simplified_with_a_label_point_inside(client_for, small_city):
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    # A street boundary of 400 vertices on a circle of ~300 m.
    turns = [2 * math.pi * i / 400 for i in range(400)]
    ring = [(105.74 + 0.003 * math.cos(a), 34.59 + 0.003 * math.sin(a)) for a in turns]
    ring.append(ring[0])
    area = small_city["qinzhou"].children.get()
    area.boundary = MultiPolygon(Polygon(ring), srid=4326)
    area.save()

    response = client_for(None).get("/api/cim/map/admin-boundaries/", {"levels": "street"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    feature = data["features"][0]
    assert feature["properties"]["code"] == "620502001" and feature["properties"]["parent_code"] == "620502"
    coords = feature["geometry"]["coordinates"]
    outer = coords[0][0] if feature["geometry"]["type"] == "MultiPolygon" else coords[0]
    assert 8 < len(outer) < 400, "simplified for display, still a closed outline"
    assert all(len(str(c[0]).split(".")[1]) <= 6 for c in outer), "six decimals are enough to draw"
    label = Point(feature["properties"]["label_lon"], feature["properties"]["label_lat"], srid=4326)
    assert area.boundary.contains(label)

    full = client_for(None).get("/api/cim/map/admin-boundaries/",
                                {"levels": "street", "tolerance": "0"}).json()["features"][0]["geometry"]
    full_outer = full["coordinates"][0][0] if full["type"] == "MultiPolygon" else full["coordinates"][0]
    assert len(full_outer) == 401


def test_map_boundaries_default_levels_skip_areas_without_boundary(client_for, small_city):
    factories.admin_area("620502001002", "无边界社区", "community", small_city["qinzhou"].children.get())
    data = client_for(roles.PLANNER).get("/api/cim/map/admin-boundaries/").json()
    levels = sorted({f["properties"]["level"] for f in data["features"]})
    assert levels == ["city", "community", "district", "street"]
    codes = {f["properties"]["code"] for f in data["features"]}
    assert codes == {"620500", "620502", "620503", "620502001", "620502001001", "620503001001"}


def test_map_boundaries_are_gzipped_for_browsers_that_accept_it(client_for, small_city):
    response = client_for(None).get("/api/cim/map/admin-boundaries/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("params, field", [
    ({"levels": "town"}, "levels"),
    ({"levels": ","}, "levels"),
    ({"tolerance": "-1"}, "tolerance"),
    ({"tolerance": "lots"}, "tolerance"),
    ({"tolerance": "nan"}, "tolerance"),
])
def test_map_boundaries_refuse_bad_parameters_naming_the_field(client_for, small_city, params, field):
    response = client_for(None).get("/api/cim/map/admin-boundaries/", params)
    assert response.status_code == 400
    assert response.json()["field"] == field
