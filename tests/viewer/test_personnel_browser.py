"""The personnel pages in headless Chromium (issue 12 §1): a commander puts a duty officer on a
gap of the week grid, sees the expert directory with masked phones and shows one (audited),
looks at a unit's team with an expired certificate, and the command console lists who is on
duty now.  Screenshots: artifacts/screenshots/personnel_*.png.

The server is another thread, so the records are committed and the database flushed
afterwards.  No city is built: the pages under test need none (the console's map stays empty).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from cim import roles
from tests import factories
from tests.viewer.browser_kit import SHOTS, signed_in_page, site_fixture

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1500, "height": 900}


def _seed():
    from emergency.models import Agency, Unit
    from emergency.services import personnel as svc

    commander = factories.user(roles.COMMANDER, "commander_duty")
    agency = Agency.objects.create(code="TS-EM", name="天水市应急管理局", kind="emergency_management")
    unit = Unit.objects.create(code="RT-7-1", name="西关消防站抢险救援队1号", agency=agency,
                               unit_type="rescue_team", crew_size=6)
    day = svc.shift_save(by="test", code="DAY", name="白班", start=dt.time(8), end=dt.time(20), order=1)
    night = svc.shift_save(by="test", code="NIGHT", name="夜班", start=dt.time(20), end=dt.time(8), order=2)
    today = timezone.localdate()
    for date in (today - dt.timedelta(days=1), today):
        for shift, names in ((day, ("周立新", "张敏")), (night, ("韩振华", "郭强"))):
            svc.duty_assign(by="test", date=date, shift=shift, position="leader", person_name=names[0],
                            phone="13909380101", agency=agency)
            svc.duty_assign(by="test", date=date, shift=shift, position="dispatcher", person_name=names[1],
                            phone="13909380202", agency=agency)
    svc.expert_save(by="test", name="魏国栋", fields=["hazchem", "fire"], organisation="甘肃省化工研究院",
                    title="研究员", phone="13909382001", synthetic=True)
    svc.expert_save(by="test", name="裴慧敏", fields=["medical"], organisation="天水市第一人民医院",
                    title="主任医师", phone="13909382002", availability="on_call", synthetic=True)
    member = svc.team_member_save(by="test", unit=unit, name="邓志远", role="队长", phone="13909385001")
    svc.qualification_add(by="test", member=member, name="应急救援员国家职业资格", certificate_no="JY-0001",
                          issued_on=dt.date(2020, 3, 1), expires_on=dt.date(2023, 3, 1))
    svc.qualification_add(by="test", member=member, name="机动车驾驶证（A2）", certificate_no="DL-000001",
                          issued_on=dt.date(2020, 3, 1), expires_on=dt.date(2030, 3, 1))
    return {"commander": commander, "unit": unit, "day": day, "today": today}


site = site_fixture(_seed)


@pytest.fixture(scope="module")
def page(site, browser):
    return signed_in_page(browser, site["base"], site["commander"], viewport=VIEWPORT)


def test_assign_a_shift_in_the_week_grid(site, page, orm):
    from emergency.models import DutyAssignment

    page.goto(site["base"] + "/backoffice/duty/")
    gaps_before = int(page.text_content("#gap-count"))
    today = site["today"].isoformat()
    cell = f'td.cell[data-date="{today}"][data-shift="{site["day"].pk}"][data-position="officer"]'
    assert "gap" in page.get_attribute(cell, "class")
    page.click(f"{cell} a.add")
    assert page.input_value("#assign-form select[name=position]") == "officer"
    page.fill("#assign-form input[name=person_name]", "李晓燕")
    page.fill("#assign-form input[name=phone]", "13909380303")
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector(f'{cell} .chip')
    assert "李晓燕" in page.text_content(cell) and "139****0303" in page.text_content(cell)
    assert "gap" not in page.get_attribute(cell, "class")
    assert int(page.text_content("#gap-count")) == gaps_before - 1
    duty = DutyAssignment.objects.get(person_name="李晓燕")
    assert duty.date == site["today"] and duty.position == "officer" and duty.phone == "13909380303"
    page.screenshot(path=str(SHOTS / "personnel_duty.png"), full_page=True)
    # the same person again on the same shift: refused, naming the field, nothing stored
    page.click(f"{cell} a.add")
    page.select_option("#assign-form select[name=position]", "liaison")
    page.fill("#assign-form input[name=person_name]", "李晓燕")
    page.click("#assign-form button[type=submit]")
    assert page.get_attribute(".bo-error", "data-field") == "person_name"
    assert DutyAssignment.objects.filter(person_name="李晓燕").count() == 1
    # the same page in English
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": site["base"]}])
    try:
        page.goto(site["base"] + "/backoffice/duty/")
        assert page.title().startswith("Duty roster") and "Leader on duty" in page.text_content("#duty-grid")
        page.screenshot(path=str(SHOTS / "personnel_duty_en.png"), full_page=True)
    finally:
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans",
                                   "url": site["base"]}])
    assert page.errors == []


def test_expert_list_masks_phones_and_reveals_on_purpose(site, page, orm):
    from cim.models import AuditLog

    page.goto(site["base"] + "/backoffice/experts/")
    table = page.text_content("#expert-table")
    assert "魏国栋" in table and "139****2001" in table and "13909382001" not in table
    page.select_option("#expert-filter select[name=field]", "medical")
    page.click("#expert-filter button[type=submit]")
    page.wait_for_url("**field=medical**")
    table = page.text_content("#expert-table")
    assert "裴慧敏" in table and "魏国栋" not in table
    page.goto(site["base"] + "/backoffice/experts/")
    page.screenshot(path=str(SHOTS / "personnel_experts.png"), full_page=True)
    page.click('tr:has-text("魏国栋") button.reveal')
    page.wait_for_selector('tr:has-text("魏国栋") .ph.shown')
    assert page.text_content('tr:has-text("魏国栋") .ph') == "13909382001"
    assert AuditLog.objects.filter(action="expert.phone.read", actor=site["commander"]).count() == 1
    page.goto(site["base"] + f"/backoffice/teams/?unit={site['unit'].pk}")
    members = page.text_content("#member-table")
    assert "已过期" in members and "139****5001" in members
    page.screenshot(path=str(SHOTS / "personnel_teams.png"), full_page=True)
    assert page.errors == []


def test_console_shows_who_is_on_duty(site, page):
    page.errors.clear()
    page.goto(site["base"] + "/console/")
    page.wait_for_function("window.cimDuty && window.cimDuty.loaded", timeout=60000)
    rows = page.eval_on_selector_all("#duty-list li", "els => els.map(e => e.textContent)")
    names = {"周立新", "张敏"} if 8 <= timezone.localtime().hour < 20 else {"韩振华", "郭强"}
    # the day shift may also hold the duty officer the first test added
    assert len(rows) >= 2 and all(any(n in r for r in rows) for n in names)
    assert all("139****" in r for r in rows) and not any("13909380" in r for r in rows)
    assert page.eval_on_selector("#duty-list li", "e => e.dataset.position") == "leader"
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "personnel_console.png"))
    assert not [e for e in page.errors if "CSP" in e or "duty" in e]
