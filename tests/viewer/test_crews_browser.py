"""Crews and team members in headless Chromium (issue 12 §1, units and personnel): on
/backoffice/units/ a commander adds a crew member to a unit, renames one and removes another,
is refused (in the dialog, naming the field) for more names than the establishment, takes a unit
out of service with a reason and back; on /backoffice/teams/ the commander registers a member,
gives them certificates (one expired), edits and removes a member.  Every change is checked after
a reload and in the audit trail.  A dispatcher may set a unit's status but not edit crews or
teams; a planner gets neither page.  Both pages are looked at in zh and en.
Screenshots: artifacts/screenshots/crews_*.png.

The server is another thread (HTTP only: the units page's live feed stays unconnected, every
change it shows comes from the API's answer or a reload), so the records are committed and the
database flushed afterwards.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cim import roles
from tests import factories
from tests.viewer.browser_kit import SHOTS, signed_in_page, site_fixture

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1440, "height": 900}


def _seed():
    from emergency.models import Agency, Unit
    from emergency.services import personnel as svc

    agency = Agency.objects.create(code="TS-FR", name="天水市消防救援支队", kind="fire")
    rescue = Unit.objects.create(code="RT-7-1", name="西关消防站抢险救援队1号", agency=agency,
                                 unit_type="rescue_team", crew_size=5, crew=["邓志远", "王建军", "刘海涛"])
    engine = Unit.objects.create(code="FE-2-1", name="麦积消防站水罐车1号", agency=agency,
                                 unit_type="fire_engine", crew_size=4)
    svc.team_member_save(by="seed", unit=rescue, name="邓志远", role="队长", phone="13909385001")
    return {"rescue": rescue, "engine": engine,
            "commander": factories.user(roles.COMMANDER, "commander_zhao"),
            "dispatcher": factories.user(roles.DISPATCHER, "dispatcher_qian"),
            "planner": factories.user(roles.PLANNER, "planner_sun")}


site = site_fixture(_seed)


def tab_for(browser, site, user, *, lang: str = "zh-hans"):
    return signed_in_page(browser, site["base"], user, lang=lang, viewport=VIEWPORT, timeout_ms=30000)


def open_units(page, site) -> None:
    page.goto(site["base"] + "/backoffice/units/")
    page.wait_for_function("() => window.cimUnits && cimUnits.page.units.size === 2")


def audit_rows(action: str, obj) -> list:
    from cim.models import AuditLog

    return list(AuditLog.objects.filter(action=action, object_type=obj._meta.label_lower,
                                        object_id=str(obj.pk)).order_by("pk"))


def save_crew(page, unit, names: list[str], size: int | None = None) -> None:
    """Open the unit's crew dialog on the roster, type the names (one a line), save."""
    page.click(f"#roster-body tr[data-unit='{unit.pk}'] [data-action=crew]")
    page.wait_for_selector("#crew-dialog:not([hidden])")
    page.fill("#crew-form [name=crew]", "\n".join(names))
    if size is not None:
        page.fill("#crew-form [name=crew_size]", str(size))
    page.click("#crew-form button[type=submit]")


