"""The audit log viewer in headless Chromium (issue 12 §1 "Audit log viewer"): a commander reveals
an expert's phone on the experts page (a sensitive read), then the auditor filters the trail by
user, action, object and time, exports the filtered rows as CSV (the export is itself audited),
reads the page in English; a planner is refused.  Screenshots: artifacts/screenshots/audit_*.png.

The server is another thread, so the records are committed and the database flushed afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from cim import roles
from tests import factories
from tests.viewer.browser_kit import SHOTS, signed_in_page, site_fixture

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1400, "height": 900}
OLD_DAY = dt.date(2026, 3, 2)


def _seed():
    from cim.models import AuditLog
    from cim.services.audit import audit_record
    from emergency.services import personnel as svc

    expert = svc.expert_save(by="seed", name="魏国栋", fields=["hazchem"], organisation="甘肃省化工研究院",
                             title="研究员", phone="13909382001", synthetic=True)
    with transaction.atomic():
        old = audit_record(actor="simulator", action="incident.create", object_type="emergency.incident",
                           object_id="3", after={"title": "民主路火情"})
    AuditLog.objects.filter(pk=old.pk).update(
        at=timezone.make_aware(dt.datetime.combine(OLD_DAY, dt.time(10, 30))))
    return {"auditor": factories.user(roles.AUDITOR, "auditor_shen"),
            "commander": factories.user(roles.COMMANDER, "commander_wei"),
            "planner": factories.user(roles.PLANNER, "planner_li"), "expert": expert}


site = site_fixture(_seed)


def tab_for(browser, site, user, *, lang: str = "zh-hans"):
    return signed_in_page(browser, site["base"], user, lang=lang, viewport=VIEWPORT, timeout_ms=30000)


def actions_shown(page) -> list[str]:
    return page.eval_on_selector_all(".audit-table tbody code", "els => els.map(e => e.textContent)")


def filter_by(page, **values) -> None:
    """Fill the filter form as a user would (every field, empty ones cleared) and submit it."""
    for name in ("actor", "action", "object_type", "object_id", "since", "until"):
        page.fill(f".audit-filters input[name={name}]", values.get(name, ""))
    with page.expect_navigation():
        page.click(".audit-filters button[type=submit]")


def test_auditor_filters_exports_and_sees_sensitive_reads(site, browser, orm):
    from cim.models import AuditLog

    expert = site["expert"]
    # a sensitive read made through the UI: the commander shows an expert's phone
    commander = tab_for(browser, site, site["commander"])
    commander.goto(site["base"] + "/backoffice/experts/")
    commander.click('tr:has-text("魏国栋") button.reveal')
    commander.wait_for_selector('tr:has-text("魏国栋") .ph.shown')
    assert commander.errors == []
    commander.context.close()

    page = tab_for(browser, site, site["auditor"])
    page.goto(site["base"] + "/audit/")
    shown = actions_shown(page)
    assert {"expert.phone.read", "expert.save", "incident.create"} <= set(shown)
    # by user
    filter_by(page, actor="commander_wei")
    assert actions_shown(page) == ["expert.phone.read"]
    row = page.text_content(".audit-table tbody tr")
    assert "commander_wei" in row and f"emergency.expert {expert.pk}" in row
    # by action (a prefix ending in "."), by object
    filter_by(page, action="expert.")
    assert sorted(actions_shown(page)) == ["expert.phone.read", "expert.save"]
    filter_by(page, object_type="emergency.incident", object_id="3")
    assert actions_shown(page) == ["incident.create"]
    page.click(".audit-table details summary")
    assert "民主路火情" in page.text_content(".audit-table details pre")
    # by time: the old row alone on its day, left out from today on
    filter_by(page, since=OLD_DAY.isoformat(), until=OLD_DAY.isoformat())
    assert actions_shown(page) == ["incident.create"]
    filter_by(page, since=timezone.localdate().isoformat())
    assert "incident.create" not in actions_shown(page) and "expert.phone.read" in actions_shown(page)
    # the filter survives into the CSV export (a user name with "&" must not break the query)
    filter_by(page, actor="commander_wei", action="expert.phone.read")
    page.screenshot(path=str(SHOTS / "audit_filtered.png"), full_page=True)
    with page.expect_download() as download:
        page.click(".audit-filters a.button")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["at", "actor", "action"]
    assert [(r[1], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("commander_wei", "expert.phone.read", "emergency.expert", str(expert.pk))]
    export = AuditLog.objects.get(action="audit.export")
    assert export.actor == site["auditor"]
    assert export.after == {"actor": "commander_wei", "action": "expert.phone.read"}
    # a bad date from a hand-edited address: 400 with the field named, no rows
    response = page.goto(site["base"] + "/audit/?since=yesterday")
    assert response.status == 400
    assert "since" in page.text_content(".audit .error") and actions_shown(page) == []
    assert page.errors == []
    page.context.close()


def test_filter_values_are_encoded_in_links(site, browser, orm):
    """Pager and export links carry the filters URL-encoded: an actor filter holding "&" or "#"
    must reach the export unchanged."""
    page = tab_for(browser, site, site["auditor"])
    page.goto(site["base"] + "/audit/")
    filter_by(page, actor="a&b #1")
    href = page.get_attribute(".audit-filters a.button", "href")
    assert "actor=a%26b+%231" in href or "actor=a%26b%20%231" in href
    page.context.close()


def test_in_english_and_refused_to_other_roles(site, browser):
    page = tab_for(browser, site, site["auditor"], lang="en")
    page.goto(site["base"] + "/audit/")
    assert page.title().startswith("Audit log")
    assert "Export CSV" in page.text_content(".audit-filters")
    page.screenshot(path=str(SHOTS / "audit_en.png"), full_page=True)
    assert page.errors == []
    page.context.close()
    for user in (site["planner"], site["commander"]):
        tab = tab_for(browser, site, user)
        assert tab.goto(site["base"] + "/audit/").status == 403
        assert tab.goto(site["base"] + "/audit/export.csv").status == 403
        tab.context.close()
