"""The planner's 3D city in headless Chromium (SwiftShader WebGL) against the live
server: the tileset loads on its terrain, a click on a building shows that
building, the search flies to what it found, the colouring, the measuring, the
section and the sunlight tools work, the language switches, and no request
leaves 127.0.0.1.  Screenshots: artifacts/screenshots/planner_*.png (look at
them: the city must stand on its terrain, the panels must be legible).

SwiftShader draws a terrain + tiles frame in seconds, so each page load takes
about a minute; there are two tests, each doing a whole journey.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlparse

import pytest
from pyproj import Geod

from cim.models import AnalysisRun, Building, HeightZone
from cim.services.addresses import addresses_generate
from cim.services.terrain import ground_height
from cim.services.terrain_tiles import terrain_build
from cim.services.tiles import tiles_build
from tests.viewer import planner_city
from tests.viewer.browser_kit import SHOTS, chromium, recorded_page, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 700}
# A fixed moment (Beijing 2025-06-21 10:00) so that lighting is the same in every screenshot.
FIXED_DAY, FIXED_MINUTES = "2025-06-21", 10 * 60
# Two points on 大众路 (an east-west street of the test city, no building on it), both in
# the part of the default view that no panel covers.
# At the crossings with 合作路 and 双桥路, so that no building stands in the line of sight
# and no label or icon sits on the points.
STREET_A = (105.7160, 34.5750)
STREET_B = (105.7250, 34.5750)
STREET_C_LAT = 34.5780  # 中华西路, the next east-west street to the north
MAP_LEFT = 310  # the tool panels cover the map left of this (px)


@pytest.fixture
def city(tmp_path, media_root):
    built = planner_city.build(tmp_path)
    addresses_generate(by="test", progress=False)
    tiles_build()
    terrain_build(max_level=13)
    return built


@pytest.fixture
def jobs_inline():
    """The analyses' jobs run inside the request that submits them (no worker process in these
    tests); the page follows them through /api/jobs/ as it follows a worker's."""
    from config.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def browser_page(live_server, client, make_user, monkeypatch):
    """A fresh Chromium with a planner's session (``client`` signed in as the same planner);
    yields (page, base_url, requests)."""
    planner = make_user("planner", "planner_in_browser")
    client.force_login(planner)
    base = live_server.url.replace("localhost", "127.0.0.1")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright runs an event loop here
    with chromium() as browser:
        page = recorded_page(browser, base, planner, viewport=VIEWPORT)
        try:
            yield page, base, page.requests
        finally:
            assert page.errors == [], f"JavaScript errors on the page: {page.errors}"
            page.context.close()


def _wait(page, expression: str, timeout_s: float = 120) -> None:
    wait_for(page, expression, timeout_s, shot="planner", poll_ms=400)


def _tiles_settled(page) -> None:
    """The 3D tiles and the vector layers are loaded (the terrain may still refine)."""
    _wait(page, "cimViewer.tileset.tilesLoaded && cimViewer.basemap.idle && cimViewer.poi.idle", 120)


def _to_page(page, lon: float, lat: float, h: float) -> dict:
    xy = page.evaluate("([lon, lat, h]) => cimViewer.toPage(lon, lat, h)", [lon, lat, h])
    assert xy and MAP_LEFT < xy["x"] < VIEWPORT["width"] - 10 and 50 < xy["y"] < VIEWPORT["height"] - 30, \
        f"({lon}, {lat}) is not in the free part of the view: {xy}"
    return xy


def _open(page, base: str, *, settle: bool = True) -> None:
    T0[0] = time.monotonic()
    page.goto(f"{base}/viewer/")
    _wait(page, "window.cimViewer !== undefined", 60)
    page.evaluate("cimViewer.ready")
    # Fixed time for repeatable lighting, through the sunlight panel so that it shows it too.
    page.evaluate("() => { cimViewer.viewer.clock.shouldAnimate = false; "
                  f"cimViewer.sun.set('{FIXED_DAY}', {FIXED_MINUTES}); }}")
    page.evaluate("cimViewer.tilesLoaded")
    page.evaluate("cimViewer.layersLoaded")
    if settle:
        page.evaluate("cimViewer.idle(200000)")


