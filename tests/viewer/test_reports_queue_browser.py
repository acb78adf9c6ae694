"""The residents' report queue in a real headless Chromium (issue 12 §1): a
街道/社区 worker signs in, filters, opens a report, claims it and replies; the
reply is on the resident's /track/ page; a second worker meets the claim (409,
shown in the page); a dispatcher escalates the report into an incident with
one action.  No CSP refusal, no script error; screenshots under
artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cim.models import PublicReport
from cim.services.reports import report_create
from emergency.models import Incident
from tests.csp_watch import watch_csp
from tests.viewer import browser_kit as kit
from tests.viewer.browser_kit import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def chromium(tmp_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # between page steps are plain synchronous calls all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with kit.chromium(kit.PLAIN_ARGS) as browser:
        yield browser


def _tab(browser, errors: list, *, user=None, base: str = ""):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    if user:
        kit.sign_in(context, base, user)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    watch_csp(page, errors)
    return page




def _photo():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 420), (38, 44, 58))
    draw = ImageDraw.Draw(img)
    draw.rectangle((300, 40, 340, 380), fill=(90, 96, 110))  # a lamp post at dusk
    draw.ellipse((270, 20, 370, 90), fill=(70, 70, 60))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return SimpleUploadedFile("lamp.jpg", buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def queue(plate_city, make_user, media_root):
    """Three reports at a plate's door (one five hours old: past its response
    deadline) and the staff, all committed before the browser starts."""
    door, plate = plate_city["door"], plate_city["plate"]
    lamp = report_create(address=door, plate=plate, category="lighting", client="c1",
                         description="楼前路灯不亮已经三天了，晚上回家很不安全", reporter_name="李桂英",
                         reporter_phone="13712345678", photo=_photo())
    hole = report_create(address=door, plate=plate, category="road", client="c2",
                         description="民主路人行道井盖缺失，已有老人差点摔倒", reporter_phone="13698765432")
    PublicReport.objects.filter(pk=hole.pk).update(created_at=timezone.now() - timedelta(hours=5))
    report_create(address=door, plate=plate, category="sanitation", client="c3",
                  description="小区门口垃圾桶满溢两天没人清运")
    worker = make_user("community", "jinbu_grid")
    return {"door": door, "lamp": lamp, "hole": hole, "worker": worker,
            "other": make_user("community", "other_grid"), "dispatcher": make_user("dispatcher", "disp_wang")}


def test_community_worker_works_a_report_and_a_dispatcher_escalates(live_server, queue, chromium):
    door, lamp, hole = queue["door"], queue["lamp"], queue["hole"]
    errors: list[str] = []
    base = live_server.url

    # sign in through the form, land on the queue
    page = _tab(chromium, errors)
    page.goto(f"{base}/backoffice/reports/")
    page.fill("input[name=username]", "jinbu_grid")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_selector("#rq-table")
    assert page.locator("#rq-table tbody tr").count() == 3
    assert "137****5678" in page.inner_text("#rq-table") and "13712345678" not in page.content()
    overdue_row = page.locator(f"tr[data-report='{hole.pk}']")
    assert "已超时" in overdue_row.inner_text()
    badge = overdue_row.locator(".sla-badge")
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(209, 36, 47)"
    # the three reports share one door: one pin, red because one of them is overdue
    pin = page.locator("#rq-map svg circle")
    assert pin.count() == 1 and pin.get_attribute("fill") == "#d1242f"
    assert page.text_content("#rq-map svg g text") == "1+"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports_queue.png"), full_page=True)

    # filter: overdue only, then a category
    page.check("input[name=overdue]")
    page.click("#rq-filters button[type=submit]")
    page.wait_for_url("**overdue=1**")
    assert page.locator("#rq-table tbody tr").count() == 1
    assert hole.tracking_code in page.inner_text("#rq-table")
    page.goto(f"{base}/backoffice/reports/")
    page.select_option("select[name=category]", "lighting")
    page.click("#rq-filters button[type=submit]")
    page.wait_for_url("**category=lighting**")
    assert page.locator("#rq-table tbody tr").count() == 1

    # open it, reveal the contact (audited), claim, reply
    page.click(f"a.code:has-text('{lamp.tracking_code}')")
    page.wait_for_selector("#report-status")
    assert "李**" in page.inner_text("#contact")
    page.click("#reveal")
    page.wait_for_selector("#contact:has-text('13712345678')")
    assert page.locator("img.photo").evaluate("img => img.complete && img.naturalWidth") == 640
    page.click("button[data-action=claim]")
    page.wait_for_selector("#reply-form")
    assert page.inner_text("#report-holder") == "jinbu_grid"
    page.fill("#reply-text", "已通知路灯维护单位，今晚前修复")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#timeline .note:has-text('已通知路灯维护单位')")
    page.screenshot(path=str(SHOTS / "reports_detail_community.png"), full_page=True)
    assert page.locator("#escalate-form").count() == 0  # 社区 staff cannot create incidents

    # the resident sees the reply on the tracking page
    track = _tab(chromium, errors)
    track.goto(f"{base}/track/{lamp.tracking_code}/")
    assert "已通知路灯维护单位，今晚前修复" in track.inner_text("#track-timeline")

    # a second worker meets the claim: a 409 shown in words
    page2 = _tab(chromium, errors, user=queue["other"], base=base)
    page2.goto(f"{base}/backoffice/reports/{hole.pk}/")
    page.goto(f"{base}/backoffice/reports/{hole.pk}/")
    page.click("button[data-action=claim]")
    page.wait_for_selector("#reply-form")
    page2.click("button[data-action=claim]")  # page2 was opened before the claim
    page2.wait_for_selector("#rq-message.error")
    assert "已由其他工作人员认领" in page2.inner_text("#rq-message")
    page2.screenshot(path=str(SHOTS / "reports_detail_conflict.png"))

    # a dispatcher escalates the lamp report with one action
    # (the worker first gives the lamp report back to the queue)
    page.goto(f"{base}/backoffice/reports/{lamp.pk}/")
    page.click("button[data-action=release]")
    page.wait_for_selector("button[data-action=claim]")
    desk = _tab(chromium, errors, user=queue["dispatcher"], base=base)
    desk.goto(f"{base}/backoffice/reports/{lamp.pk}/")
    desk.select_option("#incident-type", "fire")
    desk.click("#escalate-form button[type=submit]")
    desk.wait_for_selector("#report-incident")
    incident = Incident.objects.get()
    assert incident.number in desk.inner_text("#report-incident")
    assert incident.external_ref == lamp.tracking_code and incident.address_id == door.pk
    assert incident.attachments.get().kind == "photo"  # the resident's photo went with it
    desk.screenshot(path=str(SHOTS / "reports_detail_escalated.png"), full_page=True)
    track.goto(f"{base}/track/{lamp.tracking_code}/")
    assert incident.number in track.inner_text("#track-timeline")
    assert errors == [], errors
