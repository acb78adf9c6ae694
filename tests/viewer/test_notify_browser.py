"""Issue 14 in headless Chromium: a department user works a joint task in
the inbox (签收 → 受领 → 进展 → 办结); a resident's scan page shows the
warning of the alert over their address at the top, in Chinese and English;
the resident subscribes to the address's warnings and opts out again.
Screenshots: artifacts/screenshots/notify_*.png."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from cim import roles
from cim.services.addresses import address_point
from tests.csp_watch import watch_csp
from tests.emergency.conftest import grid_city, incident_at, user_with  # noqa: F401  (fixtures)
from tests.viewer.browser_kit import PHONE, SHOTS, chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def browser(tmp_path):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright runs an event loop in this thread
    with chromium() as launched:
        yield launched


def _page(browser, *, phone: bool, refused: list, requests: list):
    if phone:
        context = browser.new_context(**PHONE, locale="zh-CN")
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30000)
    page.on("request", lambda r: requests.append(r.url))
    watch_csp(page, refused)
    return page


def test_department_user_works_a_task_in_the_inbox(live_server, grid_city, incident_at, user_with,  # noqa: F811
                                                    browser):
    from cim.models import Department, StaffProfile
    from emergency.services import agency_task_send

    police, _ = Department.objects.get_or_create(code="gaj", defaults={"name": "公安局", "kind": "police",
                                                                      "own_work_only": True})
    officer = user_with(roles.DISPATCHER, "gaj_duty")
    StaffProfile.objects.create(user=officer, department=police)
    incident = incident_at(105.70, 34.57, title="民主路仓库火灾")
    task = agency_task_send(incident=incident, department=police, title="封闭民主路东段并疏导交通",
                            by=user_with(roles.COMMANDER))
    refused, requests = [], []
    page = _page(browser, phone=False, refused=refused, requests=requests)
    sign_in(page.context, live_server.url, officer)
    page.goto(f"{live_server.url}/inbox/")
    card = page.locator(f"#task-{task.pk}")
    assert "封闭民主路东段并疏导交通" in card.inner_text() and card.get_attribute("data-state") == "sent"
    assert page.inner_text("#open-count") == "1"
    assert "联动任务：封闭民主路东段并疏导交通" in page.inner_text("#inbox-messages")  # the in-app message
    card.locator("button[value=acknowledge]").click()
    page.wait_for_selector(f"#task-{task.pk}[data-state=acknowledged]")
    page.locator(f"#task-{task.pk} button[value=accept]").click()
    page.wait_for_selector(f"#task-{task.pk}[data-state=accepted]")
    page.fill(f"#task-{task.pk} input[name=progress]", "50")
    page.fill(f"#task-{task.pk} input[name=note]", "东段已封闭，正在设置绕行指示")
    page.locator(f"#task-{task.pk} button[value=progress]").click()
    page.wait_for_selector(f"#task-{task.pk}[data-state=in_progress]")
    assert "东段已封闭" in page.inner_text(f"#task-{task.pk}")
    page.screenshot(path=str(SHOTS / "notify_inbox.png"), full_page=True)
    page.locator(f"#task-{task.pk} button[value=done]").click()
    page.wait_for_selector(f"#task-{task.pk}[data-state=done]")
    assert page.inner_text("#open-count") == "0"
    texts = list(incident.timeline.filter(kind="task").values_list("text", flat=True))
    assert any(t.startswith("公安局 处置中") for t in texts)
    assert any(t.startswith("公安局 已完成") for t in texts)
    assert refused == []
    assert {urlparse(u).hostname for u in requests if u.startswith("http")} <= {"127.0.0.1", "localhost"}


@pytest.fixture
def warned_plate(plate_city, user_with):  # noqa: F811
    from emergency.services import alert_issue

    plate = plate_city["plate"]
    here = address_point(plate.address)
    area = MultiPolygon(Polygon.from_bbox((here.x - 0.001, here.y - 0.001, here.x + 0.001, here.y + 0.001)),
                        srid=4326)
    alert_issue(by=user_with(roles.COMMANDER), headline="暴雨红色预警", event="暴雨", category="Met",
                description="预计未来3小时降雨量将达100毫米以上，城区可能出现内涝。", severity="Extreme",
                instruction="请立即停止户外活动，低洼地带居民转移到高处，远离河道。", area=area,
                area_desc="秦州区大城街道")
    return plate


@pytest.mark.parametrize(("lang", "todo"), [("zh-hans", "您需要做什么"), ("en", "What you should do")])
def test_scan_page_shows_the_warning_at_the_top(live_server, warned_plate, browser, lang, todo):
    refused, requests = [], []
    page = _page(browser, phone=True, refused=refused, requests=requests)
    page.goto(f"{live_server.url}/P/{warned_plate.code}?lang={lang}")
    warning = page.locator(".public-warning").first
    assert "暴雨红色预警" in warning.inner_text() and todo in warning.inner_text()
    assert warning.bounding_box()["y"] < page.locator(".plate-card").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / f"notify_scan_warning_{lang[:2]}.png"))
    assert refused == []
    assert {urlparse(u).hostname for u in requests if u.startswith("http")} <= {"127.0.0.1", "localhost"}


def test_resident_subscribes_from_the_scan_page_and_opts_out(live_server, warned_plate, browser):
    from emergency.models import AlertSubscription

    refused, requests = [], []
    page = _page(browser, phone=True, refused=refused, requests=requests)
    page.goto(f"{live_server.url}/P/{warned_plate.code}?lang=zh-hans")
    page.fill("#sub-phone", "13912345678")
    page.check("#subscribe input[name=consent]")
    page.click("#subscribe-submit")
    page.wait_for_selector("text=订阅成功")
    body = page.inner_text("main")
    assert "139****5678" in body and "13912345678" not in body
    page.screenshot(path=str(SHOTS / "notify_subscribed.png"))
    sub = AlertSubscription.objects.get()
    assert sub.active and sub.address == warned_plate.address
    page.goto(f"{live_server.url}/alerts/unsubscribe/{sub.token}/")
    page.click("#unsubscribe-confirm")
    page.wait_for_selector("text=已退订")
    sub.refresh_from_db()
    assert not sub.active
    assert refused == []
