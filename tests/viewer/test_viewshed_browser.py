"""可视域与通视 in the planner's 3D city (headless Chromium, SwiftShader): place an
observer by clicking the map, run the viewshed as a job (progress in the panel),
see the visible and hidden cells draped over the city and the visible area, export
the GeoTIFF; pick two points for a line of sight across the landmark tower and see
where it is blocked.  Screenshots: artifacts/screenshots/planner_viewshed*.png."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, Point

from cim.models import AnalysisRun, Building, Job
from tests.viewer.test_planner_browser import (  # noqa: F401  (fixtures)
    STREET_A,
    STREET_B,
    _assert_local,
    _ground,
    _open,
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
    page.fill("#vs-radius", "600")
    page.fill("#vs-cell", "2")
    page.fill("#vs-height", "10")
    layers = page.evaluate("cimViewer.viewer.imageryLayers.length")
    page.click("#vs-run")
    _wait(page, "cimViewer.viewshed.run !== null", 180)
    run = AnalysisRun.objects.get(kind="viewshed")
    job = Job.objects.get(kind="analysis.viewshed")
    assert job.status == "succeeded" and job.result["run"] == run.pk
    assert page.evaluate("cimViewer.viewer.imageryLayers.length") == layers + 1
    assert page.is_visible("#vs-progress .job-progress")
    summary = page.text_content("#vs-summary").replace(",", "")
    assert f"{run.summary['visible_area_m2']:.0f}" in summary
    assert page.locator("#vs-chart rect").count() == len(run.summary["bands"])
    # Export: the GeoTIFF link downloads the raster.
    href = page.get_attribute("#vs-tif", "href")
    tif = page.request.get(base + href)
    assert tif.ok and tif.headers["content-type"] == "image/tiff" and tif.body()[:2] in (b"II", b"MM")
    _tiles_settled(page)
    _shot(page, "viewshed")

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
    _shot(page, "viewshed_sight")

    # The result's link reopens the viewshed.
    page.goto(f"{base}/viewer/?analysis={run.pk}")
    _wait(page, "window.cimViewer !== undefined", 60)
    page.evaluate("cimViewer.ready")
    _wait(page, f"cimViewer.viewshed.run && cimViewer.viewshed.run.id === {run.pk}", 60)
    _assert_local(requests, base)
