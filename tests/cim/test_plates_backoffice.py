"""The plates back office (issue 12 §1): search, a plate's history, scans and
alerts, issue / replace / retire through the services, print sheets (PDF);
admins and community staff act, dispatchers look up, others are refused."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.utils import timezone

from cim import roles
from cim.choices import PlateStatus
from cim.models import Address, AuditLog, Plate, PlateAlert, PlateEvent, PlateScanDay
from cim.plates import codes
from cim.services.plates.sheets import plates_sheet_pdf

PAGE_ROLES = [roles.ADMIN, roles.COMMUNITY, roles.DISPATCHER, roles.PLANNER, roles.RESPONDER,
              roles.COMMANDER, roles.AUDITOR]


@pytest.fixture
def browser_for(make_user):
    serial = itertools.count(1)

    def make(role):
        client = Client()
        client.force_login(make_user(role, f"bo_{role}_{next(serial)}"))  # not id(): reused once freed
        return client
    return make


def _free_door(plate_city) -> Address:
    return (Address.objects.filter(kind="door", status="current")
            .exclude(plates__status__in=("issued", "installed", "damaged")).order_by("code").first())


@pytest.mark.parametrize("role", PAGE_ROLES)
def test_who_sees_the_plates_page(browser_for, plate_city, role):
    plate = plate_city["plate"]
    client = browser_for(role)
    listed = client.get("/backoffice/plates/")
    detail = client.get(f"/backoffice/plates/{plate.code}/")
    reads = role in roles.PLATE_READ_ROLES
    assert listed.status_code == detail.status_code == (200 if reads else 403)
    if reads:
        html = detail.content.decode()
        assert plate.address.full_name in html
        # only those who manage plates get the action forms
        assert ('id="replace-form"' in html) == (role in roles.PLATE_ROLES)


def test_anonymous_is_sent_to_sign_in(plate_city):
    resp = Client().get("/backoffice/plates/")
    assert resp.status_code == 302 and "/login" in resp["Location"]


def test_search_by_code_and_by_address(browser_for, plate_city):
    plate = plate_city["plate"]
    client = browser_for(roles.DISPATCHER)
    by_code = client.get("/backoffice/plates/", {"q": codes.pretty(plate.code)}).content.decode()
    assert codes.pretty(plate.code) in by_code and "民主路1号" in by_code
    by_text = client.get("/backoffice/plates/", {"q": "民主路1号"}).content.decode()
    assert f"/backoffice/plates/{plate.code}/" in by_text
    none = client.get("/backoffice/plates/", {"q": "没有这条路"}).content.decode()
    assert f"/backoffice/plates/{plate.code}/" not in none and "没有找到门牌" in none
    # addresses still without a plate are offered for issuing (to managers only)
    free = _free_door(plate_city)
    road = free.full_name
    page = browser_for(roles.COMMUNITY).get("/backoffice/plates/", {"q": road}).content.decode()
    assert 'id="unplated"' in page and f'name="address" value="{free.pk}"' in page


def test_detail_shows_history_scans_and_alerts(browser_for, plate_city):
    plate = plate_city["plate"]
    today = timezone.localdate()
    PlateScanDay.objects.create(plate=plate, day=today, scans=42, clients=30)
    PlateScanDay.objects.create(plate=plate, day=today - dt.timedelta(days=3), scans=7, clients=5)
    PlateAlert.objects.create(plate=plate, kind="resident_flag", comment="二维码像是贴上去的")
    html = browser_for(roles.COMMUNITY).get(f"/backoffice/plates/{plate.code}/").content.decode()
    assert "共 49 次" in html  # total of the 60 days
    assert html.count('class="bar"') == 60 and "42 (" in html  # one bar per day, with a tooltip
    assert "二维码像是贴上去的" in html and "群众反映门牌可疑" in html
    assert "已制发" in html  # the issue event


def test_unknown_code_is_a_404(browser_for, plate_city):
    assert browser_for(roles.ADMIN).get("/backoffice/plates/AAAAAAAAAAA/").status_code == 404


def test_replace_from_the_page(browser_for, plate_city):
    plate = plate_city["plate"]
    client = browser_for(roles.COMMUNITY)
    resp = client.post(f"/backoffice/plates/{plate.code}/action/",
                       {"action": "replace", "note": "门牌被撕毁", "size": "small"})
    assert resp.status_code == 302
    plate.refresh_from_db()
    new = plate.replaced_by
    assert plate.status == PlateStatus.REPLACED and new.status == PlateStatus.ISSUED
    assert new.address_id == plate.address_id and new.size == "small" and new.code != plate.code
    assert resp["Location"].endswith(f"/backoffice/plates/{new.code}/")
    assert AuditLog.objects.filter(action="plate.replace", object_id=str(plate.pk)).count() == 1
    page = client.get(resp["Location"]).content.decode()
    assert codes.pretty(new.code) in page and plate.code in page  # says what it replaced


def test_replace_needs_a_reason_and_changes_nothing_without(browser_for, plate_city):
    plate = plate_city["plate"]
    before = (Plate.objects.count(), PlateEvent.objects.count(), AuditLog.objects.count())
    resp = browser_for(roles.ADMIN).post(f"/backoffice/plates/{plate.code}/action/",
                                         {"action": "replace", "note": "  "})
    assert resp.status_code == 400 and 'data-field="reason"' in resp.content.decode()
    assert (Plate.objects.count(), PlateEvent.objects.count(), AuditLog.objects.count()) == before
    plate.refresh_from_db()
    assert plate.status == PlateStatus.ISSUED


def test_retire_then_retire_again_is_refused(browser_for, plate_city):
    plate = plate_city["plate"]
    client = browser_for(roles.ADMIN)
    url = f"/backoffice/plates/{plate.code}/action/"
    assert client.post(url, {"action": "retired", "note": "拆迁"}).status_code == 302
    plate.refresh_from_db()
    assert plate.status == PlateStatus.RETIRED
    events = PlateEvent.objects.filter(plate=plate).count()
    again = client.post(url, {"action": "retired"})
    assert again.status_code == 409 and 'data-field="status"' in again.content.decode()
    assert PlateEvent.objects.filter(plate=plate).count() == events
    bad = client.post(url, {"action": "explode"})
    assert bad.status_code == 400 and 'data-field="action"' in bad.content.decode()


def test_dispatchers_cannot_act(browser_for, plate_city):
    plate = plate_city["plate"]
    client = browser_for(roles.DISPATCHER)
    assert client.post(f"/backoffice/plates/{plate.code}/action/",
                       {"action": "retired"}).status_code == 403
    assert client.post("/backoffice/plates/issue/", {"address": _free_door(plate_city).pk}).status_code == 403
    assert client.get("/backoffice/plates/sheet/", {"community": "620502001001"}).status_code == 403
    plate.refresh_from_db()
    assert plate.status == PlateStatus.ISSUED


def test_issue_from_the_page(browser_for, plate_city):
    client = browser_for(roles.COMMUNITY)
    door = _free_door(plate_city)
    resp = client.post("/backoffice/plates/issue/", {"address": door.pk, "size": "large"})
    assert resp.status_code == 302
    plate = Plate.objects.get(address=door)
    assert plate.size == "large" and resp["Location"].endswith(f"/{plate.code}/")
    assert AuditLog.objects.filter(action="plate.issue", object_id=str(plate.pk)).exists()
    # the same address again: it has a plate now
    again = client.post("/backoffice/plates/issue/", {"address": door.pk})
    assert again.status_code == 409 and 'data-field="address"' in again.content.decode()
    unknown = client.post("/backoffice/plates/issue/", {"address": 10**9})
    assert unknown.status_code == 400 and 'data-field="address"' in unknown.content.decode()
    bad_size = client.post("/backoffice/plates/issue/", {"address": _free_door(plate_city).pk,
                                                         "size": "huge"})
    assert bad_size.status_code == 400 and 'data-field="size"' in bad_size.content.decode()
    assert Plate.objects.filter(address=door).count() == 1


def test_print_sheet_download_is_audited(browser_for, plate_city):
    client = browser_for(roles.COMMUNITY)
    resp = client.get("/backoffice/plates/sheet/", {"community": "620502001", "size": "medium",
                                                     "paper": "A4"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF") and "attachment" in resp["Content-Disposition"]
    row = AuditLog.objects.get(action="plate.sheet")
    assert row.object_id == "620502001" and row.after["plates"] == 1
    assert plate_city["plate"].code in row.after["codes"]


@pytest.mark.parametrize("query,status,field", [
    ({"community": "62"}, 400, "community"),
    ({"community": "620503"}, 404, "community"),
    ({"community": "620502", "paper": "B5"}, 400, "paper"),
])
def test_print_sheet_bad_input(browser_for, plate_city, query, status, field):
    resp = browser_for(roles.ADMIN).get("/backoffice/plates/sheet/", query)
    assert resp.status_code == status and f'data-field="{field}"' in resp.content.decode()
    assert not AuditLog.objects.filter(action="plate.sheet").exists()


def test_a_big_division_prints_in_parts(browser_for, plate_city, monkeypatch):
    from cim.errors import DomainError
    from cim.services.plates import plate_issue
    from cim.services.plates import sheets as sheet_service

    second = plate_issue(address=_free_door(plate_city), by="test")
    with pytest.raises(DomainError) as caught:
        plates_sheet_pdf(community="620502", by="test", limit=1)
    assert caught.value.field == "community" and caught.value.extra["parts"] == 2
    assert "print_plates" in caught.value.message
    part2 = plates_sheet_pdf(community="620502", by="test", limit=1, part=2)
    assert part2.plates == 1 and part2.filename == "plates-620502-medium-part2of2.pdf"
    with pytest.raises(DomainError) as bad_part:
        plates_sheet_pdf(community="620502", by="test", limit=1, part=3)
    assert bad_part.value.field == "part"
    assert plates_sheet_pdf(community="620502", by="test", limit=None).plates == 2  # a job or command
    # the page offers the parts, each a download of its own
    monkeypatch.setattr(sheet_service, "SHEET_MAX_PLATES", 1)
    client = browser_for(roles.ADMIN)
    offered = client.get("/backoffice/plates/sheet/", {"community": "620502"})
    html = offered.content.decode()
    assert offered.status_code == 400 and 'id="sheet-parts"' in html and "part=2" in html
    got = client.get("/backoffice/plates/sheet/", {"community": "620502", "part": "2"})
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert "part2of2" in got["Content-Disposition"]
    rows = AuditLog.objects.filter(action="plate.sheet", after__part=2)
    assert rows.count() == 2 and {r.after["first"] for r in rows} <= {plate_city["plate"].code, second.code}
    assert client.get("/backoffice/plates/sheet/", {"community": "620502", "part": "x"}).status_code == 400


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("role", [roles.ADMIN, roles.COMMUNITY, roles.DISPATCHER, roles.PLANNER, None])
def test_api_search_and_history(client_for, plate_city, role):
    plate = plate_city["plate"]
    client = client_for(role)
    found = client.get("/api/cim/plates/search/", {"q": "民主路1号"})
    history = client.get(f"/api/cim/plates/{plate.code}/history/")
    if role in roles.PLATE_READ_ROLES:
        assert found.status_code == 200 and [p["code"] for p in found.json()] == [plate.code]
        body = history.json()
        assert body["plate"]["code"] == plate.code and body["events"][0]["to_status"] == "issued"
        assert len(body["scan_days"]) == 60 and body["scans_total"] == 0
    else:
        assert found.status_code in (401, 403) and history.status_code in (401, 403)


def test_api_community_staff_issue_replace_retire(client_for, plate_city):
    client = client_for(roles.COMMUNITY)
    door = _free_door(plate_city)
    issued = client.post("/api/cim/plates/", {"address": door.pk}, format="json")
    assert issued.status_code == 201
    code = issued.json()["code"]
    replaced = client.post(f"/api/cim/plates/{code}/replace/", {"reason": "丢失"}, format="json")
    assert replaced.status_code == 201
    new = replaced.json()["code"]
    assert client.post(f"/api/cim/plates/{new}/transition/", {"status": "retired"},
                       format="json").status_code == 200
    again = client.post(f"/api/cim/plates/{new}/transition/", {"status": "retired"}, format="json")
    assert again.status_code == 409 and again.json()["field"] == "status"
    unknown = client.post("/api/cim/plates/", {"address": 10**9}, format="json")
    assert unknown.status_code == 400 and unknown.json()["field"] == "address"
    sheet = client.get("/api/cim/plates/sheet/", {"community": "620502001001"})
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert client_for(roles.DISPATCHER).get("/api/cim/plates/sheet/",
                                            {"community": "620502001001"}).status_code == 403


def test_the_pages_speak_english(browser_for, plate_city):
    client = browser_for(roles.ADMIN)
    client.cookies["django_language"] = "en"
    detail = client.get(f"/backoffice/plates/{plate_city['plate'].code}/").content.decode()
    assert "Status history" in detail and "Replace plate (damaged or lost)" in detail
    assert "Retire plate" in detail and "状态历史" not in detail
    listed = client.get("/backoffice/plates/").content.decode()
    assert "Door plates" in listed and "Print a community" in listed
    catalogue = client.get("/backoffice/catalogue/").content.decode()
    assert "Service catalogue" in catalogue and "Add item" in catalogue


def test_close_an_alert_from_the_page(browser_for, plate_city):
    plate = plate_city["plate"]
    alert = PlateAlert.objects.create(plate=plate, kind="resident_flag", comment="贴纸")
    url = f"/backoffice/plates/{plate.code}/action/"
    refused = browser_for(roles.DISPATCHER).post(url, {"action": "close_alert", "alert": alert.pk})
    assert refused.status_code == 403
    client = browser_for(roles.COMMUNITY)
    assert f'id="close-alert-{alert.pk}"' in client.get(f"/backoffice/plates/{plate.code}/").content.decode()
    closed = client.post(url, {"action": "close_alert", "alert": alert.pk, "note": "现场核查正常"})
    assert closed.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.closed_by is not None
    assert AuditLog.objects.filter(action="plate.alert_close", object_id=str(alert.pk)).exists()
    again = client.post(url, {"action": "close_alert", "alert": alert.pk})
    assert again.status_code == 409 and 'data-field="status"' in again.content.decode()
    other = client.post(url, {"action": "close_alert", "alert": "x"})
    assert other.status_code == 400 and 'data-field="alert"' in other.content.decode()
