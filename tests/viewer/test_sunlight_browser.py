"""日照分析 in the planner, in headless Chromium against the live server and a real Celery
worker: click the landmark tower, use it in the sunlight panel, run the job (progress
bar), see the hours as a coloured grid on its façades with the legend and the failing
floors, export the CSV and the PDF, and reopen the result from its link.
Screenshot: artifacts/screenshots/planner_sunlight.png (look at it)."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings

from cim.models import AnalysisRun, Building
from config.celery import app as celery_app
from tests.cim.test_jobs import Worker
from tests.viewer import test_planner_browser as planner
from tests.viewer.test_planner_browser import (
    _assert_local,
    _ground,
    _open,
    _pick,
    _shot,
    _tiles_settled,
    _wait,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# the planner tests' fixtures: the test city (tiles, terrain) and a Chromium with a planner's session
city = planner.city
browser_page = planner.browser_page


@pytest.fixture
def worker(city, tmp_path):
    """A Celery worker on this run's own queue, reading the same media (the DEM) as the server."""
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}:sunlight-browser"
    before = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    w = Worker(queue, settings.MEDIA_ROOT, tmp_path / "worker.log")
    w.start()
    yield w
    w.stop()
    celery_app.conf.task_default_queue = before


def test_a_planner_picks_a_building_runs_sunlight_and_exports(city, worker, browser_page, client):
    page, base, requests = browser_page
    landmark: Building = city["landmark"]
    _open(page, base)
    _pick(page, landmark)

    page.click("#panel-sunlight > summary")
    assert page.is_disabled("#sl-run")
    page.click("#sl-pick")  # the building selected on the map
    assert str(landmark.pk) in page.text_content("#sl-building")
    page.click("#info-close")
    page.fill("#sl-radius", "300")
    page.click("#sl-run")
    _wait(page, "document.querySelector('#sl-progress .job-progress') !== null", 30)
    _wait(page, "cimViewer.sunlight.run !== null", 180)

    run = AnalysisRun.objects.get(kind="sunlight")
    item = run.result["buildings"][0]
    assert item["building"] == landmark.pk and run.params["radius_m"] == 300
    points = len(item["columns"]) * item["floors"]
    # the grid: one coloured wall quad per calculation point
    assert page.evaluate("cimViewer.sunlight.cells") == points
    assert page.is_visible("#legend") and "≥ 2" in page.text_content("#legend")
    summary = page.text_content("#sl-summary").replace(",", "")
    assert str(points) in summary and run.summary["date"] in summary
    floors = page.text_content("#sl-floors")
    failing = run.summary["floors_failing"]
    assert (("、".join(map(str, failing))) if failing else "无") in floors
    assert page.get_attribute("#sl-link", "href").endswith(f"?analysis={run.pk}")
    page.evaluate("cimViewer.viewer.scene.requestRender()")
    page.wait_for_timeout(1500)
    _shot(page, "sunlight")

    # exports, as the page links them (the browser's session)
    csv_text = page.evaluate("(url) => fetch(url).then((r) => r.text())",
                             page.get_attribute("#sl-csv", "href"))
    rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert len(rows) == points
    pdf_head = page.evaluate("(url) => fetch(url).then((r) => r.arrayBuffer()).then((b) => "
                             "String.fromCharCode(...new Uint8Array(b.slice(0, 4))))",
                             page.get_attribute("#sl-pdf", "href"))
    assert pdf_head == "%PDF"

    # a planned 80 m block drawn 40 m south of the tower: the hours its neighbours lose
    x0, y0, x1, y1 = landmark.footprint.extent
    south = y0 - 40 / 110540
    w = 30 / 111320 / 0.823
    corners = [(x0, south), (x0 + w, south), (x0 + w, south - 30 / 110540), (x0, south - 30 / 110540)]
    page.click("[data-tool=slplan]")
    for clon, clat in corners:
        page.evaluate("([lon, lat, h]) => "
                      "cimViewer.sunlight.addPoint(Cesium.Cartesian3.fromDegrees(lon, lat, h))",
                      [clon, clat, _ground(clon, clat)])
    page.evaluate("cimViewer.setTool('select')")  # leaving the tool closes the outline
    assert page.evaluate("cimViewer.sunlight.plan.length") == 4
    page.fill("#sl-plan-height", "80")
    page.click("#sl-impact")
    _wait(page, "cimViewer.sunlight.run !== null && cimViewer.sunlight.run.summary.mode === 'impact'", 240)
    impact = AnalysisRun.objects.get(kind="sunlight", summary__mode="impact")
    assert impact.params["planned"]["height"] == 80
    assert impact.summary["affected"] > 0 and impact.summary["max_lost"] > 0
    cells = sum(len(b["columns"]) * b["floors"] for b in impact.result["buildings"])
    assert page.evaluate("cimViewer.sunlight.cells") == cells
    assert str(impact.summary["affected"]) in page.text_content("#sl-summary")
    page.wait_for_timeout(1000)
    _shot(page, "sunlight_impact")

    # the link reopens the view
    page.goto(f"{base}/viewer/?analysis={run.pk}")
    _wait(page, "window.cimViewer !== undefined", 60)
    page.evaluate("cimViewer.ready")
    _wait(page, "cimViewer.sunlight.run !== null && cimViewer.sunlight.run.id === " + str(run.pk), 60)
    assert page.evaluate("cimViewer.sunlight.cells") == points
    _tiles_settled(page)
    _assert_local(requests, base)
