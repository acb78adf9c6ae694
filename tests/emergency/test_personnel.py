"""Personnel (issue 12 §1): the duty roster (shifts across midnight, who is on
duty now, overlaps refused), the expert directory (phones masked, reveal
audited), team members with qualifications (expired flagged), and the roles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cim import roles
from cim.models import AuditLog
from emergency.errors import DomainError
from emergency.models import Agency, DutyAssignment, DutyShift, Expert, Qualification, TeamMember, Unit
from emergency.selectors_personnel import on_duty_now
from emergency.services import personnel as svc

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CST)


@pytest.fixture
def shifts():
    day = svc.shift_save(by="test", code="D", name="白班", start=dt.time(8), end=dt.time(20), order=1)
    night = svc.shift_save(by="test", code="N", name="夜班", start=dt.time(20), end=dt.time(8), order=2)
    return day, night


@pytest.fixture
def agency():
    return Agency.objects.create(code="TS-EM", name="天水市应急管理局", kind="emergency_management")


@pytest.fixture
def unit(agency):
    return Unit.objects.create(code="RT-1", name="抢险救援队1号", agency=agency, unit_type="rescue_team")


# --- the roster --------------------------------------------------------------------------------


def test_night_shift_runs_into_the_next_morning_and_on_duty_now_finds_it(shifts, agency):
    day, night = shifts
    leader = svc.duty_assign(by="test", date=MONDAY, shift=night, position="leader", person_name="王建国",
                             phone="13800001111", agency=agency)
    officer = svc.duty_assign(by="test", date=MONDAY + dt.timedelta(days=1), shift=day, position="officer",
                              person_name="李娜")
    assert leader.starts_at == at(MONDAY, 20) and leader.ends_at == at(MONDAY + dt.timedelta(days=1), 8)
    # Tuesday 03:00: Monday's night shift is on; Tuesday's day shift not yet
    assert [d.person_name for d in on_duty_now(at(MONDAY + dt.timedelta(days=1), 3))] == ["王建国"]
    # Tuesday 08:00 sharp: the night shift has ended, the day shift begun
    assert [d.person_name for d in on_duty_now(at(MONDAY + dt.timedelta(days=1), 8))] == ["李娜"]
    assert list(on_duty_now(at(MONDAY, 12))) == []
    assert officer.pk and AuditLog.objects.filter(action="duty.assign").count() == 2
    # the phone is masked in the audit row
    row = AuditLog.objects.get(action="duty.assign", object_id=str(leader.pk))
    assert row.after["phone"] == "138****1111"


def test_on_duty_now_lists_leaders_first(shifts):
    day, _ = shifts
    for position, name in (("dispatcher", "调度甲"), ("officer", "值班乙"), ("leader", "领导丙")):
        svc.duty_assign(by="test", date=MONDAY, shift=day, position=position, person_name=name)
    assert [d.position for d in on_duty_now(at(MONDAY, 9))] == ["leader", "officer", "dispatcher"]


def test_overlapping_duty_of_one_person_is_refused(shifts, make_user):
    day, night = shifts
    user = make_user(roles.DISPATCHER, "zhang")
    svc.duty_assign(by="test", date=MONDAY, shift=night, position="dispatcher", user=user)
    # Monday night and Tuesday day do not overlap: allowed
    tuesday = MONDAY + dt.timedelta(days=1)
    svc.duty_assign(by="test", date=tuesday, shift=day, position="dispatcher", user=user)
    early = svc.shift_save(by="test", code="E", name="早班", start=dt.time(6), end=dt.time(14), order=3)
    with pytest.raises(DomainError) as err:  # 06:00–14:00 on Tuesday overlaps Monday's night shift
        svc.duty_assign(by="test", date=tuesday, shift=early, position="officer", user=user)
    assert err.value.field == "user"
    assert DutyAssignment.objects.filter(user=user).count() == 2


def test_edit_of_a_shift_moves_its_duties(shifts):
    day, _ = shifts
    duty = svc.duty_assign(by="test", date=MONDAY, shift=day, position="officer", person_name="李娜")
    svc.shift_save(by="test", instance=day, start=dt.time(9), end=dt.time(21))
    duty.refresh_from_db()
    assert duty.starts_at == at(MONDAY, 9) and duty.ends_at == at(MONDAY, 21)


def test_copy_last_week_skips_what_is_there(shifts):
    day, night = shifts
    last = MONDAY - dt.timedelta(days=7)
    svc.duty_assign(by="test", date=last, shift=day, position="leader", person_name="王建国")
    svc.duty_assign(by="test", date=last + dt.timedelta(days=2), shift=night, position="officer",
                    person_name="李娜")
    svc.duty_assign(by="test", date=MONDAY, shift=day, position="leader", person_name="王建国")
    assert svc.duty_copy_week(by="test", week_start=MONDAY) == {"made": 1, "skipped": 1}
    assert DutyAssignment.objects.filter(date__gte=MONDAY).count() == 2
    with pytest.raises(DomainError) as err:
        svc.duty_copy_week(by="test", week_start=MONDAY + dt.timedelta(days=1))
    assert err.value.field == "week"


# --- the roster over the API -------------------------------------------------------------------


def test_roster_api_bad_input_names_the_field(client_for, shifts):
    day, _ = shifts
    api = client_for(roles.COMMANDER)
    url = "/api/emergency/duty/"
    bad_position = api.post(url, {"date": "2026-03-02", "shift": day.pk, "position": "chef",
                                  "person_name": "王"}, format="json")
    assert bad_position.status_code == 400 and bad_position.json()["field"] == "position"
    no_shift = api.post(url, {"date": "2026-03-02", "shift": 99999, "position": "leader",
                              "person_name": "王"}, format="json")
    assert no_shift.status_code == 400 and no_shift.json()["field"] == "shift"
    nobody = api.post(url, {"date": "2026-03-02", "shift": day.pk, "position": "leader"}, format="json")
    assert nobody.status_code == 400 and nobody.json()["field"] == "person_name"
    too_long = api.get(url, {"start": "2026-03-01", "end": "2026-05-01"})
    assert too_long.status_code == 400 and too_long.json()["field"] == "end"
    bad_date = api.get(url, {"start": "Monday"})
    assert bad_date.status_code == 400 and bad_date.json()["field"] == "start"
    ok = api.post(url, {"date": "2026-03-02", "shift": day.pk, "position": "leader", "person_name": "王建国",
                        "phone": "13912345678"}, format="json")
    assert ok.status_code == 201 and ok.json()["phone"] == "139****5678"
    again = api.post(url, {"date": "2026-03-02", "shift": day.pk, "position": "officer",
                           "person_name": "王建国"}, format="json")
    assert again.status_code == 400 and again.json()["field"] == "person_name"
    assert DutyAssignment.objects.count() == 1
    week = api.get(url, {"start": "2026-03-02"})
    assert week.status_code == 200 and [d["person_name"] for d in week.json()] == ["王建国"]
    gone = api.delete(f"{url}{ok.json()['id']}/")
    assert gone.status_code == 204 and not DutyAssignment.objects.exists()
    assert AuditLog.objects.filter(action="duty.unassign").exists()


def test_duty_now_endpoint_masks_phones(client_for, shifts):
    _, night = shifts
    today = dt.datetime.now(CST).date()
    for day in (today - dt.timedelta(days=1), today):
        svc.duty_assign(by="test", date=day, shift=night, position="leader", person_name=f"值班{day.day}",
                        phone="13800001111")
    day_shift = shifts[0]
    svc.duty_assign(by="test", date=today, shift=day_shift, position="dispatcher", person_name="白班调度",
                    phone="13800002222")
    resp = client_for(roles.DISPATCHER).get("/api/emergency/duty/now/")
    assert resp.status_code == 200
    rows = resp.json()
    assert len(rows) == 1 and rows[0]["phone"] in ("138****1111", "138****2222")


@pytest.mark.parametrize(("role", "read", "write"), [
    (roles.ADMIN, 200, 201), (roles.COMMANDER, 200, 201), (roles.DISPATCHER, 200, 403),
    (roles.RESPONDER, 403, 403), (roles.PLANNER, 403, 403), (roles.COMMUNITY, 403, 403),
    (roles.AUDITOR, 403, 403), (None, 403, 403),
])
def test_roles(client_for, shifts, role, read, write):
    api = client_for(role)
    day, _ = shifts
    anonymous = role is None
    for url in ("/api/emergency/duty/", "/api/emergency/duty/now/", "/api/emergency/experts/",
                "/api/emergency/team-members/", "/api/emergency/duty-shifts/"):
        assert api.get(url).status_code in ((401, 403) if anonymous else (read,)), url
    made = api.post("/api/emergency/duty/", {"date": "2026-03-02", "shift": day.pk, "position": "leader",
                                              "person_name": "王建国"}, format="json")
    assert made.status_code in ((401, 403) if anonymous else (write,))
    expert = api.post("/api/emergency/experts/", {"name": "赵工", "fields": ["hazchem"],
                                                  "organisation": "兰州大学", "phone": "13700000000"},
                      format="json")
    assert expert.status_code in ((401, 403) if anonymous else (write,))
    assert DutyAssignment.objects.count() == (1 if write == 201 else 0)


# --- experts -----------------------------------------------------------------------------------


def test_expert_phone_masked_in_list_and_detail_and_reveal_is_audited(client_for):
    api = client_for(roles.COMMANDER)
    made = api.post("/api/emergency/experts/", {"name": "赵德明", "fields": ["hazchem", "fire"],
                                                "organisation": "甘肃省化工研究院", "title": "高级工程师",
                                                "phone": "13993812345"}, format="json")
    assert made.status_code == 201 and made.json()["phone"] == "139****2345"
    expert = Expert.objects.get()
    assert expert.phone == "13993812345"
    reader = client_for(roles.DISPATCHER)
    listed = reader.get("/api/emergency/experts/", {"field": "hazchem"}).json()["results"]
    assert [e["phone"] for e in listed] == ["139****2345"]
    assert reader.get("/api/emergency/experts/", {"field": "medical"}).json()["results"] == []
    assert reader.get("/api/emergency/experts/", {"q": "化工"}).json()["count"] == 1
    assert reader.get("/api/emergency/experts/", {"field": "cooking"}).json()["field"] == "field"
    detail = reader.get(f"/api/emergency/experts/{expert.pk}/")
    assert detail.json()["phone"] == "139****2345"
    assert not AuditLog.objects.filter(action="expert.phone.read").exists()
    shown = reader.get(f"/api/emergency/experts/{expert.pk}/", {"reveal": "phone"})
    assert shown.json()["phone"] == "13993812345"
    row = AuditLog.objects.get(action="expert.phone.read")
    assert row.object_id == str(expert.pk) and row.actor.groups.filter(name=roles.DISPATCHER).exists()
    bad = reader.get(f"/api/emergency/experts/{expert.pk}/", {"reveal": "all"})
    assert bad.status_code == 400 and bad.json()["field"] == "reveal"
    assert client_for(roles.RESPONDER).get(f"/api/emergency/experts/{expert.pk}/",
                                           {"reveal": "phone"}).status_code == 403
    assert AuditLog.objects.filter(action="expert.phone.read").count() == 1


def test_expert_bad_input(client_for):
    api = client_for(roles.ADMIN)
    no_field = api.post("/api/emergency/experts/", {"name": "钱", "fields": [], "organisation": "某院",
                                                    "phone": "13700000000"}, format="json")
    assert no_field.status_code == 400 and no_field.json()["field"].startswith("fields")
    unknown = api.post("/api/emergency/experts/", {"name": "钱", "fields": ["magic"], "organisation": "某院",
                                                   "phone": "13700000000"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["field"].startswith("fields")
    phone = api.post("/api/emergency/experts/", {"name": "钱", "fields": ["water"], "organisation": "某院",
                                                 "phone": "call me"}, format="json")
    assert phone.status_code == 400 and phone.json()["field"] == "phone"
    assert not Expert.objects.exists()


# --- team members ------------------------------------------------------------------------------


def test_team_member_with_qualifications_expired_flagged(client_for, unit):
    api = client_for(roles.COMMANDER)
    made = api.post("/api/emergency/team-members/", {"unit": unit.pk, "name": "孙志强", "role": "队长",
                                                     "phone": "13609381234"}, format="json")
    assert made.status_code == 201 and made.json()["phone"] == "136****1234"
    member = TeamMember.objects.get()
    url = f"/api/emergency/team-members/{member.pk}/qualifications/"
    ok = api.post(url, {"name": "应急救援员（高级）", "certificate_no": "JY-2021-0001",
                        "issued_on": "2021-05-01", "expires_on": "2024-05-01"}, format="json")
    assert ok.status_code == 201 and ok.json()["expired"] is True
    valid = api.post(url, {"name": "红十字救护员", "certificate_no": "HS-9", "expires_on": "2099-01-01"},
                     format="json")
    assert valid.status_code == 201 and valid.json()["expired"] is False
    dup = api.post(url, {"name": "x", "certificate_no": "HS-9"}, format="json")
    assert dup.status_code == 400 and dup.json()["field"] == "certificate_no"
    backwards = api.post(url, {"name": "x", "certificate_no": "B-1", "issued_on": "2025-01-01",
                               "expires_on": "2024-01-01"}, format="json")
    assert backwards.status_code == 400 and backwards.json()["field"] == "expires_on"
    listed = client_for(roles.DISPATCHER).get("/api/emergency/team-members/", {"unit": unit.pk}).json()
    row = listed["results"][0]
    assert row["has_expired"] is True and row["phone"] == "136****1234"
    assert [q["certificate_no"] for q in row["qualifications"]] == ["JY-2021-0001", "HS-9"]
    shown = client_for(roles.DISPATCHER).get(f"/api/emergency/team-members/{member.pk}/", {"reveal": "phone"})
    assert shown.json()["phone"] == "13609381234"
    assert AuditLog.objects.filter(action="team_member.phone.read", object_id=str(member.pk)).count() == 1
    assert Qualification.objects.count() == 2
    assert client_for(roles.DISPATCHER).post(url, {"name": "x", "certificate_no": "Z"},
                                             format="json").status_code == 403


# --- the back-office pages ---------------------------------------------------------------------


def _page_client(make_user, role):
    from django.test import Client

    client = Client()
    client.force_login(make_user(role, f"page_{role}"))
    return client


@pytest.mark.parametrize(("role", "status"), [
    (roles.ADMIN, 200), (roles.COMMANDER, 200), (roles.DISPATCHER, 200), (roles.RESPONDER, 403),
    (roles.PLANNER, 403), (roles.COMMUNITY, 403), (roles.AUDITOR, 403),
])
def test_pages_by_role(make_user, shifts, role, status):
    client = _page_client(make_user, role)
    for url in ("/backoffice/duty/", "/backoffice/experts/", "/backoffice/teams/"):
        assert client.get(url).status_code == status, url


def test_duty_page_assigns_refuses_and_shows_gaps(make_user, shifts):
    day, _ = shifts
    client = _page_client(make_user, roles.COMMANDER)
    page = client.get("/backoffice/duty/", {"week": "2026-03-04"})
    html = page.content.decode()
    assert page.status_code == 200 and "2026-03-02 — 2026-03-08" in html
    assert 'id="gap-count">42<' in html  # 2 shifts × 3 required positions × 7 days, nobody yet
    ok = client.post("/backoffice/duty/", {"op": "assign", "week": "2026-03-02", "date": "2026-03-03",
                                           "shift": day.pk, "position": "leader", "person_name": "王建国",
                                           "phone": "13912345678"})
    assert ok.status_code == 302 and DutyAssignment.objects.count() == 1
    html = client.get("/backoffice/duty/", {"week": "2026-03-02"}).content.decode()
    assert "王建国" in html and "139****5678" in html and "13912345678" not in html
    assert 'id="gap-count">41<' in html
    clash = client.post("/backoffice/duty/", {"op": "assign", "week": "2026-03-02", "date": "2026-03-03",
                                              "shift": day.pk, "position": "officer",
                                              "person_name": "王建国"})
    assert clash.status_code == 400 and 'data-field="person_name"' in clash.content.decode()
    bad = client.post("/backoffice/duty/", {"op": "assign", "week": "2026-03-02", "date": "2026-03-03",
                                            "shift": day.pk, "position": "cook", "person_name": "李"})
    assert bad.status_code == 400 and 'data-field="position"' in bad.content.decode()
    assert DutyAssignment.objects.count() == 1
    other = Agency.objects.create(code="TS-FIRE", name="天水市消防救援支队", kind="fire")
    svc.duty_assign(by="test", date=dt.date(2026, 3, 4), shift=day, position="leader", person_name="牛志刚",
                    agency=other)
    only = client.get("/backoffice/duty/", {"week": "2026-03-02", "agency": other.pk}).content.decode()
    assert "牛志刚" in only and "王建国" not in only
    reader = _page_client(make_user, roles.DISPATCHER)
    assert "assign-form" not in reader.get("/backoffice/duty/").content.decode()
    assert reader.post("/backoffice/duty/", {"op": "copy", "week": "2026-03-09"}).status_code == 403


def test_expert_page_masks_and_reveal_is_audited(make_user):
    svc.expert_save(by="test", name="赵德明", fields=["hazchem"], organisation="甘肃省化工研究院",
                    phone="13993812345")
    client = _page_client(make_user, roles.DISPATCHER)
    html = client.get("/backoffice/experts/", {"field": "hazchem"}).content.decode()
    assert "赵德明" in html and "139****2345" in html and "13993812345" not in html
    assert "赵德明" not in client.get("/backoffice/experts/", {"field": "medical"}).content.decode()
    expert = Expert.objects.get()
    shown = client.post("/backoffice/experts/", {"op": "reveal", "id": expert.pk}).content.decode()
    assert "13993812345" in shown
    assert AuditLog.objects.filter(action="expert.phone.read", object_id=str(expert.pk)).count() == 1
    assert client.post("/backoffice/experts/", {"op": "availability", "id": expert.pk,
                                                "availability": "on_call"}).status_code == 403
    editor = _page_client(make_user, roles.COMMANDER)
    moved = editor.post("/backoffice/experts/?field=hazchem", {"op": "availability", "id": expert.pk,
                                                               "availability": "on_call"})
    assert moved.status_code == 302 and moved["Location"].endswith("?field=hazchem")
    expert.refresh_from_db()
    assert expert.availability == "on_call"
    bad = editor.post("/backoffice/experts/", {"op": "availability", "id": expert.pk,
                                               "availability": "asleep"})
    assert bad.status_code == 400 and 'data-field="availability"' in bad.content.decode()


def test_teams_page_flags_expired_certificates(make_user, unit):
    member = svc.team_member_save(by="test", unit=unit, name="孙志强", role="队长", phone="13609381234")
    svc.qualification_add(by="test", member=member, name="应急救援员", certificate_no="JY-1",
                          expires_on=dt.date(2020, 1, 1))
    client = _page_client(make_user, roles.COMMANDER)
    html = client.get("/backoffice/teams/", {"unit": unit.pk}).content.decode()
    assert "孙志强" in html and "136****1234" in html and "has-expired" in html and "JY-1" in html
    added = client.post("/backoffice/teams/", {"op": "add_member", "unit": unit.pk, "name": "李强",
                                               "role": "驾驶员"})
    assert added.status_code == 302 and unit.team_members.count() == 2
    qual = Qualification.objects.get(certificate_no="JY-1")
    gone = client.post("/backoffice/teams/", {"op": "remove_qualification", "unit": unit.pk, "id": qual.pk})
    assert gone.status_code == 302 and not Qualification.objects.exists()
    assert AuditLog.objects.filter(action="qualification.remove", object_id=str(qual.pk)).exists()


def test_teams_page_edits_and_removes_members_for_editors_only(make_user, unit, agency):
    member = svc.team_member_save(by="test", unit=unit, name="孙志强", role="队长", phone="13609381234")
    qual = svc.qualification_add(by="test", member=member, name="应急救援员", certificate_no="JY-1")
    other = Unit.objects.create(code="RT-2", name="抢险救援队2号", agency=agency, unit_type="rescue_team")
    dispatcher = _page_client(make_user, roles.DISPATCHER)
    for op in ("edit_member", "remove_member"):
        refused = dispatcher.post("/backoffice/teams/", {"op": op, "unit": unit.pk, "id": member.pk,
                                                         "name": "X", "role": "X", "confirm": "1"})
        assert refused.status_code == 403
    editor = _page_client(make_user, roles.COMMANDER)
    # a blank phone keeps the number; the member of another unit is not reachable through this one
    edited = editor.post("/backoffice/teams/", {"op": "edit_member", "unit": unit.pk, "id": member.pk,
                                                "name": "孙志强", "role": "副队长", "phone": ""})
    assert edited.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.phone, member.active) == ("副队长", "13609381234", False)
    elsewhere = editor.post("/backoffice/teams/", {"op": "edit_member", "unit": other.pk, "id": member.pk,
                                                   "name": "孙志强", "role": "队员"})
    assert elsewhere.status_code == 400 and 'data-field="id"' in elsewhere.content.decode()
    bad_phone = editor.post("/backoffice/teams/", {"op": "edit_member", "unit": unit.pk, "id": member.pk,
                                                   "name": "孙志强", "role": "队员", "phone": "call me"})
    assert bad_phone.status_code == 400 and 'data-field="phone"' in bad_phone.content.decode()
    unconfirmed = editor.post("/backoffice/teams/", {"op": "remove_member", "unit": unit.pk, "id": member.pk})
    assert unconfirmed.status_code == 400 and 'data-field="confirm"' in unconfirmed.content.decode()
    member.refresh_from_db()
    assert member.role == "副队长"
    removed = editor.post("/backoffice/teams/", {"op": "remove_member", "unit": unit.pk, "id": member.pk,
                                                 "confirm": "1"})
    assert removed.status_code == 302
    assert not TeamMember.objects.filter(pk=member.pk).exists() and not Qualification.objects.exists()
    row = AuditLog.objects.get(action="team_member.remove", object_id=str(member.pk))
    assert row.before["phone"] == "136****1234" and row.before["role"] == "副队长"
    assert [q["certificate_no"] for q in row.before["qualifications"]] == ["JY-1"]
    assert row.before["qualifications"][0]["id"] == qual.pk


def test_dates_out_of_range_and_shift_rules_are_refused(client_for, make_user, shifts):
    day, _ = shifts
    api = client_for(roles.ADMIN)
    far = api.post("/api/emergency/duty/", {"date": "9999-12-31", "shift": day.pk, "position": "leader",
                                            "person_name": "王"}, format="json")
    assert far.status_code == 400 and far.json()["field"] == "date"
    assert api.get("/api/emergency/duty/", {"start": "9999-12-31"}).json()["field"] == "start"
    assert api.post("/api/emergency/duty/copy-week/", {"week": "9999-12-27"},
                    format="json").json()["field"] == "week"
    page = _page_client(make_user, roles.COMMANDER).get("/backoffice/duty/", {"week": "9999-12-31"})
    assert page.status_code == 400 and 'data-field="week"' in page.content.decode()
    empty = api.post("/api/emergency/duty-shifts/", {"code": "X", "name": "空班", "start": "08:00",
                                                     "end": "08:00"}, format="json")
    assert empty.status_code == 400 and empty.json()["field"] == "end"
    moved = api.patch(f"/api/emergency/duty-shifts/{day.pk}/", {"start": "07:30", "end": "19:30"},
                      format="json")
    assert moved.status_code == 200 and moved.json()["start"] == "07:30:00"
    assert not DutyAssignment.objects.exists() and not DutyShift.objects.filter(code="X").exists()


def test_demo_seed_is_idempotent(unit):
    from emergency.seed_personnel import seed_personnel

    unit.synthetic = True
    unit.crew_size = 3
    unit.save()
    first = seed_personnel(by="seed", today=MONDAY + dt.timedelta(days=2))
    assert first == {"shifts": 2, "duties": 48, "experts": 15, "team_members": 3, "qualifications": 4}
    assert seed_personnel(by="seed", today=MONDAY + dt.timedelta(days=2)) == dict.fromkeys(first, 0)
    assert DutyAssignment.objects.filter(synthetic=True).count() == 48
    # every shift of the week has its leader, duty officer and dispatcher, and someone is on now
    assert {d.position for d in on_duty_now(at(MONDAY + dt.timedelta(days=2), 3))} == {
        "leader", "officer", "dispatcher"}
    assert Expert.objects.filter(fields__contains=["hazchem"]).count() >= 2
    assert all(e.synthetic for e in Expert.objects.all())


@pytest.mark.django_db(transaction=True)
def test_two_editors_booking_one_person_at_once_one_wins(make_user):
    from tests.concurrency import race

    day = svc.shift_save(by="test", code="D", name="白班", start=dt.time(8), end=dt.time(20), order=1)
    early = svc.shift_save(by="test", code="E", name="早班", start=dt.time(6), end=dt.time(14), order=2)
    outcome: list = [None, None]

    def book(k: int, shift) -> None:
        try:
            svc.duty_assign(by="test", date=MONDAY, shift=shift, position="officer", person_name="李娜")
            outcome[k] = "ok"
        except DomainError as exc:
            outcome[k] = exc.field

    race(book, list(enumerate((day, early))))
    assert sorted(outcome) == ["ok", "person_name"], outcome
    assert DutyAssignment.objects.filter(person_name="李娜").count() == 1