def _shot(page, name: str) -> None:
    page.evaluate("cimViewer.viewer.scene.requestRender()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"planner_{name}.png"))
    print(f"{time.monotonic() - T0[0]:6.1f} s  planner_{name}.png")


T0 = [time.monotonic()]


def _pick(page, building: Building) -> None:
    """Click ``building`` on the map (at 60 % of its height) and wait until the viewer selects it."""
    lon, lat = building.centroid.x, building.centroid.y
    at = _to_page(page, lon, lat, _ground(lon, lat) + building.height * 0.6)
    page.mouse.click(at["x"], at["y"])
    _wait(page, f"cimViewer.selectedBuildingId === '{building.pk}'", 30)


def _click_ring(page, ring: list[tuple[float, float]], tool: str) -> None:
    """Click the ground points of ``ring`` on the map, each counted by ``cimViewer.{tool}``, then
    close it with a right click."""
    for n, (lon, lat) in enumerate(ring, start=1):
        xy = _to_page(page, lon, lat, _ground(lon, lat))
        page.mouse.click(xy["x"], xy["y"])
        _wait(page, f"cimViewer.{tool}.points.length === {n}", 30)
    page.mouse.click(xy["x"], xy["y"], button="right")


def _run_analysis(page, form: str, kind: str, values: dict[str, str], timeout_s: float) -> AnalysisRun:
    """Fill the fields ``#{form}-{name}`` of an analysis panel and run it: its result drawn as one
    more imagery layer; the run."""
    for name, value in values.items():
        page.fill(f"#{form}-{name}", value)
    layers = page.evaluate("cimViewer.viewer.imageryLayers.length")
    page.click(f"#{form}-run")
    _wait(page, f"cimViewer.{kind}.run !== null", timeout_s)
    assert page.evaluate("cimViewer.viewer.imageryLayers.length") == layers + 1
    return AnalysisRun.objects.get(kind=kind)


def _ground(lon: float, lat: float) -> float:
    sample = ground_height(lon, lat)
    assert sample is not None, "the test DEM covers the city"
    return sample.ellipsoidal_height


def _assert_local(requests: list[str], base: str) -> None:
    host = urlparse(base).netloc
    outside = sorted({u for u in requests
                      if not u.startswith(("data:", "blob:")) and urlparse(u).netloc != host})
    assert requests and outside == [], f"requests left 127.0.0.1: {outside}"


def test_planner_opens_the_city_picks_searches_colours_and_measures(city, browser_page, jobs_inline):
    page, base, requests = browser_page
    landmark: Building = city["landmark"]
    _open(page, base)
    assert page.evaluate("cimViewer.state.errors") == []
    assert page.is_visible("#synthetic-badge"), "the demo data is synthetic and must say so"
    loaded = page.evaluate("""(() => { let n = 0;
        const walk = (t) => { if (t.content) n += t.content.featuresLength || 0; t.children.forEach(walk); };
        walk(cimViewer.tileset.root); return n; })()""")
    assert loaded == city["buildings"], "every building of the city is in the loaded tiles"
    _shot(page, "city")

    # Click the landmark tower where Cesium draws it; the panel shows that building.
    lon, lat = landmark.centroid.x, landmark.centroid.y
    mid = _ground(lon, lat) + landmark.height * 0.6
    at = _to_page(page, lon, lat, mid)
    page.mouse.click(at["x"], at["y"])
    _wait(page, "!document.querySelector('#info-panel').hidden", 30)
    assert page.text_content("#info-building-id") == str(landmark.pk)
    assert page.text_content("#info-title") == planner_city.LANDMARK
    page.evaluate("cimViewer.info.lastDetails")
    shown = page.locator("#info-addresses [data-field=address]").all_text_contents()
    stored = list(landmark.addresses.filter(kind__in=["door", "building"], status="current")
                  .order_by("kind", "code").values_list("full_name", flat=True))
    assert stored and shown == stored, "the building's standard address is listed"
    highlighted = page.evaluate("cimViewer.info.selected.feature.color.toCssHexString()")
    assert highlighted.lower() == "#ffd400"
    _shot(page, "building")

    # Measure along a street: two clicks on the ground, right click to finish.
    page.click("#info-close")
    geod = Geod(ellps="WGS84")
    _, _, flat = geod.inv(STREET_A[0], STREET_A[1], STREET_B[0], STREET_B[1])
    ha, hb = _ground(*STREET_A), _ground(*STREET_B)
    expected = math.hypot(flat, hb - ha)
    page.click("#panel-tools > summary")
    page.click("[data-tool=distance]")
    for point, h in ((STREET_A, ha), (STREET_B, hb)):
        xy = _to_page(page, point[0], point[1], h)
        page.mouse.click(xy["x"], xy["y"])
        _wait(page, f"cimViewer.measure.points.length === {1 if point == STREET_A else 2}", 30)
    page.mouse.click(xy["x"], xy["y"], button="right")
    _wait(page, "cimViewer.measure.result !== null", 30)
    result = page.evaluate("cimViewer.measure.result")
    assert result["kind"] == "distance"
    assert result["value"] == pytest.approx(expected, rel=0.03), (result, expected)
    assert page.is_visible("#measure-readout")
    _shot(page, "measure")

    # Area of the block between 大众路, 中华西路, 合作路 and 双桥路 (four street crossings).
    corners = [STREET_A, STREET_B, (STREET_B[0], STREET_C_LAT), (STREET_A[0], STREET_C_LAT)]
    page.click("[data-tool=area]")
    _click_ring(page, corners, "measure")
    _wait(page, "cimViewer.measure.result && cimViewer.measure.result.kind === 'area'", 30)
    area, _ = geod.polygon_area_perimeter([c[0] for c in corners], [c[1] for c in corners])
    assert page.evaluate("cimViewer.measure.result.value") == pytest.approx(abs(area), rel=0.03)

    # Height of the landmark: the street at its foot, then its roof.
    page.click("[data-tool=height]")
    foot = (STREET_B[0], STREET_C_LAT)  # the crossing south-east of it, in plain view
    xy = _to_page(page, foot[0], foot[1], _ground(*foot))
    page.mouse.click(xy["x"], xy["y"])
    _wait(page, "cimViewer.measure.points.length === 1", 30)
    roof = _to_page(page, lon, lat, _ground(lon, lat) + landmark.height)
    page.mouse.click(roof["x"], roof["y"])
    _wait(page, "cimViewer.measure.result && cimViewer.measure.result.kind === 'height'", 30)
    assert page.evaluate("cimViewer.measure.result.value") == pytest.approx(landmark.height, abs=4)
    _shot(page, "measure_height")
    page.click("[data-action=measure-clear]")

    # Colour by use: the legend appears and a residential building takes the residential colour.
    page.check("input[name=theme][value=use]")
    assert page.is_visible("#legend") and "住宅" in page.text_content("#legend")
    # The style reaches the features in the next frames: wait for a residential one to turn yellow.
    _wait(page, """(() => {
        const root = cimViewer.tileset.root;
        const content = root.content && root.content.featuresLength ? root.content : root.children[0].content;
        for (let i = 0; i < content.featuresLength; i += 1) {
          const f = content.getFeature(i);
          if (f.getProperty('use') === 'residential') return f.color.toCssHexString() === '#f5d76e';
        }
        return false; })()""", 30)
    _shot(page, "theme_use")
    page.check("input[name=theme][value=height]")
    assert "100" in page.text_content("#legend")
    _shot(page, "theme_height")

    # Search (server side, fuzzy) and fly to the building found; it gets selected.
    page.fill("#search-input", "政务服务")
    _wait(page, "document.querySelectorAll('#search-results li[data-type=building]').length > 0", 30)
    page.click("#search-results li[data-type=building]")
    page.wait_for_function("cimViewer.search.lastFlight !== null")
    page.evaluate("cimViewer.search.lastFlight")
    look = page.evaluate("([lon, lat, h]) => cimViewer.offAxis(lon, lat, h)",
                         [lon, lat, _ground(lon, lat)])
    assert look["offAxis"] < 5, f"the camera looks past the result: {look}"
    assert look["distance"] < 1000, f"the camera did not come close: {look}"
    assert page.evaluate("cimViewer.viewer.entities.getById('search-marker') !== undefined")
    _wait(page, f"cimViewer.selectedBuildingId === '{landmark.pk}'", 60)
    _tiles_settled(page)
    _shot(page, "search")

    # Flood (淹没分析): 2 m above the 藉河 over the whole city at 10 m cells; the depth drapes
    # over the terrain, the summary gives what it reaches; a planner may not close roads.
    page.click("#info-close")
    page.click("#panel-flood > summary")
    run = _run_analysis(page, "fl", "flood", {"value": "2", "cell": "10"}, 120)
    assert f"{run.summary['buildings']}" in page.text_content("#fl-summary").replace(",", "")
    assert run.summary["buildings"] > 0 and run.summary["road_segments"] > 0
    assert not page.is_visible("#fl-close-roads")
    _tiles_settled(page)
    _shot(page, "flood")

    _assert_local(requests, base)


def test_planner_switches_language_sections_studies_sunlight_and_keeps_bookmarks(city, browser_page,
                                                                             jobs_inline):
    page, base, requests = browser_page
    landmark: Building = city["landmark"]

    # 中文 → English through Django's set_language form in the top bar; the whole UI follows.
    _open(page, base, settle=False)
    assert page.text_content("#panel-layers > summary") == "图层"
    # A script click: SwiftShader keeps the page too busy for synthetic mouse input while loading.
    with page.expect_navigation(url=f"{base}/viewer/", timeout=60000):
        page.evaluate("document.querySelector('header form.lang button[value=en]').click()")
    assert page.evaluate("document.documentElement.lang") == "en"
    _open(page, base)
    assert page.text_content("#panel-layers > summary") == "Layers"
    assert page.text_content("#synthetic-badge").strip() == "Synthetic demo data"
    assert page.is_visible("#synthetic-badge")

    lon, lat = landmark.centroid.x, landmark.centroid.y
    mid = _ground(lon, lat) + landmark.height * 0.6
    at = _to_page(page, lon, lat, mid)
    assert page.evaluate("([x, y]) => cimViewer.buildingAt(x, y)", [at["x"], at["y"]]) == str(landmark.pk)

    # Section: a polygon around the landmark clips it away; inverse keeps only what is inside.
    page.click("#panel-tools > summary")
    page.click("[data-tool=clip]")
    d = 0.0013
    for n, (dx, dy) in enumerate(((-d, -d), (d, -d), (d, d), (-d, d)), start=1):
        xy = _to_page(page, lon + dx, lat + dy, _ground(lon + dx, lat + dy))
        page.mouse.click(xy["x"], xy["y"])
        _wait(page, f"cimViewer.clipper.points.length === {n}", 30)
    page.mouse.click(xy["x"], xy["y"], button="right")
    _wait(page, "cimViewer.clipper.active", 30)
    assert page.evaluate("cimViewer.tileset.clippingPolygons.length") == 1
    assert page.evaluate("cimViewer.viewer.scene.globe.clippingPolygons.length") == 1
    _wait(page, f"cimViewer.buildingAt({at['x']}, {at['y']}) !== '{landmark.pk}'", 30)
    _shot(page, "clip")
    page.check("#clip-inverse")
    _wait(page, f"cimViewer.buildingAt({at['x']}, {at['y']}) === '{landmark.pk}'", 30)
    _shot(page, "clip_inverse")
    page.click("[data-action=clip-clear]")
    assert not page.evaluate("cimViewer.clipper.active")

    # Sunlight study: shadows on, winter solstice at 09:00 Beijing time.
    page.click("#panel-sun > summary")
    page.check("#sun-shadows")
    page.click("[data-sun-date='12-22']")
    page.evaluate("cimViewer.sun.set(document.querySelector('#sun-date').value, 9 * 60)")
    assert page.evaluate("cimViewer.viewer.shadows") is True
    label = page.text_content("#sun-label")
    assert "12-22 09:00" in label and "Beijing time" in label and "UTC+8" in label
    utc = page.evaluate("Cesium.JulianDate.toIso8601(cimViewer.viewer.clock.currentTime, 0)")
    assert utc.endswith("-12-22T01:00:00Z")
    _tiles_settled(page)
    _shot(page, "shadows")
    page.uncheck("#sun-shadows")
    assert page.evaluate("cimViewer.viewer.shadows") is False

    # Bookmarks: fly to a built-in one, save the view under a name; it is kept in localStorage.
    page.click("#bookmark-list li[data-key='district-620502'] button.go")
    page.evaluate("cimViewer.bookmarks.lastFlight")
    page.fill("#bookmark-name", "测试视角")
    page.click("#bookmark-form button[type=submit]")
    assert page.is_visible("#bookmark-list li[data-saved='测试视角']")
    saved = page.evaluate("JSON.parse(localStorage.getItem('cim.planner.bookmarks.v1'))")
    assert [b["name"] for b in saved] == ["测试视角"]
    assert saved[0]["camera"]["pitch"] < 0
    page.click("#bookmark-list li[data-key=overview] button.go")
    page.evaluate("cimViewer.bookmarks.lastFlight")

    # The English UI: year legend and the building panel.
    page.check("input[name=theme][value=year]")
    assert "Before 1980" in page.text_content("#legend")
    page.mouse.click(at["x"], at["y"])
    _wait(page, "!document.querySelector('#info-panel').hidden", 30)
    assert page.text_content("#info-building-id") == str(landmark.pk)
    assert "Height" in page.text_content("#info-attrs") and "118 m" in page.text_content("#info-attrs")
    page.evaluate("cimViewer.info.lastDetails")
    _tiles_settled(page)
    _shot(page, "english")

    # Height-limit check (控高分析): draw a zone around the landmark with a 24 m limit above
    # ground, run it; the landmark (118 m) tops the table, coloured red in 3D; the same
    # buildings as a query of the stored model; the CSV downloads.
    page.click("#info-close")
    page.click("#panel-height > summary")
    page.click("[data-tool=zone]")
    d = 0.0011
    ring = [(lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d)]
    _click_ring(page, ring, "heightLimit")
    _wait(page, "!document.querySelector('#hl-form').hidden", 30)
    page.fill("#hl-name", "Test zone")
    page.fill("#hl-limit", "24")
    page.click("#hl-save")
    _wait(page, "cimViewer.heightLimit.zones.length === 1", 30)
    page.click("#hl-run")
    _wait(page, "cimViewer.heightLimit.run !== null", 60)
    assert page.get_attribute("#hl-table tbody tr", "data-building") == str(landmark.pk)
    excess = page.evaluate(f"cimViewer.fmt({landmark.height - 24}, 1)")
    assert f"+{excess}" in page.text_content("#hl-table tbody tr")
    zone = HeightZone.objects.get(name="Test zone")
    expected = set(Building.objects.filter(footprint__intersects=zone.geom, height__gt=24.01)
                   .values_list("pk", flat=True))
    run = AnalysisRun.objects.get()
    assert {v["building"] for v in run.result["violations"]} == expected
    _wait(page, f"""(() => {{
        const found = [];
        const walk = (t) => {{ const c = t.content;
          if (c && c.featuresLength) for (let i = 0; i < c.featuresLength; i += 1) {{
            const f = c.getFeature(i); if (String(f.getProperty('id')) === '{landmark.pk}') found.push(f); }}
          t.children.forEach(walk); }};
        walk(cimViewer.tileset.root);
        return found.length > 0 && found.every((f) => f.color.toCssHexString() === '#e8262a'); }})()""", 30)
    _tiles_settled(page)
    _shot(page, "height_limit")
    csv = page.request.get(base + page.get_attribute("#hl-csv", "href"))
    assert csv.status == 200 and f"\n{landmark.pk}," in csv.text()

    _assert_local(requests, base)
