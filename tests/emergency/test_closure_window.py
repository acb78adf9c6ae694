"""Road closures with a time window, drawn or picked on the console map:
scheduled closures do not close roads yet, a closure ends by itself at its
end time, dispatch routing honours a new closure at once, and bad windows or
areas are refused naming the field with nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cim.models import AuditLog
from cim.routing.service import current_closures
from emergency.models import Event, RoadClosure
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db
URL = "/api/emergency/closures/"


def square_around(x: float, y: float, r: float = 0.0003) -> dict:
    ring = [[x - r, y - r], [x + r, y - r], [x + r, y + r], [x - r, y + r], [x - r, y - r]]
    return {"type": "Polygon", "coordinates": [ring]}


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def segment_between(grid_city, a, b):
    return grid_city.roads.get((a, b)) or grid_city.roads[(b, a)]


def test_dispatch_route_avoids_a_new_closure_at_once(grid_city, incident_at, api):
    """The route the dispatch API proposes changes as soon as a closure is
    saved (no cache to wait out), and comes back when it is lifted."""
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    rec = f"/api/emergency/incidents/{incident.pk}/recommendations/?unit_type=ambulance"

    def best():
        body = client.get(rec).json()["groups"][0]["candidates"][0]
        return body["eta_s"]

    before = best()
    resp = client.post(URL, {"reason": "manual", "area": square_around(*node(4, 1)),
                             "ends_at": iso(timezone.now() + dt.timedelta(hours=2)), "note": "施工"},
                       format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["state"] == "active" and resp.json()["roads"]["type"] == "MultiLineString"
    assert best() > before
    client.post(f"{URL}{resp.json()['id']}/lift/")
    assert best() == pytest.approx(before)


def test_scheduled_closure_is_listed_but_does_not_close_roads_yet(grid_city, api):
    seg = segment_between(grid_city, node(1, 1), node(2, 1))
    client, user = api("commander")
    start = timezone.now() + dt.timedelta(hours=1)
    resp = client.post(URL, {"reason": "manual", "segments": [seg.pk], "starts_at": iso(start),
                             "ends_at": iso(start + dt.timedelta(hours=3))}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["state"] == "scheduled" and body["in_force"] is False
    assert current_closures() == frozenset()
    current = client.get(f"{URL}current/").json()
    assert [c["id"] for c in current] == [body["id"]] and current[0]["state"] == "scheduled"
    # it comes into force by itself when its start time arrives
    RoadClosure.objects.filter(pk=body["id"]).update(starts_at=timezone.now() - dt.timedelta(seconds=1))
    assert current_closures() == frozenset({seg.pk})
    log = AuditLog.objects.get(action="closure.create")
    assert log.actor == user and log.after["starts_at"] is not None
    assert Event.objects.filter(kind="closure.created").count() == 1


def test_a_closure_ends_by_itself_at_its_end_time(grid_city, api):
    seg = segment_between(grid_city, node(2, 2), node(2, 3))
    client, _ = api("dispatcher")
    resp = client.post(URL, {"reason": "flood", "segments": [seg.pk],
                             "ends_at": iso(timezone.now() + dt.timedelta(minutes=30))}, format="json")
    closure_id = resp.json()["id"]
    assert current_closures() == frozenset({seg.pk})
    past = timezone.now() - dt.timedelta(minutes=5)
    RoadClosure.objects.filter(pk=closure_id).update(starts_at=past - dt.timedelta(minutes=30), ends_at=past)
    assert current_closures() == frozenset()
    assert client.get(f"{URL}current/").json() == []
    assert client.get(f"{URL}{closure_id}/").json()["state"] == "ended"
    # an ended closure cannot be lifted any more
    assert client.post(f"{URL}{closure_id}/lift/").status_code == 409


def test_lift_records_who_and_announces(grid_city, api):
    seg = segment_between(grid_city, node(0, 1), node(1, 1))
    client, user = api("dispatcher")
    closure_id = client.post(URL, {"reason": "manual", "segments": [seg.pk]}, format="json").json()["id"]
    resp = client.post(f"{URL}{closure_id}/lift/")
    assert resp.status_code == 200 and resp.json()["state"] == "lifted"
    assert RoadClosure.objects.get(pk=closure_id).lifted_by == user
    assert Event.objects.filter(kind="closure.lifted", payload__closure=closure_id).exists()


def test_nearest_segment_picks_the_clicked_road(grid_city, api):
    seg = segment_between(grid_city, node(2, 4), node(3, 4))
    x0, y0 = node(2, 4)
    x1, _ = node(3, 4)
    client, _ = api("dispatcher")
    resp = client.get(f"{URL}nearest-segment/", {"lon": (x0 + x1) / 2, "lat": y0 + 0.00005})
    assert resp.status_code == 200, resp.content
    assert resp.json()["id"] == seg.pk and resp.json()["distance_m"] < 10
    assert resp.json()["geometry"]["type"] == "LineString"
    far = client.get(f"{URL}nearest-segment/", {"lon": 106.5, "lat": 35.5})
    assert far.status_code == 404 and far.json()["field"] == "lon"
    bad = client.get(f"{URL}nearest-segment/", {"lon": "east", "lat": y0})
    assert bad.status_code == 400 and bad.json()["field"] == "lon"


@pytest.mark.parametrize("role,code,reads", [("planner", 403, 403), ("responder", 403, 200),
                                             ("commander", 201, 200)])
def test_only_the_control_room_closes_roads_every_console_sees_them(grid_city, api, role, code, reads):
    seg = next(iter(grid_city.roads.values()))
    client, _ = api(role)
    assert client.post(URL, {"reason": "manual", "segments": [seg.pk]}, format="json").status_code == code
    assert client.get(f"{URL}current/").status_code == reads


def _bad_bodies(seg_pk: int) -> list[tuple[dict, str]]:
    now = timezone.now()
    bow_tie = {"type": "Polygon", "coordinates": [[[105.701, 34.571], [105.705, 34.575], [105.705, 34.571],
                                                   [105.701, 34.575], [105.701, 34.571]]]}
    return [
        ({"reason": "manual", "segments": [seg_pk], "starts_at": iso(now + dt.timedelta(hours=3)),
          "ends_at": iso(now + dt.timedelta(hours=2))}, "ends_at"),
        ({"reason": "manual", "segments": [seg_pk], "starts_at": iso(now - dt.timedelta(days=3))},
         "starts_at"),
        ({"reason": "manual", "area": bow_tie}, "area"),
        ({"reason": "manual", "area": square_around(104.0, 36.0, 0.01)}, "area"),  # outside the city
        ({"reason": "manual", "area": {"type": "Point", "coordinates": [105.7, 34.57]}}, "area"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_bad_windows_and_areas_are_refused_and_store_nothing(grid_city, api, case):
    seg = next(iter(grid_city.roads.values()))
    body, field = _bad_bodies(seg.pk)[case]
    client, _ = api("dispatcher")
    resp = client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["field"] == field
    assert not RoadClosure.objects.exists()
    assert not Event.objects.filter(kind="closure.created").exists()
