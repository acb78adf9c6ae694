"""The units back office: the roster and status board read, out of service
with a required reason (refused while assigned) and back, crew edits — by
role, audited, announced on the live feed."""

from __future__ import annotations

import pytest

from cim.models import AuditLog
from emergency import services
from emergency.models import Event, Unit, UnitStatusChange
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db
URL = "/api/emergency/units/"


def test_board_lists_the_roster_with_crews_members_and_the_incident_served(grid_city, incident_at, api,
                                                                          user_with, django_user_model):
    e1 = grid_city.units["E1"]
    member = django_user_model.objects.create_user(username="zhangsan", password="pw-for-tests-1")
    e1.members.add(member)
    services.unit_set_crew(unit=e1, crew=["张三", "李四"], by="seed")
    incident = incident_at(*node(3, 1))
    services.assignment_create(incident=incident, units=[e1.pk], by=user_with("dispatcher"))
    client, _ = api("dispatcher")
    resp = client.get(f"{URL}board/")
    assert resp.status_code == 200
    rows = {r["code"]: r for r in resp.json()}
    assert set(rows) == set(grid_city.units)
    assert rows["E1"]["crew"] == ["张三", "李四"] and rows["E1"]["members"] == ["zhangsan"]
    assert rows["E1"]["status"] == "dispatched" and rows["E1"]["incident_number"] == incident.number
    assert rows["E1"]["agency_name"] == "天水市消防救援支队"
    assert rows["E1"]["home_station_name"] == "西关消防站"
    assert rows["A1"]["incident"] is None
    filtered = client.get(f"{URL}board/", {"unit_type": "ambulance"}).json()
    assert sorted(r["code"] for r in filtered) == ["A1", "A2"]
    assert client.get(f"{URL}board/", {"unit_type": "tank"}).status_code == 400


def test_out_of_service_needs_a_reason_and_is_kept_on_the_board(grid_city, api):
    unit = grid_city.units["A2"]
    client, user = api("dispatcher")
    missing = client.post(f"{URL}{unit.pk}/status/", {"status": "out_of_service"}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "note"
    blank = client.post(f"{URL}{unit.pk}/status/", {"status": "out_of_service", "note": "   "}, format="json")
    assert blank.status_code == 400 and blank.json()["field"] == "note"
    unit.refresh_from_db()
    assert unit.status == "available" and not UnitStatusChange.objects.filter(unit=unit).exists()
    resp = client.post(f"{URL}{unit.pk}/status/", {"status": "out_of_service", "note": "发动机故障送修"},
                       format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "out_of_service" and resp.json()["status_note"] == "发动机故障送修"
    row = next(r for r in client.get(f"{URL}board/").json() if r["id"] == unit.pk)
    assert row["status_note"] == "发动机故障送修"
    change = UnitStatusChange.objects.get(unit=unit)
    assert (change.to_status, change.note, change.by) == ("out_of_service", "发动机故障送修", user)
    log = AuditLog.objects.filter(action="unit.status").latest("id")
    assert log.after == {"status": "out_of_service", "status_note": "发动机故障送修"}
    assert Event.objects.filter(kind="unit.status", payload__unit=unit.pk,
                                payload__status="out_of_service").exists()
    back = client.post(f"{URL}{unit.pk}/status/", {"status": "available"}, format="json")
    assert back.status_code == 200 and back.json()["status_note"] == ""


def test_out_of_service_is_refused_while_assigned(grid_city, incident_at, api, user_with):
    unit = grid_city.units["E2"]
    incident = incident_at(*node(4, 4))
    services.assignment_create(incident=incident, units=[unit.pk], by=user_with("dispatcher"))
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{unit.pk}/status/", {"status": "out_of_service", "note": "保养"}, format="json")
    assert resp.status_code == 409 and resp.json()["field"] == "status"
    assert incident.number in resp.json()["detail"]
    unit.refresh_from_db()
    assert unit.status == "dispatched" and unit.status_note == ""


def test_crew_edit_is_for_commanders_and_audited(grid_city, api):
    unit = grid_city.units["P1"]
    dispatcher, _ = api("dispatcher")
    assert dispatcher.post(f"{URL}{unit.pk}/crew/", {"crew": ["王五"]}, format="json").status_code == 403
    commander, user = api("commander")
    resp = commander.post(f"{URL}{unit.pk}/crew/", {"crew": ["王五", " 赵六 ", ""], "crew_size": 3},
                          format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["crew"] == ["王五", "赵六"] and resp.json()["crew_size"] == 3
    log = AuditLog.objects.get(action="unit.crew")
    assert log.actor == user and log.after == {"crew": ["王五", "赵六"], "crew_size": 3}
    twice = commander.post(f"{URL}{unit.pk}/crew/", {"crew": ["王五", "王五"]}, format="json")
    assert twice.status_code == 400 and twice.json()["field"] == "crew"
    too_many = commander.post(f"{URL}{unit.pk}/crew/", {"crew": ["甲", "乙", "丙"], "crew_size": 2},
                              format="json")
    assert too_many.status_code == 400 and too_many.json()["field"] == "crew"
    assert Unit.objects.get(pk=unit.pk).crew == ["王五", "赵六"]


@pytest.mark.parametrize("role,code", [("admin", 200), ("commander", 200), ("dispatcher", 200),
                                       ("responder", 403), ("planner", 403), (None, 403)])
def test_board_roles(grid_city, api, role, code):
    client, _ = api(role)
    assert client.get(f"{URL}board/").status_code in ((401, 403) if code == 403 else (code,))


@pytest.mark.parametrize("role,code", [("commander", 200), ("dispatcher", 200), ("responder", 403),
                                       ("planner", 403)])
def test_units_page_is_for_the_control_room(grid_city, client, user_with, role, code):
    client.force_login(user_with(role))
    resp = client.get("/backoffice/units/")
    assert resp.status_code == code
    if code == 200:
        text = resp.content.decode()
        assert 'id="units-config"' in text and "/api/emergency/units/board/" in text
        assert "<script>" not in text  # configuration only as JSON data (strict CSP)


def test_units_page_sends_anonymous_visitors_to_login(client):
    resp = client.get("/backoffice/units/")
    assert resp.status_code == 302 and "login" in resp["Location"]