def test_commander_edits_crews_and_takes_a_unit_out_of_service(site, browser, orm):
    from emergency.models import Unit

    rescue, engine, commander = site["rescue"], site["engine"], site["commander"]
    page = tab_for(browser, site, commander)
    open_units(page, site)
    page.click("[data-view=roster]")
    row = f"#roster-body tr[data-unit='{rescue.pk}']"
    assert "邓志远、王建军、刘海涛" in page.text_content(row)

    # add a crew member
    save_crew(page, rescue, ["邓志远", "王建军", "刘海涛", "马晓东"])
    page.wait_for_selector("#crew-dialog", state="hidden")
    assert "马晓东" in page.text_content(row) and "4/5" in page.text_content(row)
    rescue.refresh_from_db()
    assert rescue.crew == ["邓志远", "王建军", "刘海涛", "马晓东"]
    added = audit_rows("unit.crew", rescue)
    assert len(added) == 1 and added[0].actor == commander
    assert added[0].before["crew"] == ["邓志远", "王建军", "刘海涛"]
    assert added[0].after["crew"] == rescue.crew

    # rename one (王建军 → 王建国) and remove another (刘海涛)
    save_crew(page, rescue, ["邓志远", "王建国", "马晓东"])
    page.wait_for_selector("#crew-dialog", state="hidden")
    page.wait_for_function("(row) => !document.querySelector(row).textContent.includes('刘海涛')", arg=row)
    rescue.refresh_from_db()
    assert rescue.crew == ["邓志远", "王建国", "马晓东"]
    changed = audit_rows("unit.crew", rescue)[-1]
    assert changed.before["crew"] == ["邓志远", "王建军", "刘海涛", "马晓东"]
    assert changed.after["crew"] == rescue.crew

    # more names than the establishment: refused in the dialog, naming the field; nothing stored
    save_crew(page, engine, ["甲", "乙", "丙", "丁", "戊"])
    error = "#crew-form .form-error"
    page.wait_for_selector(f"{error}:not([hidden])")
    assert page.get_attribute(error, "data-field") == "crew" and "4" in page.text_content(error)
    assert page.is_visible("#crew-dialog")
    page.screenshot(path=str(SHOTS / "crews_units_refused.png"))
    engine.refresh_from_db()
    assert engine.crew == [] and audit_rows("unit.crew", engine) == []
    # a cleared establishment field keeps the establishment (it is not sent as 0)
    page.fill("#crew-form [name=crew]", "甲\n乙")
    page.fill("#crew-form [name=crew_size]", "")
    page.click("#crew-form button[type=submit]")
    page.wait_for_selector("#crew-dialog", state="hidden")
    engine.refresh_from_db()
    assert (engine.crew, engine.crew_size) == (["甲", "乙"], 4)

    # after a reload the roster shows what was stored
    open_units(page, site)
    page.click("[data-view=roster]")
    assert "邓志远、王建国、马晓东" in page.text_content(row) and "刘海涛" not in page.text_content(row)
    page.screenshot(path=str(SHOTS / "crews_units_roster.png"), full_page=True)

    # out of service with a reason, then back
    page.click("[data-view=board]")
    page.click(f".col-available .unit-card[data-unit='{rescue.pk}'] [data-action=oos]")
    page.fill("#oos-form [name=note]", "器材年检（液压破拆工具）")
    page.click("#oos-confirm")
    card = f".col-out_of_service .unit-card[data-unit='{rescue.pk}']"
    page.wait_for_selector(card)
    assert "器材年检" in page.text_content(card)
    open_units(page, site)
    assert "器材年检" in page.text_content(card)
    page.screenshot(path=str(SHOTS / "crews_units_board.png"), full_page=True)
    page.click(f"{card} [data-action=available]")
    page.wait_for_selector(f".col-available .unit-card[data-unit='{rescue.pk}']")
    rescue = Unit.objects.get(pk=rescue.pk)
    assert (rescue.status, rescue.status_note) == ("available", "")
    moves = audit_rows("unit.status", rescue)
    assert [(m.after["status"], m.after["status_note"]) for m in moves] == [
        ("out_of_service", "器材年检（液压破拆工具）"), ("available", "")]
    assert all(m.actor == commander for m in moves)
    assert page.errors == []
    page.context.close()


