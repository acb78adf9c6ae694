"""The plates back office and the service catalogue editor in a real headless
Chromium (issue 12 §1): search a plate, replace it, download a print sheet,
edit a service item and preview the scan page with the draft.  Screenshots
go to artifacts/screenshots/; nothing may leave the machine and the CSP
must hold (no refusals)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from cim import roles
from cim.choices import PlateStatus
from cim.models import CatalogueVersion, PlateAlert, PlateScanDay
from cim.plates import codes
from tests.csp_watch import watch_csp
from tests.viewer.browser_kit import PLAIN_ARGS, SHOTS, persistent_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_plates_and_catalogue_back_office(test_database, live_server, plate_city, make_user, tmp_path,
                                          monkeypatch):
    """``test_database``: its teardown waits for the live server's request
    threads (keep-alive sockets) to leave the database before it is dropped."""

    # the test reads the database between page steps, inside Playwright's event loop
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    plate = plate_city["plate"]
    today = timezone.localdate()
    for i, n in enumerate((3, 0, 5, 12, 8, 2, 0, 0, 9, 14, 21, 6)):
        PlateScanDay.objects.create(plate=plate, day=today - dt.timedelta(days=i * 2), scans=n,
                                    clients=max(1, n - 2))
    PlateAlert.objects.create(plate=plate, kind="resident_flag", comment="二维码贴纸边缘翘起，像是后贴的")
    admin = make_user(roles.ADMIN, "bo_admin")
    base = live_server.url
    with persistent_chromium(tmp_path / "profile", PLAIN_ARGS, viewport={"width": 1366, "height": 900},
                             accept_downloads=True, locale="zh-CN") as context:
        sign_in(context, base, admin)
        page = context.new_page()
        requests: list[str] = []
        refused: list[str] = []
        context.on("request", lambda req: requests.append(req.url))
        watch_csp(page, refused)

        # search by the code as printed (with dashes), open the plate
        page.goto(f"{base}/backoffice/plates/")
        page.fill("#q", codes.pretty(plate.code))
        page.click("#plate-search button[type=submit]")
        page.click(f"#plate-results a:has-text('{codes.pretty(plate.code)}')")
        page.wait_for_selector("#plate-code")
        assert page.inner_text("#plate-code") == codes.pretty(plate.code)
        assert "二维码贴纸边缘翘起" in page.inner_text("#alerts")
        assert page.locator("#scans rect.bar").count() == 60
        page.screenshot(path=str(SHOTS / "backoffice_plate_detail.png"), full_page=True)

        # replace it (lost), with a reason
        page.fill("#replace-reason", "门牌丢失")
        page.click("#replace-form button[type=submit]")
        page.wait_for_selector("#flash")
        plate.refresh_from_db()
        assert plate.status == PlateStatus.REPLACED and plate.replaced_by is not None
        new_code = plate.replaced_by.code
        assert page.inner_text("#plate-code") == codes.pretty(new_code)
        assert codes.pretty(new_code) in page.inner_text("#flash")
        page.screenshot(path=str(SHOTS / "backoffice_plate_replaced.png"), full_page=True)

        # the community's print sheet as a download
        page.goto(f"{base}/backoffice/plates/?q=民主路")
        page.fill("#sheet-community", plate_city["community"].code)
        page.screenshot(path=str(SHOTS / "backoffice_plates_search.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#sheet-form button[type=submit]")
        download = info.value
        path = download.path()
        assert download.suggested_filename == f"plates-{plate_city['community'].code}-medium.pdf"
        assert Path(path).read_bytes()[:4] == b"%PDF"

        # edit a service item: a new version, not yet published
        page.goto(f"{base}/backoffice/catalogue/")
        page.click("#edit-id-card")
        page.fill("#f-name", "居民身份证申领（可预约）")
        page.fill("#f-hours", "周一至周六 9:00–12:00, 13:30–17:30")
        page.click("#item-save")
        page.wait_for_selector(".bo-flash")
        latest = CatalogueVersion.objects.order_by("-number").first()
        assert latest.number == 2 and not latest.published
        assert "居民身份证申领（可预约）" in page.inner_text("#items")
        page.screenshot(path=str(SHOTS / "backoffice_catalogue.png"), full_page=True)

        # preview the scan page with the draft (a new tab), as a resident would see it
        with context.expect_page() as opened:
            page.click(f"#preview-{latest.number}")
        preview = opened.value
        watch_csp(preview, refused)
        preview.wait_for_load_state()
        preview.set_viewport_size({"width": 390, "height": 844})
        preview.click("#item-id-card summary")
        assert "居民身份证申领（可预约）" in preview.inner_text("main")
        assert "周一至周六 9:00–12:00, 13:30–17:30" in preview.inner_text("#item-id-card")
        preview.screenshot(path=str(SHOTS / "backoffice_catalogue_preview.png"), full_page=True)

        page.goto(f"{base}/backoffice/catalogue/?tab=guide")
        page.screenshot(path=str(SHOTS / "backoffice_catalogue_guide.png"), full_page=True)
    assert refused == [], refused
    hosts = {urlparse(u).hostname for u in requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
