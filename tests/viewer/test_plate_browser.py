"""The scan page in a real headless Chromium at a phone's size (360 × 740):
renders in both languages, never loads anything from off the machine, and
keeps a screenshot of each language under artifacts/screenshots/."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.csp_watch import watch_csp
from tests.viewer.browser_kit import PHONE, SHOTS, persistent_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def browser_page(tmp_path):
    refused: list[str] = []
    with persistent_chromium(tmp_path / "profile", **PHONE) as context:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        watch_csp(page, refused)
        yield page, requests
    assert refused == [], refused


@pytest.mark.parametrize("lang,expect", [("zh-hans", "附近服务网点"), ("en", "Service points nearby")])
def test_scan_page_on_a_phone(live_server, plate_city, browser_page, lang, expect):
    page, requests = browser_page
    plate = plate_city["plate"]
    resp = page.goto(f"{live_server.url}/P/{plate.code}?lang={lang}", wait_until="networkidle")
    assert resp.status == 200
    assert expect in page.inner_text("main")
    assert page.inner_text("#plate-code").replace("-", "") == plate.code
    # nothing is wider than the phone: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("svg.map").count() == 1
    total = page.evaluate("performance.getEntriesByType('navigation')[0].transferSize + "
                          "performance.getEntriesByType('resource').reduce((a, r) => a + r.transferSize, 0)")
    assert total < 150_000
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "zh" if lang == "zh-hans" else "en"
    page.screenshot(path=str(SHOTS / f"plate_scan_{suffix}.png"), full_page=True)
    page.screenshot(path=str(SHOTS / f"plate_scan_{suffix}_top.png"))
    hosts = {urlparse(u).hostname for u in requests if u.startswith("http")}
    assert hosts == {"127.0.0.1"} or hosts == {"localhost"}, hosts


def test_report_from_the_phone(live_server, plate_city, browser_page):
    page, requests = browser_page
    plate = plate_city["plate"]
    page.goto(f"{live_server.url}/P/{plate.code}?lang=zh-hans")
    page.select_option("#r-category", "lighting")
    page.fill("#r-description", "楼前路灯不亮已经三天了")
    page.click("#report button[type=submit]")
    page.wait_for_selector("#tracking-code")
    assert "上报成功" in page.inner_text("main")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "plate_scan_report_done.png"))
    hosts = {urlparse(u).hostname for u in requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