def test_dispatcher_sets_status_but_edits_no_crew_and_planner_is_refused(site, browser, orm):
    engine, dispatcher = site["engine"], site["dispatcher"]
    page = tab_for(browser, site, dispatcher)
    open_units(page, site)
    page.click("[data-view=roster]")
    assert page.query_selector_all("#roster-body [data-action=crew]") == []
    # the API refuses the crew write the page does not offer
    status = page.evaluate("""async (url) => {
        const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
        const headers = {"Content-Type": "application/json", "X-CSRFToken": token?.split("=")[1] || ""};
        const r = await fetch(url, {method: "POST", headers, body: JSON.stringify({crew: ["冒名"]})});
        return r.status; }""", f"/api/emergency/units/{engine.pk}/crew/")
    assert status == 403
    engine.refresh_from_db()
    assert "冒名" not in engine.crew
    assert not [r for r in audit_rows("unit.crew", engine) if r.actor == dispatcher]
    # a dispatcher may take a unit out of service (and back)
    page.click("[data-view=board]")
    page.click(f".unit-card[data-unit='{engine.pk}'] [data-action=oos]")
    page.fill("#oos-form [name=note]", "驾驶员培训")
    page.click("#oos-confirm")
    page.wait_for_selector(f".col-out_of_service .unit-card[data-unit='{engine.pk}']")
    page.click(f".unit-card[data-unit='{engine.pk}'] [data-action=available]")
    page.wait_for_selector(f".col-available .unit-card[data-unit='{engine.pk}']")
    assert [m.actor for m in audit_rows("unit.status", engine)] == [dispatcher, dispatcher]
    # teams: read only
    page.goto(site["base"] + f"/backoffice/teams/?unit={site['rescue'].pk}")
    assert page.query_selector("#member-form") is None and page.query_selector(".member-edit") is None
    assert page.errors == []
    page.context.close()

    planner = tab_for(browser, site, site["planner"])
    for path in ("/backoffice/units/", "/backoffice/teams/"):
        assert planner.goto(site["base"] + path).status == 403
    planner.context.close()


