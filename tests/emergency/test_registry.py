"""Registries through the API (agencies, units, cameras, depots, items) and
the map layers the console draws."""

from __future__ import annotations

import pytest

from cim.models import AuditLog
from emergency.models import Camera, Unit
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def test_unit_registry_crud_is_audited_and_cannot_touch_status(grid_city, api):
    client, user = api("admin")
    fire = grid_city.agencies["fire"]
    resp = client.post("/api/emergency/units/", {
        "code": "E9", "name": "九号车", "agency": fire.pk, "unit_type": "fire_engine",
        "home_station": grid_city.stations["fire_west"].pk, "crew_size": 5, "crew": ["王队长", "李"],
        "status": "on_scene"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "available"  # status is not registry data
    assert resp.json()["position_stale"] is True
    unit = Unit.objects.get(code="E9")
    assert AuditLog.objects.filter(action="unit.save", actor=user, object_id=str(unit.pk)).exists()
    resp = client.patch(f"/api/emergency/units/{unit.pk}/", {"crew_size": 101}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "crew_size"
    resp = client.post("/api/emergency/units/", {"code": "E9", "name": "重复", "agency": fire.pk,
                                                 "unit_type": "fire_engine"}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "code"
    assert client.delete(f"/api/emergency/units/{unit.pk}/").status_code == 405


def test_camera_stream_urls_are_checked(grid_city, api):
    client, _ = api("admin")
    ok = client.post("/api/emergency/cameras/", {"code": "C1", "name": "民主路口", "lon": node(2, 2)[0],
                                                 "lat": node(2, 2)[1], "stream_url": "rtsp://10.0.0.5/live/1",
                                                 "protocol": "rtsp", "heading": 90}, format="json")
    assert ok.status_code == 201 and ok.json()["position"] == {"lon": node(2, 2)[0], "lat": node(2, 2)[1]}
    for url in ("javascript:alert(1)", "rtsp://has space", "ftp://x/y"):
        bad = client.post("/api/emergency/cameras/", {"code": "C2", "name": "x", "lon": 105.7, "lat": 34.57,
                                                      "stream_url": url}, format="json")
        assert bad.status_code == 400 and bad.json()["field"] == "stream_url"
    body = {"code": "C3", "name": "x", "lon": 105.7, "lat": 34.57, "stream_url": "http://cam/3",
            "heading": 400}
    bad = client.post("/api/emergency/cameras/", body, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "heading"
    assert Camera.objects.count() == 1


def test_map_layers_are_feature_collections(grid_city, incident_at, depots, api):
    client, admin = api("admin")
    incident = incident_at(*node(3, 1))
    client.post("/api/emergency/cameras/", {"code": "C1", "name": "路口", "lon": node(3, 1)[0],
                                            "lat": node(3, 1)[1] + 0.001, "stream_url": "http://cam/1"},
                format="json")
    units = client.get("/api/emergency/units/geojson/").json()
    assert units["type"] == "FeatureCollection" and units["count"] == 6
    e1 = next(f for f in units["features"] if f["properties"]["code"] == "E1")
    assert e1["geometry"]["coordinates"] == pytest.approx(list(node(0, 0)))
    assert e1["properties"]["at_station"] is True
    depots_layer = client.get("/api/emergency/depots/geojson/").json()
    assert {f["properties"]["code"] for f in depots_layer["features"]} == {"D-SW", "D-NE", "D-C"}
    cameras = client.get("/api/emergency/cameras/geojson/").json()
    assert cameras["features"][0]["properties"]["stream_url"] == "http://cam/…"  # masked on the map layer
    near = client.get(f"/api/emergency/incidents/{incident.pk}/cameras/").json()
    assert [c["code"] for c in near["nearby"]] == ["C1"] and near["linked"] == []
    camera = Camera.objects.get(code="C1")
    linked = client.post(f"/api/emergency/incidents/{incident.pk}/cameras/", {"camera": camera.pk},
                         format="json")
    assert linked.status_code == 201 and [c["code"] for c in linked.json()] == ["C1"]
    assert client.post(f"/api/emergency/incidents/{incident.pk}/cameras/", {"camera": camera.pk},
                       format="json").status_code == 409
