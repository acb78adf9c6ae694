"""Road closures through the API: by segments or by area, in force from the
next routing query, lifted, with clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cim.routing.service import current_closures
from emergency.models import RoadClosure
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db
URL = "/api/emergency/closures/"


def test_area_closure_closes_the_crossing_segments_and_routes_change(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    before = client.get(f"/api/emergency/incidents/{incident.pk}/recommendations/?unit_type=ambulance"
                        ).json()["groups"][0]["candidates"][0]["eta_s"]
    x, y = node(4, 1)
    square = [[x - 0.0003, y - 0.0003], [x + 0.0003, y - 0.0003], [x + 0.0003, y + 0.0003],
              [x - 0.0003, y + 0.0003], [x - 0.0003, y - 0.0003]]
    resp = client.post(URL, {"reason": "flood", "area": {"type": "Polygon", "coordinates": [square]},
                             "incident": incident.pk, "note": "积水"}, format="json")
    assert resp.status_code == 201, resp.content
    closed = set(resp.json()["segments"])
    expected = {s.pk for (a, b), s in grid_city.roads.items() if node(4, 1) in (a, b)}
    assert closed == expected and resp.json()["in_force"] is True
    assert current_closures() == frozenset(closed)
    after = client.get(f"/api/emergency/incidents/{incident.pk}/recommendations/?unit_type=ambulance"
                       ).json()["groups"][0]["candidates"][0]["eta_s"]
    assert after > before
    assert client.post(f"{URL}{resp.json()['id']}/lift/").json()["in_force"] is False
    assert current_closures() == frozenset()
    assert client.post(f"{URL}{resp.json()['id']}/lift/").status_code == 409


def test_expired_closure_is_not_in_force(grid_city, api):
    seg = next(iter(grid_city.roads.values()))
    closure = RoadClosure.objects.create(reason="manual", starts_at=timezone.now() - dt.timedelta(hours=2),
                                         ends_at=timezone.now() - dt.timedelta(hours=1))
    closure.segments.add(seg)
    assert current_closures() == frozenset()
    client, _ = api("dispatcher")
    assert [c["id"] for c in client.get(f"{URL}?in_force=true").json()["results"]] == []


@pytest.mark.parametrize("body,field", [
    ({"reason": "manual"}, "segments"),
    ({"reason": "manual", "segments": [999999]}, "segments"),
    ({"reason": "aliens", "segments": [1]}, "reason"),
    ({"reason": "manual", "area": {"type": "Polygon", "coordinates": [
        [[100, 10], [100.001, 10], [100.001, 10.001], [100, 10]]]}}, "area"),
    ({"reason": "manual", "segments": ["{seg}"], "ends_at": "2001-01-01T00:00:00Z"}, "ends_at"),
])
def test_bad_closures_store_nothing(grid_city, api, body, field):
    seg = next(iter(grid_city.roads.values()))
    body = {k: ([seg.pk] if v == ["{seg}"] else v) for k, v in body.items()}
    client, _ = api("dispatcher")
    resp = client.post(URL, body, format="json")
    assert resp.status_code in (400, 404)
    assert resp.json()["field"] == field
    assert not RoadClosure.objects.exists()