def test_commander_registers_edits_and_removes_team_members(site, browser, orm):
    from emergency.models import Qualification, TeamMember

    rescue, commander = site["rescue"], site["commander"]
    today = timezone.localdate()
    page = tab_for(browser, site, commander)
    page.goto(site["base"] + f"/backoffice/teams/?unit={rescue.pk}")

    # a new member …
    page.fill("#member-form [name=name]", "马晓东")
    page.fill("#member-form [name=role]", "驾驶员")
    page.fill("#member-form [name=phone]", "13909385002")
    with page.expect_navigation():
        page.click("#member-form button[type=submit]")
    member = TeamMember.objects.get(unit=rescue, name="马晓东")
    row = f"#member-table tr[data-member='{member.pk}']"
    assert "驾驶员" in page.text_content(row) and "139****5002" in page.text_content(row)
    assert "13909385002" not in page.content()

    # … with two certificates, one valid for years, one past its expiry
    def add_certificate(name: str, number: str, issued: dt.date, expires: dt.date):
        page.select_option("#qual-form [name=member]", str(member.pk))
        page.fill("#qual-form [name=name]", name)
        page.fill("#qual-form [name=certificate_no]", number)
        page.fill("#qual-form [name=issued_on]", issued.isoformat())
        page.fill("#qual-form [name=expires_on]", expires.isoformat())
        with page.expect_navigation():
            page.click("#qual-form button[type=submit]")

    valid_until = today.replace(year=today.year + 3)
    add_certificate("机动车驾驶证（A2）", "DL-000002", dt.date(2021, 5, 1), valid_until)
    add_certificate("应急救援员国家职业资格", "JY-0002", dt.date(2019, 5, 1), today - dt.timedelta(days=10))
    quals = {q.certificate_no: q for q in member.qualifications.all()}
    assert quals["DL-000002"].expires_on == valid_until and quals["JY-0002"].issued_on == dt.date(2019, 5, 1)
    text = page.text_content(row)
    assert valid_until.isoformat() in text and "已过期" in text
    assert "has-expired" in page.get_attribute(row, "class")
    # a certificate expiring before it was issued: refused, naming the field
    add_certificate("高空作业证", "GK-1", dt.date(2024, 1, 1), dt.date(2023, 1, 1))
    assert page.get_attribute(".bo-error", "data-field") == "expires_on"
    assert not Qualification.objects.filter(certificate_no="GK-1").exists()

    # edit: new role, the phone kept (left blank), taken off duty
    page.goto(site["base"] + f"/backoffice/teams/?unit={rescue.pk}")
    page.click(f"{row} .member-edit summary")
    page.fill(f"{row} .edit-member [name=role]", "副队长")
    page.uncheck(f"{row} .edit-member [name=active]")
    page.screenshot(path=str(SHOTS / "crews_teams_edit.png"), full_page=True)
    with page.expect_navigation():
        page.click(f"{row} .edit-member button[type=submit]")
    member.refresh_from_db()
    assert (member.role, member.phone, member.active) == ("副队长", "13909385002", False)
    assert "副队长" in page.text_content(row) and "不在岗" in page.text_content(row)
    # a second member of the same name on the team: refused, naming the field
    page.click(f"{row} .member-edit summary")
    page.fill(f"{row} .edit-member [name=name]", "邓志远")
    with page.expect_navigation():
        page.click(f"{row} .edit-member button[type=submit]")
    assert page.get_attribute(".bo-error", "data-field") == "name"
    member.refresh_from_db()
    assert member.name == "马晓东"

    # the changes survive a reload and are audited
    page.goto(site["base"] + f"/backoffice/teams/?unit={rescue.pk}")
    assert "副队长" in page.text_content(row) and "DL-000002" in page.text_content(row)
    saves = audit_rows("team_member.save", member)
    assert [s.actor for s in saves] == [commander, commander]
    assert saves[0].before is None and saves[0].after["phone"] == "139****5002"
    assert (saves[1].before["role"], saves[1].after["role"]) == ("驾驶员", "副队长")
    assert saves[1].after["active"] is False
    added = [a for q in quals.values() for a in audit_rows("qualification.add", q)]
    assert sorted(a.after["certificate_no"] for a in added) == ["DL-000002", "JY-0002"]
    page.screenshot(path=str(SHOTS / "crews_teams.png"), full_page=True)

    # remove: the confirmation box is required, then the member and their certificates go
    page.click(f"{row} .member-edit summary")
    page.click(f"{row} .remove-member button[type=submit]")
    assert TeamMember.objects.filter(pk=member.pk).exists()  # the browser held the unchecked form back
    page.check(f"{row} .remove-member [name=confirm]")
    with page.expect_navigation():
        page.click(f"{row} .remove-member button[type=submit]")
    assert page.query_selector(row) is None and "马晓东" not in page.text_content("#member-table")
    assert not TeamMember.objects.filter(pk=member.pk).exists()
    assert not Qualification.objects.filter(certificate_no__in=["DL-000002", "JY-0002"]).exists()
    (removed,) = audit_rows("team_member.remove", member)
    assert removed.actor == commander and removed.before["name"] == "马晓东"
    assert removed.before["phone"] == "139****5002"
    assert sorted(q["certificate_no"] for q in removed.before["qualifications"]) == ["DL-000002", "JY-0002"]
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_pages_in_both_languages(site, browser, lang):
    page = tab_for(browser, site, site["commander"], lang=lang)
    open_units(page, site)
    page.click("[data-view=roster]")
    page.click(f"#roster-body tr[data-unit='{site['rescue'].pk}'] [data-action=crew]")
    page.wait_for_selector("#crew-dialog:not([hidden])")
    page.screenshot(path=str(SHOTS / f"crews_units_dialog_{lang}.png"))
    english = lang == "en"
    assert ("Edit crew" if english else "编辑人员") in page.text_content("#crew-title")
    page.goto(site["base"] + f"/backoffice/teams/?unit={site['rescue'].pk}")
    page.click("#member-table .member-edit summary")
    assert ("Remove member" if english else "移除队员") in page.text_content("#member-table")
    assert ("Register member" if english else "登记队员") in page.text_content(".forms-row")
    page.screenshot(path=str(SHOTS / f"crews_teams_{lang}.png"), full_page=True)
    assert page.errors == []
    page.context.close()
