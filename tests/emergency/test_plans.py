"""Plans (预案): saving, matching by type and level, activation (tasks,
dispatch requests, a supply request), ticking tasks."""

from __future__ import annotations

import pytest

from cim.models import AuditLog
from emergency.models import DispatchRequest, Plan, PlanActivation, SupplyRequest, Task
from emergency.recommend import recommend_units
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(grid_city, depots, api):
    client, _ = api("commander")
    fire = grid_city.agencies["fire"]
    made = {}
    for code, level, units in (("YA-F-IV", "IV", {"fire_engine": 1}),
                               ("YA-F-II", "II", {"fire_engine": 2, "ambulance": 1})):
        resp = client.post("/api/emergency/plans/", {
            "code": code, "name": f"火灾预案 {level}", "incident_type": "fire", "level": level,
            "units": units, "supplies": {str(depots["water"].pk): 20} if level == "II" else {},
            "checklist": ["划定警戒区", "疏散群众"], "notify_agencies": [fire.pk]}, format="json")
        assert resp.status_code == 201, resp.content
        made[level] = resp.json()
    return made


def test_plan_round_trip_and_conflicts(plans, api):
    client, _ = api("commander")
    body = client.get(f"/api/emergency/plans/{plans['II']['id']}/").json()
    assert body["units"] == {"ambulance": 1, "fire_engine": 2}
    assert body["checklist"] == ["划定警戒区", "疏散群众"] and len(body["notify_agencies"]) == 1
    dup = client.post("/api/emergency/plans/", {"code": "YA-OTHER", "name": "另一个", "incident_type": "fire",
                                                "level": "II"}, format="json")
    assert dup.status_code == 409  # one active plan per type and level
    bad = client.post("/api/emergency/plans/", {"code": "YA-X", "name": "x", "incident_type": "fire",
                                                "level": "III", "units": {"tank": 1}}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "units"
    assert Plan.objects.count() == 2
    resp = client.patch(f"/api/emergency/plans/{plans['IV']['id']}/", {"units": {"fire_engine": 3}},
                        format="json")
    assert resp.status_code == 200 and resp.json()["units"] == {"fire_engine": 3}
    assert resp.json()["checklist"] == ["划定警戒区", "疏散群众"]  # untouched by the partial update
    assert AuditLog.objects.filter(action="plan.save").count() == 3


def test_matching_plan_prefers_the_incident_level_then_more_severe(plans, incident_at, api):
    client, _ = api("dispatcher")
    iii = incident_at(*node(3, 1), level="III")
    codes = [p["code"] for p in client.get(f"/api/emergency/incidents/{iii.pk}/plans/").json()]
    assert codes == ["YA-F-II", "YA-F-IV"]
    iv = incident_at(*node(3, 2), level="IV")
    assert client.get(f"/api/emergency/incidents/{iv.pk}/plans/").json()[0]["code"] == "YA-F-IV"


def test_activation_creates_tasks_requests_and_supplies(plans, incident_at, api):
    incident = incident_at(*node(3, 1), level="II")
    commander, _ = api("commander")
    resp = commander.post(f"/api/emergency/incidents/{incident.pk}/activate-plan/", {}, format="json")
    assert resp.status_code == 201, resp.content
    tasks = resp.json()
    assert [t["title"] for t in tasks] == ["划定警戒区", "疏散群众", "通知 天水市消防救援支队"]
    assert {(r.unit_type, r.count) for r in DispatchRequest.objects.filter(incident=incident)} == {
        ("fire_engine", 2), ("ambulance", 1)}
    supply = SupplyRequest.objects.get(incident=incident)
    assert [(ln.item.code, ln.quantity) for ln in supply.lines.all()] == [("WATER", 20)]
    groups = {g["unit_type"]: g for g in recommend_units(incident=incident)["groups"]}
    assert groups["fire_engine"]["needed"] == 2 and groups["ambulance"]["needed"] == 1
    again = commander.post(f"/api/emergency/incidents/{incident.pk}/activate-plan/", {}, format="json")
    assert again.status_code == 409 and PlanActivation.objects.count() == 1
    dispatcher, _ = api("dispatcher")
    task = Task.objects.filter(incident=incident).first()
    resp = dispatcher.patch(f"/api/emergency/tasks/{task.pk}/", {"done": True}, format="json")
    assert resp.status_code == 200 and resp.json()["done"] is True and resp.json()["done_at"]
    assert dispatcher.patch(f"/api/emergency/tasks/{task.pk}/", {"done": "maybe"},
                            format="json").status_code == 400


def test_no_plan_for_the_type_is_a_clear_404(plans, incident_at, api):
    incident = incident_at(*node(3, 1), incident_type="epidemic")
    commander, _ = api("commander")
    resp = commander.post(f"/api/emergency/incidents/{incident.pk}/activate-plan/", {}, format="json")
    assert resp.status_code == 404 and "no active plan for epidemic" in resp.json()["detail"]
    resp = commander.post(f"/api/emergency/incidents/{incident.pk}/activate-plan/", {"plan": 999999},
                          format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "plan"
    assert not Task.objects.exists()
