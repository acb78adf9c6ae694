"""可视域与通视 in the planner's 3D city (headless Chromium, SwiftShader): place an
observer by clicking the map, run the viewshed as a job (progress in the panel),
see the visible and hidden cells draped over the terrain and over the roofs of the
city's tiles (a roof seen from the observer green, one hidden red, checked pixel by
pixel against the GeoTIFF) and the visible area, export the GeoTIFF and the PDF report;
pick two points for a line of sight across the landmark tower and see where it is
blocked.  Screenshots: artifacts/screenshots/planner_viewshed*.png."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio
from django.contrib.gis.geos import LineString, Point
from PIL import Image
from pyproj import Transformer

from cim.models import AnalysisRun, Building, Job
from cim.services.analyses import viewshed as vs
from tests.viewer.test_planner_browser import (  # noqa: F401  (fixtures)
    STREET_A,
    STREET_B,
    _assert_local,
    _ground,
    _open,
    _run_analysis,
    _shot,
    _tiles_settled,
    _to_page,
    _wait,
    browser_page,
    city,
    jobs_inline,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_viewshed_and_line_of_sight_in_the_viewer(city, browser_page, jobs_inline):  # noqa: F811
    page, base, requests = browser_page
    landmark: Building = city["landmark"]
    _open(page, base)
    page.click("#panel-viewshed > summary")
    assert page.is_disabled("#vs-run"), "no observer yet"

    # Place the observer on the street west of the landmark (a click on the map).
    page.click("#vs-place")
    observer = STREET_A
    xy = _to_page(page, observer[0], observer[1], _ground(*observer))
    page.mouse.click(xy["x"], xy["y"])
    _wait(page, "cimViewer.viewshed.observer !== null", 30)
    placed = page.evaluate("cimViewer.viewshed.observer")
    assert placed == pytest.approx(list(observer), abs=2e-4)
    run = _run_analysis(page, "vs", "viewshed", {"radius": "600", "cell": "2", "height": "10"}, 180)
    job = Job.objects.get(kind="analysis.viewshed")
    assert job.status == "succeeded" and job.result["run"] == run.pk
    assert page.is_visible("#vs-progress .job-progress")
    summary = page.text_content("#vs-summary").replace(",", "")
    assert f"{run.summary['visible_area_m2']:.0f}" in summary
    assert page.locator("#vs-chart rect").count() == len(run.summary["bands"])
    # Export: the GeoTIFF link downloads the raster.
    href = page.get_attribute("#vs-tif", "href")
    tif = page.request.get(base + href)
    assert tif.ok and tif.headers["content-type"] == "image/tiff" and tif.body()[:2] in (b"II", b"MM")
    # The PDF report's button.
    pdf = page.request.get(base + page.get_attribute("#vs-pdf", "href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    _tiles_settled(page)
    _shot(page, "viewshed")
    # Draped on the terrain and on the city's tiles (roofs and walls), not on the terrain only.
    assert page.evaluate("cimViewer.viewshed.drape") == "terrain+tiles"
    assert page.evaluate("cimViewer.tileset.imageryLayers.contains(cimViewer.viewshed.roofLayer.layer)")
    _roofs_coloured_as_the_raster(page, run)

    # Line of sight from the street across the landmark tower to the street east of it.
    lon, lat = landmark.centroid.x, landmark.centroid.y
    a, b = (lon - 0.0015, lat), (lon + 0.0015, lat)
    page.fill("#los-h1", "1.7")
    page.fill("#los-h2", "1.7")
    page.click("#los-pick")
    for n, point in enumerate((a, b), start=1):
        xy = _to_page(page, point[0], point[1], _ground(*point))
        page.mouse.click(xy["x"], xy["y"])
        if n == 1:
            _wait(page, "cimViewer.viewshed.sightPoints.length === 1", 30)
    _wait(page, "cimViewer.viewshed.sight !== null", 60)
    sight = AnalysisRun.objects.get(kind="line_of_sight")
    assert sight.summary["visible"] is False
    # Blocked by a building the segment crosses, the landmark or one before it (an eye 1.7 m
    # above the street; a corner the line barely clips may fall between the 1 m cells).
    ends = [(sight.summary[p]["lon"], sight.summary[p]["lat"]) for p in ("observer", "target")]
    segment = LineString(*ends, srid=4326)
    start = Point(*ends[0], srid=4326)
    crossed = sorted(Building.objects.filter(footprint__intersects=segment),
                     key=lambda b: b.footprint.distance(start))
    assert landmark in crossed
    obstruction = sight.summary["obstruction"]
    blocker = obstruction["building"]
    assert blocker in [b.pk for b in crossed[:crossed.index(landmark) + 1]]
    assert Building.objects.get(pk=blocker).footprint.distance(
        Point(obstruction["lon"], obstruction["lat"], srid=4326)) < 2e-5  # on its footprint
    assert page.evaluate("cimViewer.viewshed.source.entities.getById('los-obstruction') !== undefined")
    assert f"#{blocker}" in page.text_content("#los-summary")
    assert page.locator("#los-chart polyline").count() == 1
    pdf = page.request.get(base + page.get_attribute("#los-pdf", "href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    _shot(page, "viewshed_sight")

    # The result's link reopens the viewshed.
    page.goto(f"{base}/viewer/?analysis={run.pk}")
    _wait(page, "window.cimViewer !== undefined", 60)
    page.evaluate("cimViewer.ready")
    _wait(page, f"cimViewer.viewshed.run && cimViewer.viewshed.run.id === {run.pk}", 60)
    _assert_local(requests, base)


def _roof_candidates(run: AnalysisRun) -> dict[int, Building]:
    """A building whose roof the viewshed found all visible and one all hidden (every cell
    within 3 m of its centroid alike), nearest the observer first."""
    observer = Point(run.summary["observer"]["lon"], run.summary["observer"]["lat"], srid=4326)
    found: dict[int, Building] = {}
    with rasterio.open(vs.viewshed_raster_path(run)) as tif:
        cells = tif.read(1)
        to_grid = Transformer.from_crs(4326, tif.crs.to_epsg(), always_xy=True)
        for b in sorted(Building.objects.filter(height__lt=60), key=lambda b: b.centroid.distance(observer)):
            row, col = tif.index(*to_grid.transform(b.centroid.x, b.centroid.y))
            window = cells[max(0, row - 1):row + 2, max(0, col - 1):col + 2]
            value = int(window.flat[0])
            if value in (vs.VISIBLE, vs.HIDDEN) and value not in found and (window == value).all():
                found[value] = b
            if len(found) == 2:
                break
    return found


def _pixel(page, x: float, y: float) -> np.ndarray:
    page.evaluate("cimViewer.viewer.scene.requestRender()")
    page.wait_for_timeout(400)
    png = page.screenshot(clip={"x": x - 2, "y": y - 2, "width": 5, "height": 5})
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float).reshape(-1, 3).mean(axis=0)


def _roofs_coloured_as_the_raster(page, run: AnalysisRun) -> None:
    """Look down on a roof the viewshed sees and on one it does not: the roof takes the
    picture's green or red (and does not with the tileset's layer hidden)."""
    found = _roof_candidates(run)
    page.evaluate("""(() => { const c = cimViewer.viewer.camera;
        window.savedView = { destination: c.position.clone(),
                             orientation: { direction: c.direction.clone(), up: c.up.clone() } }; })()""")
    assert set(found) == {vs.VISIBLE, vs.HIDDEN}, "the test city has seen and unseen roofs near the observer"
    for value, building in sorted(found.items()):
        lon, lat = building.centroid.x, building.centroid.y
        roof = _ground(lon, lat) + building.height
        page.evaluate("""([lon, lat, h]) => cimViewer.viewer.camera.lookAt(
            Cesium.Cartesian3.fromDegrees(lon, lat, h), new Cesium.HeadingPitchRange(0.4, -1.2, 260))""",
                      [lon, lat, roof])
        _tiles_settled(page)
        xy = page.evaluate("([lon, lat, h]) => cimViewer.toPage(lon, lat, h)", [lon, lat, roof])
        draped = _pixel(page, xy["x"], xy["y"])
        page.evaluate("cimViewer.viewshed.roofLayer.layer.show = false")
        bare = _pixel(page, xy["x"], xy["y"])
        page.evaluate("cimViewer.viewshed.roofLayer.layer.show = true")
        # The lit, grey roof takes the picture's hue: green over red (seen) or red over green (hidden),
        # and by a clear margin more than the bare roof.
        lead = (1, 0) if value == vs.VISIBLE else (0, 1)  # (green, red) or (red, green) channels
        what = "seen from the observer is green" if value == vs.VISIBLE else "hidden from the observer is red"
        assert draped[lead[0]] > draped[lead[1]] + 10, f"a roof {what}: {draped} (without the layer {bare})"
        gained = (draped[lead[0]] - draped[lead[1]]) - (bare[lead[0]] - bare[lead[1]])
        assert gained > 20, f"a roof {what}: {draped} (without the layer {bare})"
        _shot(page, "viewshed_roof_" + ("visible" if value == vs.VISIBLE else "hidden"))
    page.evaluate("""cimViewer.viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
        cimViewer.viewer.camera.setView(window.savedView)""")
    _tiles_settled(page)
