"""The city-model API: filters, pagination, GeoJSON shape, permissions per role."""

from __future__ import annotations

import pytest

from cim.models import AuditLog, Building
from tests import factories as f
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db

STAFF = ["admin", "planner", "commander", "dispatcher", "responder"]


@pytest.fixture
def city():
    city = f.admin_area("620500", "天水市", "city")
    district = f.admin_area("620502", "秦州区", "district", city, (105.6, 34.5, 105.8, 34.7))
    b1 = f.building(105.70, 34.58, height=20, use="residential", admin_area=district, name="一号楼")
    b2 = f.building(105.75, 34.58, height=90, use="commercial", admin_area=district)
    b3 = f.building(105.95, 34.58, height=9, use="industrial")
    f.road((105.70, 34.57), (105.71, 34.57), name="民主路", road_class="primary")
    f.service_point(105.71, 34.581, "gov_service_hall", "秦州区政务服务中心")
    return {"city": city, "district": district, "buildings": [b1, b2, b3]}


@pytest.mark.parametrize("role", ROLES)
def test_buildings_readable_by_staff_only(client_for, city, role):
    resp = client_for(role).get("/api/cim/buildings/")
    if role in STAFF:
        assert resp.status_code == 200
        body = resp.json()
        assert body["type"] == "FeatureCollection"
        assert body["count"] == 3
        assert {feat["geometry"]["type"] for feat in body["features"]} == {"MultiPolygon"}
    else:
        assert resp.status_code == 403


def test_building_bbox_filter_and_pagination(client_for, city):
    client = client_for("planner")
    body = client.get("/api/cim/buildings/?bbox=105.69,34.57,105.76,34.59").json()
    assert body["count"] == 2
    names = {feat["properties"]["name"] for feat in body["features"]}
    assert "一号楼" in names
    page = client.get("/api/cim/buildings/?page_size=1&page=2").json()
    assert page["count"] == 3 and len(page["features"]) == 1
    assert page["next"] and page["previous"]


@pytest.mark.parametrize("bbox,message", [
    ("1,2,3", "four numbers"),
    ("a,b,c,d", "number"),
    ("105.8,34.5,105.7,34.6", "min must be less"),
    ("200,34,201,35", "longitudes"),
])
def test_bad_bbox_is_400_naming_the_field(client_for, city, bbox, message):
    resp = client_for("planner").get(f"/api/cim/buildings/?bbox={bbox}")
    assert resp.status_code == 400
    body = resp.json()
    assert body["field"] == "bbox" and message in body["detail"] and body["error"] == "invalid"


def test_unknown_use_is_400(client_for, city):
    resp = client_for("planner").get("/api/cim/buildings/?use=castle")
    assert resp.status_code == 400 and resp.json()["field"] == "use"


def test_use_and_admin_filters(client_for, city):
    client = client_for("admin")
    assert client.get("/api/cim/buildings/?use=industrial").json()["count"] == 1
    assert client.get("/api/cim/buildings/?admin_code=620502").json()["count"] == 2


@pytest.mark.parametrize("role,expected", [
    ("planner", 200), ("admin", 200), ("commander", 403), ("dispatcher", 403),
    ("responder", 403), (None, 403),
])
def test_building_edit_permissions_and_audit(client_for, city, role, expected):
    b = city["buildings"][0]
    resp = client_for(role).patch(f"/api/cim/buildings/{b.pk}/",
                                  {"floors": 7, "height": 21.5, "reason": "实测"}, format="json")
    assert resp.status_code == expected
    b.refresh_from_db()
    if expected == 200:
        assert (b.floors, b.height) == (7, 21.5)
        log = AuditLog.objects.get(action="building.update", object_id=str(b.pk))
        assert log.before["height"] == 20 and log.after["height"] == 21.5
        assert log.actor_label.startswith(role)
    else:
        assert b.floors is None and b.height == 20
        assert not AuditLog.objects.exists()


def test_building_edit_out_of_range_changes_nothing(client_for, city):
    b = city["buildings"][0]
    resp = client_for("planner").patch(f"/api/cim/buildings/{b.pk}/", {"height": -3}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "height"
    assert Building.objects.get(pk=b.pk).height == 20
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_service_points_and_admin_areas_are_public(client_for, city, role):
    client = client_for(role)
    sp = client.get("/api/cim/service-points/?category=gov_service_hall")
    assert sp.status_code == 200 and sp.json()["features"][0]["properties"]["name"] == "秦州区政务服务中心"
    tree = client.get("/api/cim/admin-areas/tree/").json()
    assert tree[0]["code"] == "620500" and tree[0]["children"][0]["name"] == "秦州区"


@pytest.mark.parametrize("role", ROLES)
def test_roads_staff_only(client_for, city, role):
    resp = client_for(role).get("/api/cim/roads/?road_class=primary")
    assert resp.status_code == (200 if role in STAFF else 403)
    if role in STAFF:
        assert resp.json()["features"][0]["properties"]["name"] == "民主路"


@pytest.mark.parametrize("role,expected", [("admin", 200), ("planner", 403), (None, 403)])
def test_import_runs_admin_only(client_for, role, expected):
    assert client_for(role).get("/api/cim/imports/").status_code == expected


def test_admin_area_geojson_and_detail(client_for, city):
    client = client_for(None)
    body = client.get("/api/cim/admin-areas/geojson/?level=district").json()
    assert body["features"][0]["properties"]["code"] == "620502"
    assert client.get("/api/cim/admin-areas/620502/").json()["parent_code"] == "620500"
    assert client.get("/api/cim/admin-areas/999999/").status_code == 404


def test_openapi_schema_served_to_staff_only(client_for):
    # issue 12, security fix 10: the schema and its pages are not public
    assert client_for(None).get("/api/schema/?format=json").status_code in (401, 403)
    from django.test import Client

    assert Client().get("/api/docs/").status_code == 302  # to the sign-in page
    assert Client().get("/api/redoc/").status_code == 302
    resp = client_for("planner").get("/api/schema/?format=json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/cim/buildings/" in paths and "/api/cim/terrain/height/" in paths
