"""The resident's journey in headless Chromium through the deployed topology:
nginx over HTTPS (self-signed certificate) in front of gunicorn with the
production settings.  The page's static files come from nginx itself, the
report form posts through nginx (CSRF over HTTPS, secure cookies) and nothing
is loaded from off the machine.  Screenshot: artifacts/screenshots/deploy_plate_scan*.png."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.csp_watch import watch_csp
from tests.viewer.browser_kit import PHONE, PLAIN_ARGS, SHOTS, persistent_chromium

pytestmark = [pytest.mark.browser, pytest.mark.deploy, pytest.mark.slow]

@pytest.fixture
def phone(tmp_path):
    refused: list[str] = []
    # ignore_https_errors: the entrypoint's self-signed certificate
    with persistent_chromium(tmp_path / "profile", PLAIN_ARGS, **PHONE, ignore_https_errors=True) as context:
        page = context.new_page()
        responses = []
        page.on("response", lambda r: responses.append(r))
        watch_csp(page, refused)
        yield page, responses
    assert refused == [], refused


def test_scan_and_report_through_nginx(topology, site, phone):
    page, responses = phone
    resp = page.goto(f"{topology.base}/P/{site.plate_code}?lang=zh-hans", wait_until="networkidle")
    assert resp.status == 200 and page.url.startswith("https://")
    assert "附近服务网点" in page.inner_text("main")
    assert page.inner_text("#plate-code").replace("-", "") == site.plate_code
    static = [r for r in responses if urlparse(r.url).path.startswith("/static/")]
    assert static, "the page loads its stylesheet"
    assert all(r.status == 200 and r.headers.get("x-served-by") == "nginx" for r in static)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "deploy_plate_scan.png"), full_page=True)

    page.select_option("#r-category", "lighting")
    page.fill("#r-description", "楼前路灯不亮已经三天了")
    page.click("#report button[type=submit]")
    page.wait_for_selector("#tracking-code", timeout=20_000)
    assert "上报成功" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "deploy_plate_scan_report.png"))
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert all(c["secure"] for c in cookies.values()), cookies  # production settings over HTTPS
    hosts = {urlparse(r.url).hostname for r in responses if r.url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
