"""Joint action (联动): a commander's task reaches a department's inbox and
its users; the department acknowledges, accepts, reports progress and
finishes; the incident's timeline shows each step; an unacknowledged task
escalates to the duty officer, then the commanders; overdue tasks count on
the dashboard; bad input gets a clear 4xx and stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cim import roles
from cim.models import Department, StaffProfile
from emergency.models import Delivery, DutyAssignment, DutyShift, Task, TimelineEntry
from emergency.services import agency_tasks_escalate
from tests import factories
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db



@pytest.fixture
def joint(grid_city, incident_at, user_with, api):
    factories.departments()
    police = Department.objects.get(code="gaj")  # seeded by the migration: 公安局, own work only
    transport = Department.objects.get(code="jtj")
    grid_city.agencies["police"].department = police
    grid_city.agencies["police"].save()
    officer = user_with(roles.DISPATCHER, "gaj_officer")
    officer.email = "officer@gaj.example.org"
    officer.save()
    StaffProfile.objects.create(user=officer, department=police)
    other = user_with(roles.DISPATCHER, "jtj_officer")
    StaffProfile.objects.create(user=other, department=transport)
    commander_client, commander = api(roles.COMMANDER)
    incident = incident_at(*node(2, 2))
    return {
        "police": police,
        "transport": transport,
        "officer": officer,
        "other": other,
        "commander": commander,
        "cmd": commander_client,
        "incident": incident,
    }


def _client(user):
    from rest_framework.test import APIClient

    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user)
    return c


def _send(joint, **body):
    payload = {
        "incident": joint["incident"].pk,
        "department": "gaj",
        "title": "封闭民主路东段，疏导交通",
        **body,
    }
    return joint["cmd"].post("/api/emergency/agency-tasks/", payload, format="json")


def test_task_reaches_the_department_inbox_and_its_users(joint):
    r = _send(joint)
    assert r.status_code == 201, r.content
    task = Task.objects.get(pk=r.json()["id"])
    assert task.department == joint["police"] and task.state == "sent" and task.deadline > timezone.now()
    inbox = _client(joint["officer"]).get("/api/emergency/inbox/").json()
    assert [t["id"] for t in inbox] == [task.pk]
    assert _client(joint["other"]).get("/api/emergency/inbox/").json() == []
    sent = set(Delivery.objects.filter(notification__ref=f"task:{task.pk}").values_list("channel", "address"))
    assert sent == {("inapp", f"user:{joint['officer'].pk}"), ("email", "officer@gaj.example.org")}
    assert TimelineEntry.objects.filter(
        incident=joint["incident"], text__contains="下达联动任务 → 公安局"
    ).exists()
    # the department (limited to its own work) now sees the incident the task concerns
    assert (
        _client(joint["officer"]).get(f"/api/emergency/incidents/{joint['incident'].pk}/").status_code == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"department": "nosuch"}, "department"),
        ({"deadline": "2020-01-01T00:00:00+08:00"}, "deadline"),
        ({"title": "  "}, "title"),
    ],
)
def test_bad_task_input_is_a_400_naming_the_field_and_stores_nothing(joint, body, field):
    r = _send(joint, **body)
    assert r.status_code == 400 and r.json()["field"] == field, r.content
    assert not Task.objects.filter(department__isnull=False).exists()
    assert not Delivery.objects.exists()


def test_department_works_the_task_and_the_timeline_shows_each_step(joint):
    task_id = _send(joint).json()["id"]
    me = _client(joint["officer"])
    url = f"/api/emergency/agency-tasks/{task_id}/act/"
    r = me.post(url, {"action": "progress", "progress": 10}, format="json")
    assert r.status_code == 409 and r.json()["field"] == "action"  # not accepted yet
    assert me.post(url, {"action": "acknowledge"}, format="json").json()["state"] == "acknowledged"
    assert me.post(url, {"action": "accept"}, format="json").json()["state"] == "accepted"
    body = me.post(url, {"action": "progress", "progress": 60, "note": "已封闭东段"}, format="json").json()
    assert body["state"] == "in_progress" and body["progress"] == 60
    assert me.post(url, {"action": "progress", "progress": 140}, format="json").status_code == 400
    done = me.post(url, {"action": "done", "note": "交通已恢复"}, format="json").json()
    assert done["state"] == "done" and done["progress"] == 100 and done["done_at"]
    assert me.post(url, {"action": "done"}, format="json").status_code == 409
    texts = list(
        TimelineEntry.objects.filter(incident=joint["incident"], kind="task")
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert [t.split(":")[0] for t in texts] == [
        "下达联动任务 → 公安局",
        "公安局 已签收",
        "公安局 已受领",
        "公安局 处置中",
        "公安局 已完成",
    ]
    assert "60%" in texts[3] and "已封闭东段" in texts[3]
    # another department's user: the task does not exist for them
    assert _client(joint["other"]).post(url, {"action": "acknowledge"}, format="json").status_code == 404


def test_unacknowledged_task_escalates_to_the_duty_officer_then_the_commanders(joint, settings):
    settings.EMERGENCY = {**settings.EMERGENCY, "AGENCY_TASK_ACK_S": 600}
    task = Task.objects.get(pk=_send(joint).json()["id"])
    now = timezone.now()
    shift = DutyShift.objects.create(code="all", name="全天", start=dt.time(0, 0), end=dt.time(23, 59))
    DutyAssignment.objects.create(
        date=now.date(),
        shift=shift,
        position="officer",
        agency=joint["police"].agencies.get(),
        user=joint["officer"],
        person_name="王值班",
        phone="13912345678",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=8),
    )
    assert agency_tasks_escalate(now) == 0  # not yet due
    assert agency_tasks_escalate(now + dt.timedelta(seconds=601)) == 1
    task.refresh_from_db()
    assert task.escalation_level == 1
    level1 = set(Delivery.objects.filter(notification__kind="escalation").values_list("channel", "address"))
    assert ("sms", "13912345678") in level1 and ("inapp", f"user:{joint['officer'].pk}") in level1
    assert agency_tasks_escalate(now + dt.timedelta(seconds=900)) == 0  # once per level
    assert agency_tasks_escalate(now + dt.timedelta(seconds=1201)) == 1
    task.refresh_from_db()
    assert task.escalation_level == 2
    assert Delivery.objects.filter(
        notification__kind="escalation", address=f"user:{joint['commander'].pk}"
    ).exists()
    assert TimelineEntry.objects.filter(
        incident=joint["incident"], text__startswith="催办（指挥长）"
    ).exists()


def test_an_acknowledged_task_does_not_escalate(joint):
    task_id = _send(joint).json()["id"]
    _client(joint["officer"]).post(
        f"/api/emergency/agency-tasks/{task_id}/act/", {"action": "acknowledge"}, format="json"
    )
    assert agency_tasks_escalate(timezone.now() + dt.timedelta(days=1)) == 0


def test_overdue_tasks_count_on_the_dashboard(joint):
    task_id = _send(joint).json()["id"]
    Task.objects.filter(pk=task_id).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    stats = joint["cmd"].get("/api/emergency/stats/incidents/").json()
    assert stats["overdue_tasks"] == 1


def test_plan_activation_sends_the_partner_agency_task_to_its_department(joint, api):
    from emergency.models import Plan

    plan = Plan.objects.create(code="FIRE-IV", name="火灾四级", incident_type="fire", level="IV")
    plan.notify_agencies.set([joint["police"].agencies.get()])
    r = joint["cmd"].post(
        f"/api/emergency/incidents/{joint['incident'].pk}/activate-plan/", {}, format="json"
    )
    assert r.status_code in (200, 201), r.content
    inbox = _client(joint["officer"]).get("/api/emergency/inbox/").json()
    assert [t["title"] for t in inbox] == ["通知 天水市公安局"]


def test_the_notification_log_follows_the_department_scope(joint):
    """公安局 works its own tasks only: the log of its task's message is theirs, the log of
    another department's task's message is a 404 (as for the task itself); the commander
    (city-wide) reads both, addresses masked."""
    from emergency.models import Notification

    mine = _send(joint).json()["id"]
    theirs = _send(joint, department="jtj", title="设置绕行指示").json()["id"]
    note_mine = Notification.objects.get(ref=f"task:{mine}")
    note_theirs = Notification.objects.get(ref=f"task:{theirs}")
    officer = _client(joint["officer"])
    log = officer.get(f"/api/emergency/notifications/{note_mine.pk}/")
    assert log.status_code == 200 and log.json()["ref"] == f"task:{mine}"
    emails = [d["address"] for d in log.json()["deliveries"] if d["channel"] == "email"]
    assert emails == ["o***@gaj.example.org"]
    refused = officer.get(f"/api/emergency/notifications/{note_theirs.pk}/")
    assert refused.status_code == 404 and refused.json()["field"] == "notification"
    for note in (note_mine, note_theirs):
        assert joint["cmd"].get(f"/api/emergency/notifications/{note.pk}/").status_code == 200
