"""Assignment: atomic, one incident per unit (exactly one winner when two
commanders race), the route returned, and the unit status flow."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cim.models import AuditLog
from emergency.models import Assignment, Incident, Unit, UnitStatusChange
from tests.concurrency import race
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def test_assign_returns_route_eta_and_moves_everything(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    client, user = api("dispatcher")
    e1 = grid_city.units["E1"]
    resp = client.post(f"/api/emergency/incidents/{incident.pk}/assignments/", {"units": [e1.pk]},
                       format="json")
    assert resp.status_code == 201, resp.content
    (body,) = resp.json()
    assert body["unit_code"] == "E1" and body["position_source"] == "station"
    route = body["route"]
    assert route["type"] == "LineString"
    assert route["coordinates"][0] == pytest.approx(list(node(0, 0)), abs=1e-7)
    assert route["coordinates"][-1] == pytest.approx(list(node(3, 1)), abs=1e-7)
    assert body["eta_s"] > 0 and body["distance_m"] > 600
    e1.refresh_from_db()
    incident.refresh_from_db()
    assert e1.status == "dispatched" and incident.status == "dispatched"
    assert UnitStatusChange.objects.filter(unit=e1, to_status="dispatched", incident=incident).exists()
    assert AuditLog.objects.filter(action="assignment.create", actor=user).count() == 1
    assert incident.timeline.filter(kind="assignment").exists()


def test_assigning_a_busy_unit_is_409_with_the_reason_and_nothing_changes(grid_city, incident_at, api):
    first = incident_at(*node(3, 1), title="一号事件")
    second = incident_at(*node(1, 4), title="二号事件")
    client, _ = api("dispatcher")
    e1, a1 = grid_city.units["E1"], grid_city.units["A1"]
    assert client.post(f"/api/emergency/incidents/{first.pk}/assignments/", {"units": [e1.pk]},
                       format="json").status_code == 201
    resp = client.post(f"/api/emergency/incidents/{second.pk}/assignments/", {"units": [a1.pk, e1.pk]},
                       format="json")
    assert resp.status_code == 409
    body = resp.json()
    assert body["error"] == "unit_unavailable" and body["field"] == "units"
    assert "E1" in body["detail"] and first.number in body["detail"]
    # all or nothing: the ambulance was not sent either
    assert not Assignment.objects.filter(incident=second).exists()
    assert Unit.objects.get(pk=a1.pk).status == "available"
    assert Incident.objects.get(pk=second.pk).status == "verified"


def test_unverified_incident_cannot_get_units(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1), verify=False)
    client, _ = api("dispatcher")
    resp = client.post(f"/api/emergency/incidents/{incident.pk}/assignments/",
                       {"units": [grid_city.units["E1"].pk]}, format="json")
    assert resp.status_code == 409 and "verify it first" in resp.json()["detail"]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("payload,field", [
    ({"units": []}, "units"), ({"units": ["x"]}, "units"), ({}, "units"), ({"units": [999999]}, "units"),
])
def test_bad_assignment_input_is_400_or_404(grid_city, incident_at, api, payload, field):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    resp = client.post(f"/api/emergency/incidents/{incident.pk}/assignments/", payload, format="json")
    assert resp.status_code in (400, 404)
    assert resp.json()["field"].split(".")[0] == field  # units.0: the first bad id
    assert not Assignment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_commanders_race_for_one_unit_exactly_one_wins(grid_city, incident_at, user_with):
    incidents = [incident_at(*node(3, 1), title="甲"), incident_at(*node(1, 4), title="乙")]
    unit = grid_city.units["E2"]
    commanders = [user_with("commander", f"commander-{k}") for k in range(2)]
    results: list[tuple[int, dict]] = [None, None]

    def assign(k: int) -> None:
        client = APIClient()
        client.force_authenticate(commanders[k])
        resp = client.post(f"/api/emergency/incidents/{incidents[k].pk}/assignments/",
                           {"units": [unit.pk]}, format="json")
        results[k] = (resp.status_code, resp.json())

    race(assign, [(k,) for k in range(2)])
    codes = sorted(r[0] for r in results)
    assert codes == [201, 409], results
    loser = next(r[1] for r in results if r[0] == 409)
    assert loser["error"] == "unit_unavailable" and unit.code in loser["detail"]
    assert Assignment.objects.filter(unit=unit, released_at__isnull=True).count() == 1
    assert Unit.objects.get(pk=unit.pk).status == "dispatched"
    assert UnitStatusChange.objects.filter(unit=unit, to_status="dispatched").count() == 1


def test_unit_status_flow_and_incident_follows(grid_city, incident_at, api, user_with):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    a1 = grid_city.units["A1"]
    client.post(f"/api/emergency/incidents/{incident.pk}/assignments/", {"units": [a1.pk]}, format="json")
    responder = user_with("responder")
    a1.members.add(responder)
    rc = APIClient()
    rc.force_authenticate(responder)
    for status in ("en_route", "on_scene"):
        resp = rc.post(f"/api/emergency/units/{a1.pk}/status/", {"status": status}, format="json")
        assert resp.status_code == 200, resp.content
    incident.refresh_from_db()
    assert incident.status == "on_scene" and incident.on_scene_at is not None
    # skipping a step is refused, nothing changes
    resp = rc.post(f"/api/emergency/units/{a1.pk}/status/", {"status": "available"}, format="json")
    assert resp.status_code == 409 and resp.json()["error"] == "invalid_transition"
    assert Unit.objects.get(pk=a1.pk).status == "on_scene"
    assert rc.post(f"/api/emergency/units/{a1.pk}/status/", {"status": "returning"},
                   format="json").status_code == 200
    assert Assignment.objects.get(unit=a1).released_at is not None
    assert rc.post(f"/api/emergency/units/{a1.pk}/status/", {"status": "available"},
                   format="json").status_code == 200
    history = list(UnitStatusChange.objects.filter(unit=a1).values_list("to_status", flat=True))
    assert history == ["dispatched", "en_route", "on_scene", "returning", "available"]
    stamps = list(UnitStatusChange.objects.filter(unit=a1).values_list("at", flat=True))
    assert stamps == sorted(stamps)
    # the unit can serve again
    assert client.post(f"/api/emergency/incidents/{incident.pk}/assignments/", {"units": [a1.pk]},
                       format="json").status_code == 201


def test_responder_reports_only_for_own_unit(grid_city, incident_at, user_with):
    responder = user_with("responder")
    grid_city.units["A1"].members.add(responder)
    rc = APIClient()
    rc.force_authenticate(responder)
    other = grid_city.units["E1"]
    resp = rc.post(f"/api/emergency/units/{other.pk}/position/", {"lon": 105.70, "lat": 34.57}, format="json")
    assert resp.status_code == 404  # not even visible
    own = grid_city.units["A1"]
    resp = rc.post(f"/api/emergency/units/{own.pk}/position/", {"lon": 105.703, "lat": 34.571}, format="json")
    assert resp.status_code == 200 and resp.json()["position"] == {"lon": 105.703, "lat": 34.571}
    resp = rc.post(f"/api/emergency/units/{own.pk}/position/", {"lon": "nan", "lat": 34.571}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "lon"
    assert Unit.objects.get(pk=own.pk).last_position.x == pytest.approx(105.703)


def test_cancelling_a_dispatch_before_departure_and_closing_releases_units(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    e1, a1 = grid_city.units["E1"], grid_city.units["A1"]
    client.post(f"/api/emergency/incidents/{incident.pk}/assignments/", {"units": [e1.pk, a1.pk]},
                format="json")
    assert client.post(f"/api/emergency/units/{e1.pk}/status/", {"status": "available"},
                       format="json").status_code == 200
    assert Assignment.objects.get(unit=e1).release_reason == "cancelled"
    client.post(f"/api/emergency/units/{a1.pk}/status/", {"status": "en_route"}, format="json")
    client.post(f"/api/emergency/units/{a1.pk}/status/", {"status": "on_scene"}, format="json")
    client.post(f"/api/emergency/incidents/{incident.pk}/transition/", {"to": "contained"}, format="json")
    resp = client.post(f"/api/emergency/incidents/{incident.pk}/transition/",
                       {"to": "closed", "disposition": "resolved"}, format="json")
    assert resp.status_code == 200
    assert Unit.objects.get(pk=a1.pk).status == "returning"
    assert not Assignment.objects.filter(released_at__isnull=True).exists()
