"""方案比对 in headless Chromium against the live server: a planner uploads two
schemes for the site of the test city's landmark through the page's form,
compares them side by side (two Cesium views whose cameras move together,
the landmark hidden in both, the planned buildings drawn), reads the
indicator table, runs the schemes' sunlight (a job per scheme on a real Celery
worker: progress, the façade grid in each pane, the sunlight rows of the table),
saves the comparison with the views' pictures and gets the PDF.
Screenshots: artifacts/screenshots/schemes_*.png."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from pyproj import Transformer

from cim.models import AnalysisRun, Building, DesignScheme
from cim.services.analyses.scheme import compare_image_path
from cim.services.tiles import tiles_build
from tests.viewer import planner_city, test_sunlight_browser
from tests.viewer import test_planner_browser as planner_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser_page = planner_browser.browser_page  # the same fresh Chromium with a planner's session
worker = test_sunlight_browser.worker  # a Celery worker on this run's own queue (the sunlight jobs)
_wait = planner_browser._wait
SHOTS = planner_browser.SHOTS

TO_GK = Transformer.from_crs(4326, 4544, always_xy=True)
TO_LONLAT = Transformer.from_crs(4544, 4326, always_xy=True)


@pytest.fixture
def city(tmp_path, media_root):
    built = planner_city.build(tmp_path)  # DEM for the buildings' bases; no terrain tiles (speed)
    tiles_build()
    return built


def _ring(x0, y0, w, h):
    return [list(TO_LONLAT.transform(x, y)) for x, y in
            [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h), (x0, y0)]]


def _collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for ring, props in features]})


def _files(tmp_path, landmark) -> dict:
    """A 120 m × 120 m site on the landmark; scheme A: two slabs of 12 and 18 floors and a green;
    scheme B: one tower of 32 floors."""
    cx, cy = TO_GK.transform(landmark.centroid.x, landmark.centroid.y)
    x0, y0 = cx - 60, cy - 60
    paths = {}
    for name, text in {
        "site.geojson": _collection((_ring(x0, y0, 120, 120), {"name": "政务中心地块"})),
        "a.geojson": _collection((_ring(x0 + 10, y0 + 10, 40, 18), {"id": "A1", "height": 36, "floors": 12,
                                                                    "use": "住宅"}),
                                 (_ring(x0 + 65, y0 + 10, 40, 18), {"id": "A2", "height": 54, "floors": 18,
                                                                    "use": "住宅"})),
        "a_green.geojson": _collection((_ring(x0 + 10, y0 + 60, 95, 45), {})),
        "b.geojson": _collection((_ring(x0 + 40, y0 + 40, 36, 36), {"id": "B1", "height": 100, "floors": 32,
                                                                    "use": "office"})),
    }.items():
        paths[name] = tmp_path / name
        paths[name].write_text(text)
    return paths


def _shot(page, name: str) -> None:
    """A screenshot; each 3D pane must show a scene (many colours), not an empty canvas."""
    page.evaluate("schemePage.state.panes.forEach(p => p.viewer.scene.requestRender())")
    page.wait_for_timeout(500)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    boxes = page.eval_on_selector_all(".sc-pane", "ps => ps.map(p => p.getBoundingClientRect().toJSON())")
    for box in boxes:
        with Image.open(path) as shot:
            x0, y0 = int(box["x"]) + 5, int(box["y"]) + 50
            x1, y1 = int(box["x"] + box["width"]) - 5, int(box["y"] + box["height"]) - 5
            pane = shot.convert("RGB").crop((x0, y0, x1, y1))
            assert len(pane.getcolors(maxcolors=100_000) or []) > 30, f"{name}: a 3D pane is blank"


def _upload(page, name: str, site, buildings, green=None) -> None:
    page.fill("#sc-form input[name=name]", name)
    page.set_input_files("#sc-form input[name=site]", str(site))
    page.set_input_files("#sc-form input[name=buildings]", str(buildings))
    if green:
        page.set_input_files("#sc-form input[name=green]", str(green))
    before = page.evaluate("schemePage.state.schemes.length")
    page.click("#sc-upload")
    _wait(page, f"schemePage.state.schemes.length === {before + 1}", 60)


def test_upload_two_schemes_compare_them_run_sunlight_and_export(city, worker, browser_page, tmp_path):
    page, base, requests = browser_page
    landmark = city["landmark"]
    files = _files(tmp_path, landmark)
    page.goto(f"{base}/viewer/schemes/")
    _wait(page, "window.schemePage !== undefined", 60)
    page.evaluate("schemePage.ready")
    _upload(page, "方案一：双板楼", files["site.geojson"], files["a.geojson"], files["a_green.geojson"])
    _upload(page, "方案二：单塔楼", files["site.geojson"], files["b.geojson"])
    assert DesignScheme.objects.count() == 2
    a, b = DesignScheme.objects.order_by("pk")
    assert Building.objects.filter(pk=landmark.pk).exists()  # the city model is untouched

    page.check(f"#sc-list input[value='{a.pk}']")
    page.check(f"#sc-list input[value='{b.pk}']")
    page.click("#sc-compare")
    _wait(page, "schemePage.state.panes.length === 2", 60)
    page.evaluate("schemePage.idle(200000)")

    # The indicator table: FAR and coverage as computed for each scheme.
    texts = "cells => cells.map(c => c.textContent)"
    far = page.eval_on_selector_all("#sc-table tr[data-row=far] td", texts)
    assert far == [f"{a.indicators['far']:.2f}", f"{b.indicators['far']:.2f}"]
    green = page.eval_on_selector_all("#sc-table tr[data-row=greenRatio] td", texts)
    assert green[1] == "—" and green[0].endswith("%")

    # Each pane hides the landmark (it stands on the site) and draws the scheme's own buildings.
    hidden = page.evaluate("""(id) => schemePage.state.panes.map((pane) => {
        const visit = (tile) => {
          const c = tile.content;
          for (let i = 0; c && i < c.featuresLength; i += 1) {
            const f = c.getFeature(i);
            if (String(f.getProperty('id')) === id) return pane.tileset.style.show.evaluate(f) === false;
          }
          for (const child of tile.children) { const r = visit(child); if (r !== null) return r; }
          return null;
        };
        return visit(pane.tileset.root);
      })""", str(landmark.pk))
    assert hidden == [True, True]
    assert page.evaluate("schemePage.state.panes.map(p => p.viewer.entities.values.filter(e => e.polygon && "
                         "e.properties && e.properties.scheme).length)") == [2, 1]

    # Linked cameras: a move in the left view is the same move in the right one.
    page.evaluate("""() => { const cam = schemePage.state.panes[0].viewer.camera;
        cam.moveForward(60); cam.lookRight(0.2); schemePage.state.panes[0].viewer.scene.requestRender(); }""")
    _wait(page, """(() => { const [p, q] = schemePage.state.panes.map(p => p.viewer.camera.positionWC);
        return Cesium.Cartesian3.distance(p, q) < 0.5; })()""", 30)
    _shot(page, "schemes_compare")

    # Sunlight of both schemes (coarse: 10 m spacing, 1-minute steps, no terrain): a job each,
    # then the façade grid in each pane and the table's sunlight rows from the stored indicators.
    assert page.eval_on_selector_all("#sc-table tr[data-row=sunOwn] td", texts) == ["未分析", "未分析"]
    page.fill("#sc-sun-spacing", "10")
    page.fill("#sc-sun-radius", "200")
    page.fill("#sc-sun-near", "60")
    page.uncheck("#sc-sun-terrain")
    page.click("#sc-sun-run")
    _wait(page, "document.querySelector('#sc-sun-progress .job-progress') !== null", 30)
    _wait(page, "schemePage.state.panes.every(p => p.sunCells > 0)", 300)
    a.refresh_from_db()
    b.refresh_from_db()
    sun_a, sun_b = a.indicators["sunlight"], b.indicators["sunlight"]
    run_a = AnalysisRun.objects.get(pk=sun_a["run"])
    assert sun_a["dwellings"] == 2 and sun_b["dwellings"] == 0 and run_a.params["spacing_m"] == 10
    cells = sum(len(x["columns"]) * x["floors"] for x in run_a.result["buildings"])
    assert page.evaluate("schemePage.state.panes[0].sunCells") == cells
    own = page.eval_on_selector_all("#sc-table tr[data-row=sunOwn] td", texts)
    assert own[0].startswith(f"{sun_a['dwellings_failing']}/2") and own[1] == "无住宅"
    near = page.eval_on_selector_all("#sc-table tr[data-row=sunNear] td", texts)
    for text, sun in zip(near, (sun_a, sun_b), strict=True):
        assert (f"{sun['max_lost']:.2f}" in text) if sun["neighbours"] else text == "周边无建筑"
    assert page.is_visible("#sc-legend")
    _shot(page, "schemes_sunlight")

    # Save with the pictures of both views, then the PDF.
    page.fill("#sc-title", "政务中心地块方案比选")
    page.click("#sc-save")
    _wait(page, "!document.querySelector('#sc-pdf').hidden", 60)
    run = AnalysisRun.objects.get(kind="scheme_compare")
    assert run.params["schemes"] == [a.pk, b.pk]
    assert all(s["pictured"] for s in run.summary["schemes"])
    assert all("sunlight" in s["indicators"] for s in run.summary["schemes"])  # in the report too
    for scheme in (a, b):
        with Image.open(compare_image_path(run, scheme.pk)) as picture:
            colours = picture.convert("RGB").getcolors(maxcolors=1_000_000) or []
            assert picture.width >= 300 and len(colours) > 100, "the saved picture of a view is blank"
    pdf = page.request.get(base + page.get_attribute("#sc-pdf", "href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF") and b"/Image" in pdf.body()
    (SHOTS / "schemes_report.pdf").write_bytes(pdf.body())
    _shot(page, "schemes_saved")
    planner_browser._assert_local(requests, base)
