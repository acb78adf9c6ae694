#!/usr/bin/env python
"""The three journeys on the running demo (after `make demo`), in headless Chromium:

* resident: a door plate of the demo city scanned on a phone-sized screen (`/P/<code>`);
* planner: `/viewer/` loads the whole demo city, a search finds a building by its
  standard address, the camera flies there and the building's panel opens;
* commander: `/console/` shows every unit of the demo on the map with a live feed, and
  the operations dashboard draws its charts.

    .venv/bin/python scripts/demo_smoke.py [--url http://127.0.0.1:8000]

Reads the demo database (DATABASE_URL, dev settings) only to choose a plate and an
address; everything else goes through the server as a user would.  Screenshots:
artifacts/screenshots/demo_*.png.  Exit status 1 when a journey fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


sys.path.insert(0, str(ROOT / "scripts"))
from bench_first_view import login  # noqa: E402  (the same sign-in form)


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def pick_demo_data() -> dict:
    """An installed or issued plate and a residential door address with a building."""
    from cim.models import Address, Building, Plate
    from emergency.models import Unit

    plate = (Plate.objects.filter(status__in=["issued", "installed"]).select_related("address")
             .order_by("code").first())
    door = (Address.objects.filter(kind="door", building__isnull=False, building__use="residential")
            .select_related("building", "parent").order_by("code")[500:501].first())
    if plate is None or door is None:
        sys.exit("the demo city has no plates or addresses: run `make demo` first")
    return {"plate": plate.code, "plate_address": plate.address.full_name, "door": door.full_name,
            "door_short": f"{door.parent.label}{door.label}", "building": door.building_id,
            "units": Unit.objects.count(),
            "synthetic": Building.objects.filter(synthetic=True).exists()}


def wait(page, expression: str, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(400)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def local_only(urls: list[str]) -> None:
    outside = sorted({u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:"))
                      and urlparse(u).hostname not in ("127.0.0.1", "localhost")})
    assert not outside, f"requests left the machine: {outside[:5]}"


def resident(browser, base: str, data: dict) -> str:
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    answer = page.goto(f"{base}/P/{data['plate']}")
    assert answer and answer.status == 200, f"scan page answered {answer and answer.status}"
    text = page.text_content("body") or ""
    assert data["plate"] in text.replace(" ", "").replace("-", ""), "the plate code is not shown"
    assert page.evaluate("document.documentElement.scrollWidth <= 360"), "the page is wider than the phone"
    page.screenshot(path=str(SHOTS / "demo_resident_scan.png"), full_page=True)
    local_only(urls)
    context.close()
    return f"plate {data['plate']}: {data['plate_address']}"


def signed_in_page(browser, base: str, role: str, viewport: dict):
    """A fresh context signed in as the demo user of ``role``; the page records every request,
    WebSocket and script error."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    login(context, base, role, f"tianshui-{role}-demo")
    page = context.new_page()
    page.set_default_timeout(240000)
    urls: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, urls, errors


def planner(browser, base: str, data: dict) -> str:
    context, page, urls, errors = signed_in_page(browser, base, "planner", {"width": 1280, "height": 800})
    started = time.monotonic()
    page.goto(f"{base}/viewer/")
    wait(page, "window.cimViewer !== undefined", 60, "the viewer script")
    page.evaluate("cimViewer.ready")
    page.evaluate("cimViewer.tilesLoaded")
    page.evaluate("cimViewer.layersLoaded")
    loaded = time.monotonic() - started
    if data["synthetic"]:
        assert page.is_visible("#synthetic-badge"), "the synthetic-data badge is missing"
    page.screenshot(path=str(SHOTS / "demo_planner_city.png"))
    page.fill("#search-input", data["door_short"])
    wait(page, "document.querySelectorAll('#search-results li').length > 0", 60, "search results")
    wanted = page.locator("#search-results li", has_text=data["door_short"]).first
    wanted.click()
    page.wait_for_function("cimViewer.search.lastFlight !== null")
    page.evaluate("cimViewer.search.lastFlight")
    wait(page, "cimViewer.selectedBuildingId !== null && cimViewer.selectedBuildingId !== undefined", 90,
         "the building selected")
    selected = page.evaluate("String(cimViewer.selectedBuildingId)")
    assert selected == str(data["building"]), f"selected building {selected}, expected {data['building']}"
    wait(page, "cimViewer.tileset.tilesLoaded", 180, "the tiles around the building")
    page.screenshot(path=str(SHOTS / "demo_planner_search.png"))
    assert not errors and page.evaluate("cimViewer.state.errors") == [], errors
    local_only(urls)
    context.close()
    return f"city loaded in {loaded:.0f} s; search “{data['door_short']}” → building {selected}"


def commander(browser, base: str, data: dict) -> str:
    context, page, urls, errors = signed_in_page(browser, base, "commander", {"width": 1600, "height": 900})
    page.goto(f"{base}/console/")
    wait(page, "window.cimConsole !== undefined", 60, "the console script")
    page.evaluate("cimConsole.ready")
    wait(page, "cimConsole.live.state === 'live'", 60, "the live feed")
    shown = page.evaluate("cimConsole.map.units.size")
    assert shown == data["units"], f"{shown} units on the map, {data['units']} in the database"
    page.evaluate("cimConsole.idle(240000)")
    page.screenshot(path=str(SHOTS / "demo_console.png"))
    page.goto(f"{base}/dashboard/")
    wait(page, "window.cimDashboard !== undefined", 60, "the dashboard script")
    page.evaluate("cimDashboard.ready")
    wait(page, "cimDashboard.data.incidents && cimDashboard.data.plates && cimDashboard.data.supplies", 90,
         "the dashboard's figures")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "demo_dashboard.png"))
    assert not errors, errors
    local_only(urls)
    context.close()
    return f"{shown} units on the console, live feed up; dashboard drawn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    django_setup()
    data = pick_demo_data()
    SHOTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    failed = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, journey in (("resident", resident), ("planner", planner), ("commander", commander)):
            started = time.monotonic()
            try:
                outcome = journey(browser, args.url.rstrip("/"), data)
                print(f"ok    {name:<10} {time.monotonic() - started:6.1f} s  {outcome}")
            except Exception as exc:  # noqa: BLE001  (report every journey, then fail)
                failed += 1
                print(f"FAIL  {name:<10} {time.monotonic() - started:6.1f} s  {exc}")
        browser.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
