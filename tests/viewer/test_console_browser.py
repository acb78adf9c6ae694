"""The command console in headless Chromium (SwiftShader WebGL), end to end: a commander takes
an incident on the map, verifies it, activates the plan, meets a 409 when another commander took
a recommended unit first, sends the units (routes on the map), requests and moves supplies,
draws a 封控区, issues a CAP alert and closes the incident — every step checked in the database,
the page live over a real ASGI server (daphne) on the test database, no request leaving
127.0.0.1.  Screenshots: artifacts/screenshots/console_*.png.

The servers are other threads/processes, so the city is committed: it is built once for the
module (demo city generator on a 1.5 × 1.4 km extent, terrain, 3D Tiles, the emergency seed)
and the database is flushed afterwards, as Django's transactional tests do.  The browser's HTTP
goes to an in-process WSGI server (plain HTTP is WSGI in production too), its WebSocket to the
ASGI process (``tests.emergency.live_support.asgi_server``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from lxml import etree

from cim import roles
from tests import factories
from tests.live_http import live_http_server
from tests.viewer import browser_kit as kit
from tests.viewer.browser_kit import SHOTS, chromium, in_thread, sign_in, watch_errors

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1600, "height": 900}
FIXED_TIME = "Cesium.JulianDate.fromIso8601('2025-06-21T10:00:00+08:00')"
# A part of 秦州's old town on the Ji River (the demo generator's own coordinates).
EXTENT = (105.711, 34.571, 105.727, 34.584)


# --- the committed city and the servers -------------------------------------------------------


@dataclass
class OpsSite:
    base: str
    ws: str
    users: dict = field(default_factory=dict)
    media: Path | None = None


def build_ops_city() -> dict:
    """The demo city on EXTENT with addresses, terrain, 3D Tiles and the emergency seed."""
    from cim.services.terrain_tiles import terrain_build
    from cim.services.tiles import tiles_build

    quiet = open(os.devnull, "w")  # noqa: SIM115  (closed with the process; commands write to it)
    call_command("build_demo_city", extent=",".join(map(str, EXTENT)), verbosity=0, stdout=quiet,
                 stderr=quiet)
    call_command("generate_addresses", stdout=quiet, stderr=quiet)
    call_command("seed_emergency_demo", stdout=quiet, stderr=quiet)
    terrain_build(max_level=14)
    tiles_build()
    return {role: factories.user(role, f"{role}_ops") for role in
            (roles.COMMANDER, roles.DISPATCHER, roles.RESPONDER)} | {
        "commander2": factories.user(roles.COMMANDER, "commander_two")}


def _flush() -> None:
    call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def ops_site(test_database, django_db_blocker, asgi_server, tmp_path_factory):
    """The city (committed), a WSGI server thread for HTTP and the daphne process for /ws/."""
    media = tmp_path_factory.mktemp("ops-media")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright runs an event loop in this thread
    cim = {**settings.CIM, "DEM_DIR": media / "dem", "TILES_DIR": media / "tiles",
           "TERRAIN_DIR": media / "terrain", "WS_URL": asgi_server.url("")}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, CIM=cim):
        _flush()
        try:
            users = build_ops_city()
            with live_http_server() as base:
                yield OpsSite(base=base, ws=asgi_server.url(""),
                              users=users, media=media)
        finally:
            _flush()


# --- the browser ------------------------------------------------------------------------------


@dataclass
class Tab:
    page: object
    requests: list
    sockets: list
    errors: list


def open_tab(browser, site: OpsSite, user, path: str, *, locale: str = "zh-CN", viewport=None) -> Tab:
    """A fresh browser context signed in as ``user`` (own cookies, own user data)."""
    context = browser.new_context(viewport=viewport or VIEWPORT, locale=locale)
    sign_in(context, site.base, user, lang="en" if locale.startswith("en") else None)
    page = context.new_page()
    tab = Tab(page=page, requests=[], sockets=[], errors=watch_errors(page))
    page.set_default_timeout(120000)  # SwiftShader on a busy machine: seconds per frame
    context.on("request", lambda r: tab.requests.append(r.url))
    page.on("websocket", lambda ws: tab.sockets.append(ws.url))
    page.goto(site.base + path)
    return tab


def wait_for(page, expression: str, timeout_s: float = 90, what: str = "") -> object:
    return kit.wait_for(page, expression, timeout_s, what, shot="console")


def settle(page, hook: str = "cimConsole") -> None:
    """The page is loaded, the clock fixed (stable lighting), the map idle, the feed live."""
    wait_for(page, f"window.{hook} !== undefined", 60)
    page.evaluate(f"{hook}.ready")
    page.evaluate(f"""() => {{ const v = {hook}.viewer; v.clock.shouldAnimate = false;
                      v.clock.currentTime = {FIXED_TIME}; v.scene.requestRender(); }}""")
    page.evaluate(f"{hook}.idle(240000)")
    wait_for(page, f"{hook}.live.state === 'live'", 60, "the live feed")


def frame(page, hook: str = "cimConsole", frames: int = 2) -> None:
    """Wait until the scene has drawn ``frames`` new frames (map changes show)."""
    start = page.evaluate(f"{hook}.viewer.scene.frameState.frameNumber")
    wait_for(page, f"({hook}.viewer.scene.requestRender(), "
                   f"{hook}.viewer.scene.frameState.frameNumber >= {start + frames})", 60, "a frame")


T0 = [0.0]


def press(page, selector: str, timeout_s: float = 60) -> None:
    """Click a button once it exists and is enabled.  A DOM click, not a mouse one: under
    SwiftShader animation frames come seconds apart, and Playwright's "stable" check waits for
    frames; the map itself is always clicked with the mouse."""
    wait_for(page, f"(b => !!b && !b.disabled)(document.querySelector({selector!r}))", timeout_s, selector)
    page.evaluate("s => document.querySelector(s).click()", selector)


def shot(page, name: str, hook: str = "cimConsole") -> None:
    frame(page, hook)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    print(f"{time.monotonic() - T0[0]:6.1f} s  {name}.png")


def assert_local(tab: Tab) -> None:
    urls = tab.requests + tab.sockets
    outside = sorted({u for u in urls if not u.startswith(("data:", "blob:"))
                      and urlparse(u).hostname != "127.0.0.1"})
    assert tab.requests and outside == [], f"requests left 127.0.0.1: {outside}"


def rect(page, selector: str) -> dict | None:
    return page.evaluate("""s => { const e = document.querySelector(s); if (!e || e.hidden) return null;
        const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; }""",
                         selector)


def map_point_free(page, lon: float, lat: float, *, avoid: str | None = None) -> dict | None:
    """Page coordinates of a ground point if it lies in the visible map, clear of panels."""
    xy = page.evaluate("([lon, lat]) => cimConsole.toPage(lon, lat)", [lon, lat])
    if not xy:
        return None
    box = rect(page, "#cesium")
    inside = (box["x"] + 20 < xy["x"] < box["x"] + box["width"] - 20
              and box["y"] + 90 < xy["y"] < box["y"] + box["height"] - 70)
    if not inside:
        return None
    if avoid:
        other = rect(page, avoid)
        if other and other["x"] - 10 < xy["x"] < other["x"] + other["width"] + 10 \
                and other["y"] - 10 < xy["y"] < other["y"] + other["height"] + 10:
            return None
    return xy


# --- the journey ------------------------------------------------------------------------------


def _road_points(near: tuple[float, float], n: int = 40) -> list[tuple[float, float]]:
    """Midpoints of the drivable roads nearest to ``near`` (where a caller would stand)."""
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.geos import Point

    from cim.models import RoadSegment

    here = Point(*near, srid=4326)
    rows = (RoadSegment.objects.filter(road_class__in=["primary", "secondary", "tertiary", "residential"])
            .annotate(d=Distance("geom", here)).order_by("d")[:n])
    return [tuple(r.geom.interpolate_normalized(0.5).coords) for r in rows]


def test_commander_walks_an_incident_from_call_to_close(ops_site, orm):
    from django.contrib.gis.geos import Point

    from emergency.models import Alert, Assignment, ControlZone, Incident, SupplyRequest, Unit

    commander = ops_site.users[roles.COMMANDER]
    T0[0] = time.monotonic()
    with chromium() as browser:
        tab = open_tab(browser, ops_site, commander, "/console/")
        page = tab.page
        settle(page)
        assert page.is_visible("#synthetic-badge"), "the demo city is synthetic and must say so"
        assert page.evaluate("cimConsole.map.units.size") == Unit.objects.count()
        assert tab.sockets and tab.sockets[0].startswith(ops_site.ws + "/ws/ops/?after=")
        shot(page, "console_01_overview")

        # 1. A call: new incident, placed by a click on the map next to a road.
        press(page, "#btn-new-incident")
        wait_for(page, "!document.querySelector('#new-incident').hidden"
                       " && cimConsole.map.tool?.kind === 'point'")
        centre = ((EXTENT[0] + EXTENT[2]) / 2, (EXTENT[1] + EXTENT[3]) / 2)
        target = next(((p, xy) for p in _road_points(centre)
                       if (xy := map_point_free(page, *p, avoid="#new-incident"))), None)
        assert target, "no road of the city centre is in the free part of the map"
        (lon, lat), xy = target
        page.mouse.click(xy["x"], xy["y"])
        wait_for(page, "cimConsole.map.tool === null && !!document.querySelector('#ni-location:not(.muted)')")
        form = page.locator("#new-incident")
        form.locator("[name=title]").fill("建设路居民楼火灾")
        form.locator("[name=incident_type]").select_option("fire")
        assert form.locator("[name=category]").input_value() == "accident", "the category follows the type"
        form.locator("[name=level]").select_option("III")
        form.locator("[name=source]").select_option("119")
        form.locator("[name=caller_name]").fill("张三丰")
        form.locator("[name=caller_phone]").fill("13812345678")
        form.locator("[name=description]").fill("三楼冒出浓烟，有人被困")
        shot(page, "console_02_new_incident")
        press(page, "#new-incident [type=submit]")
        incident = None
        deadline = time.monotonic() + 30
        while incident is None and time.monotonic() < deadline:
            incident = Incident.objects.filter(title="建设路居民楼火灾").first()
            page.wait_for_timeout(300)
        assert incident is not None, "the incident was not stored"
        assert (incident.level, incident.incident_type, incident.source, incident.status) == \
            ("III", "fire", "119", "received")
        assert incident.caller_name == "张三丰" and incident.caller_phone == "13812345678"
        assert incident.location.distance(Point(lon, lat, srid=4326)) < 0.0006, \
            "the incident lies where the map was clicked (±50 m)"
        wait_for(page, f"cimConsole.selected === {incident.pk}", 30, "the new incident selected")
        overview = page.locator("[data-panel=overview]")
        wait_for(page, "document.querySelector('[data-panel=overview]').textContent"
                       ".includes('138****5678')", 20,
                 "masked caller")
        assert "张**" in overview.text_content() and "13812345678" not in page.content(), \
            "the console shows the caller masked and never receives the number"

        # 2. Verify; the state machine greys out what cannot follow.
        assert page.is_disabled("[data-to=closed]") and page.is_disabled("[data-to=on_scene]")
        press(page, "[data-to=verified]")
        wait_for(page, "document.querySelector('#d-status').classList.contains('st-verified')", 30,
                 "verified")
        incident.refresh_from_db()
        assert incident.status == "verified"
        assert page.is_enabled("[data-to=cancelled]") and page.is_disabled("[data-to=verified]")
        shot(page, "console_03_verified")

        # 3. Activate the matching plan; the recommendation per unit type with road ETAs.
        press(page, "[data-tab=dispatch]")
        press(page, ".plan-list li.best button")
        wait_for(page, "document.querySelectorAll('.checklist li').length > 0", 40, "the plan's tasks")
        wait_for(page, "document.querySelectorAll('.rec-table tr[data-unit]').length > 0", 60,
                 "recommendations")
        assert incident.tasks.count() == page.locator(".checklist li").count() > 0
        groups = page.locator(".rec-group").evaluate_all("gs => gs.map(g => g.dataset.type)")
        assert set(groups) >= {"fire_engine", "ambulance", "police_car"}
        etas = page.locator(".rec-table td.eta").all_text_contents()
        assert etas and all(("秒" in e or "分" in e) for e in etas), etas
        chosen = page.evaluate("[...cimConsole.app.dispatch.chosen]")
        assert chosen, "the recommended units are preselected"
        shot(page, "console_04_recommend")

        # 4. This console's link drops; meanwhile another commander sends one of the recommended
        #    units elsewhere.  Assigning it now gets a clear 409; back online, the console catches up.
        from rest_framework.test import APIClient

        page.evaluate("cimConsole.live.close()")
        wait_for(page, "cimConsole.live.state === 'closed'", 20, "the link down")
        taken = Unit.objects.get(pk=chosen[0])

        def other_commander_takes_the_unit():
            other = APIClient()
            other.force_authenticate(ops_site.users["commander2"])
            second = other.post("/api/emergency/incidents/", {
                "title": "邻近路段车辆起火", "incident_type": "fire", "level": "IV", "source": "119",
                "lon": lon + 0.002, "lat": lat + 0.001}, format="json").json()
            other.post(f"/api/emergency/incidents/{second['id']}/transition/", {"to": "verified"},
                       format="json")
            return other.post(f"/api/emergency/incidents/{second['id']}/assignments/", {"units": [taken.pk]},
                              format="json").status_code

        assert in_thread(other_commander_takes_the_unit) == 201
        press(page, "#btn-assign")
        wait_for(page, "!!document.querySelector('#assign-conflict')", 40, "the conflict message")
        conflict = page.text_content("#assign-conflict")
        assert taken.code in conflict and "调派冲突" in conflict
        assert not Assignment.objects.filter(incident=incident).exists(), "all or none: nothing was sent"
        page.evaluate("cimConsole.live.connect()")
        wait_for(page, "cimConsole.live.state === 'live'"
                       f" && cimConsole.unitStatus({taken.pk}) === 'dispatched'", 40,
                 "the missed dispatch replayed on reconnect")
        wait_for(page, "document.querySelectorAll('.rec-table tr[data-unit]').length > 0", 60,
                 "fresh recommendations")
        recommended = page.evaluate("[...document.querySelectorAll('.rec-table tr[data-unit]')]"
                                    ".map(r => +r.dataset.unit)")
        assert taken.pk not in recommended
        shot(page, "console_05_conflict")

        # 5. Send the units now recommended; their routes appear on the map.
        press(page, "#btn-assign")
        wait_for(page, "document.querySelectorAll('.assigned-table tbody tr').length > 0"
                       " && !document.querySelector('#assign-conflict')", 60, "the units sent")
        sent = Assignment.objects.filter(incident=incident)
        assert sent.count() >= 3 and all(a.route is not None for a in sent)
        assert taken.pk not in {a.unit_id for a in sent}
        wait_for(page, f"document.querySelectorAll('.assigned-table tbody tr').length === {sent.count()}", 30)
        # every active assignment's route is drawn: these and the other commander's one
        wait_for(page, f"cimConsole.routeCount() >= {sent.count() + 1}", 30, "the routes on the map")
        incident.refresh_from_db()
        assert incident.status == "dispatched"
        shot(page, "console_06_routes")

        # 6. Supplies: a new request (tents) allocated from the depots by road, shipped, received.
        press(page, "[data-tab=supplies]")
        page.locator(".new-request").wait_for(timeout=30000)
        tent = page.locator(".new-request [name=item] option", has_text="帐篷").get_attribute("value")
        page.locator(".new-request [name=item]").select_option(tent)
        page.locator(".new-request [name=quantity]").fill("5")
        press(page, ".new-request [type=submit]")
        deadline = time.monotonic() + 30
        requests = SupplyRequest.objects.filter(incident=incident, lines__item_id=int(tent))
        while not (request := requests.first()):
            assert time.monotonic() < deadline, "the supply request was not stored"
            page.wait_for_timeout(300)
        card = f".supply-card[data-request='{request.pk}']"
        wait_for(page, f"!!document.querySelector(\"{card}\")", 30, "the request card")
        for step, status in (("commit", "committed"), ("ship", "shipped"), ("receive", "received")):
            press(page, f"{card} [data-step={step}]")
            wait_for(page, f"!!document.querySelector(\"{card} .sr-{status}\")", 40, f"supply {status}")
        request.refresh_from_db()
        assert request.status == "received"
        assert "储备" in page.text_content(card), "the allocating depot is named"
        shot(page, "console_07_supplies")

        # 7. Draw a 封控区 round the incident on the map; buildings and people are counted.
        press(page, "[data-tab=zones]")
        page.locator("#btn-draw-zone").wait_for(timeout=30000)
        press(page, "#btn-draw-zone")
        wait_for(page, "cimConsole.map.tool?.kind === 'polygon'")
        ring = [(lon - 0.0016, lat - 0.0011), (lon + 0.0016, lat - 0.0011), (lon + 0.0016, lat + 0.0011),
                (lon - 0.0016, lat + 0.0011)]
        for k, (x, y) in enumerate(ring):
            at = map_point_free(page, x, y)
            assert at, f"zone corner {k} is off the map"
            page.mouse.click(at["x"], at["y"])
            wait_for(page, f"cimConsole.map.tool?.points.length === {k + 1}", 30, f"vertex {k + 1}")
        page.mouse.click(at["x"], at["y"], button="right")
        wait_for(page, "document.querySelectorAll('.zone-table tr[data-zone]').length === 1", 40, "the zone")
        zone = ControlZone.objects.get(incident=incident)
        assert zone.tier == "sealed" and zone.buildings_count > 0 and zone.people_estimate > 0
        assert zone.geom.contains(incident.location)
        row = page.text_content(".zone-table tr[data-zone]")
        assert str(zone.buildings_count) in row
        wait_for(page, "cimConsole.zoneCount() >= 1", 20, "the zone on the map")

        # 8. A CAP 1.2 alert over the zone, with a link to its XML.
        press(page, "#btn-issue-alert")
        wait_for(page, "!!document.querySelector('.alerts li[data-alert] .cap-link')", 40, "the alert")
        alert = Alert.objects.get(incident=incident)
        assert alert.identifier in page.text_content(".alerts")
        href = page.get_attribute(".alerts .cap-link", "href")
        xml = page.evaluate("(url) => fetch(url, {credentials: 'same-origin'}).then(r => r.text())", href)
        doc = etree.fromstring(xml.encode())
        ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
        assert doc.findtext("cap:identifier", namespaces=ns) == alert.identifier
        assert doc.find(".//cap:area/cap:polygon", namespaces=ns) is not None
        shot(page, "console_08_zone_alert")

        # 9. On scene, contained, closed with a disposition.
        press(page, "[data-tab=overview]")
        for to in ("on_scene", "contained"):
            press(page, f"[data-to={to}]")
            wait_for(page, f"document.querySelector('#d-status').classList.contains('st-{to}')", 30, to)
        press(page, "[data-to=closed]")
        page.locator("#flow-extra [name=disposition]").select_option("resolved")
        page.locator("#flow-extra [name=reason]").fill("明火扑灭，无人员伤亡")
        press(page, "[data-confirm=closed]")
        wait_for(page, "document.querySelector('#d-status').classList.contains('st-closed')", 30, "closed")
        incident.refresh_from_db()
        assert (incident.status, incident.disposition) == ("closed", "resolved")
        assert all(page.is_disabled(f"[data-to={s}]")
                   for s in ("verified", "on_scene", "closed", "cancelled"))
        press(page, "[data-tab=timeline]")
        wait_for(page, "document.querySelectorAll('.timeline li').length >= 8", 30, "the timeline")
        shot(page, "console_09_closed")

        assert page.evaluate("cimConsole.errors") == []
        assert tab.errors == [], f"JavaScript errors: {tab.errors}"
        assert_local(tab)
