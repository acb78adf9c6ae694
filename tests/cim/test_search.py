"""Fuzzy search: partial and mistyped Chinese addresses, areas, service points,
who may find what, bad parameters and the public rate limit."""

from __future__ import annotations

import pytest

from tests.conftest import ROLES

pytestmark = pytest.mark.django_db


def _labels(resp):
    return [h["label"] for h in resp.json()["results"]]


def test_partial_address_finds_the_door_first(plate_city, client_for):
    resp = client_for(None).get("/api/cim/search/", {"q": "民主路1"})
    assert resp.status_code == 200
    first = resp.json()["results"][0]
    assert first["label"] == "秦州区大城街道进步巷社区民主路1号"
    assert first["type"] == "address" and first["kind"] == "door"
    assert first["lon"] is not None and first["lat"] is not None
    from cim.models import Address

    door = Address.objects.get(pk=first["id"])
    assert door.building_id is not None and first["building_id"] == door.building_id, \
        "an address hit names its building (the viewer selects it)"


def test_spaces_and_a_typo_still_match(plate_city, client_for):
    labels = _labels(client_for(None).get("/api/cim/search/", {"q": "民主 路 1号"}))
    assert "秦州区大城街道进步巷社区民主路1号" in labels
    labels = _labels(client_for(None).get("/api/cim/search/", {"q": "进步巷社区民住路"}))
    assert any("民主路" in label for label in labels)


def test_areas_come_with_a_bbox_and_service_points_by_name(plate_city, client_for):
    hits = client_for(None).get("/api/cim/search/", {"q": "大城街道", "type": "area"}).json()["results"]
    assert hits[0]["type"] == "area" and hits[0]["code"] == "620502001"
    assert hits[0]["bbox"] == [105.7, 34.57, 105.73, 34.59]
    hits = client_for(None).get("/api/cim/search/", {"q": "政务服务"}).json()["results"]
    assert hits[0]["type"] == "service_point" and hits[0]["label"] == "秦州区政务服务中心"
    hits = client_for(None).get("/api/cim/search/", {"q": "Police"}).json()["results"]
    assert hits[0]["label"] == "大城派出所"


@pytest.mark.parametrize("role", ROLES)
def test_rooms_only_for_staff(plate_city, client_for, role):
    hits = client_for(role).get("/api/cim/search/", {"q": "民主路1号1单元502室"}).json()["results"]
    rooms = [h for h in hits if h.get("kind") == "room"]
    if role is None:
        assert not rooms and all(h.get("kind") not in ("unit", "room") for h in hits)
    else:
        assert rooms and rooms[0]["label"].endswith("民主路1号1单元502室")


@pytest.mark.parametrize("params,field", [
    ({}, "q"), ({"q": "  "}, "q"), ({"q": "x" * 101}, "q"), ({"q": "民主", "type": "cat"}, "type"),
    ({"q": "民主", "limit": "0"}, "limit"), ({"q": "民主", "limit": "abc"}, "limit"),
])
def test_bad_parameters_are_400(plate_city, client_for, params, field):
    resp = client_for(None).get("/api/cim/search/", params)
    assert resp.status_code == 400 and resp.json()["field"] == field


def test_nul_in_query_is_400_not_500(plate_city, client_for):
    assert client_for(None).get("/api/cim/search/", {"q": "a\x00b"}).status_code == 400


def test_anonymous_search_is_rate_limited(plate_city, client_for, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "public": "3/min"}}
    anon = client_for(None)
    codes = [anon.get("/api/cim/search/", {"q": "民主路"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client_for("planner").get("/api/cim/search/", {"q": "民主路"}).status_code == 200
