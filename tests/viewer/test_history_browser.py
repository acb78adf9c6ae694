"""历史变化 and 编辑属性 in the planner, in headless Chromium against the live server: a
planner picks the landmark, edits its name and floors with a reason (saved, audited, in
its history), then moves the time slider and compares two dates: the edited building is
coloured as changed.  A demolished building is drawn by the time slider for a date it stood
on.  Screenshots: artifacts/screenshots/planner_history*.png (look at them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cim.models import AuditLog, Building, BuildingVersion
from tests.viewer import test_planner_browser as planner
from tests.viewer.test_planner_browser import _ground, _open, _pick, _shot, _to_page, _wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

city = planner.city
browser_page = planner.browser_page


def _backdate(days: int) -> None:
    """The test city as if built ``days`` ago (no history version for this setup)."""
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE cim_building DISABLE TRIGGER cim_building_versions_update")
        cur.execute("UPDATE cim_building SET created_at = %s", [timezone.now() - dt.timedelta(days=days)])
        cur.execute("ALTER TABLE cim_building ENABLE TRIGGER cim_building_versions_update")


def test_a_planner_edits_a_building_and_compares_two_dates(city, browser_page):
    _backdate(3)
    page, base, _ = browser_page
    landmark: Building = city["landmark"]
    old_name = landmark.name
    _open(page, base)
    _pick(page, landmark)

    page.click("#info-edit")
    _wait(page, "!document.querySelector('#edit-form').hidden", 20)
    assert page.input_value("#ed-name") == landmark.name
    page.fill("#ed-name", "天水市政务服务中心（新楼）")
    page.fill("#ed-floors", "12")
    page.click("#ed-save")  # no reason: the browser refuses the form
    assert not page.is_hidden("#edit-form")
    page.fill("#ed-reason", "现场核实更名")
    page.click("#ed-save")
    _wait(page, "document.querySelector('#edit-form').hidden", 20)
    landmark.refresh_from_db()
    assert (landmark.name, landmark.floors) == ("天水市政务服务中心（新楼）", 12)
    version = BuildingVersion.objects.get(building_id=landmark.pk)
    assert version.reason == "现场核实更名" and version.name == old_name
    assert AuditLog.objects.filter(action="building.update", object_id=str(landmark.pk)).exists()

    page.click("#info-close")
    page.click("#panel-history > summary")
    page.fill("#hi-slider", "1")  # from: yesterday
    page.dispatch_event("#hi-slider", "input")
    assert page.input_value("#hi-from") == (dt.date.fromisoformat(page.input_value("#hi-to"))
                                            - dt.timedelta(days=1)).isoformat()
    page.click("#hi-run")
    _wait(page, "cimViewer.history.last !== null", 30)
    diff = page.evaluate("cimViewer.history.last")
    assert diff["new"] == [] and diff["removed"] == []
    assert [c["id"] for c in diff["changed"]] == [landmark.pk]
    assert sorted(diff["changed"][0]["fields"]) == ["floors", "name"]
    assert page.is_visible("#legend")
    page.wait_for_timeout(800)
    _shot(page, "history")
    # further back than the city: every building is new
    page.fill("#hi-slider", "10")
    page.dispatch_event("#hi-slider", "input")
    page.click("#hi-run")
    _wait(page, f"cimViewer.history.last.new.length === {Building.objects.count()}", 30)


def test_the_time_slider_draws_a_demolished_building(city, browser_page):
    """The landmark is demolished today (with a reason) and the tiles rebuilt without it: with the
    slider two days back it is drawn from its stored version (translucent red, in the legend) and
    picking it shows that version; with the first date after the deletion it is not drawn."""
    from cim.services.history import change_context
    from cim.services.tiles import tiles_build

    _backdate(3)
    landmark: Building = city["landmark"]
    pk, lon, lat, height = landmark.pk, landmark.centroid.x, landmark.centroid.y, landmark.height
    with transaction.atomic(), change_context(by=None, reason="危房拆除"):
        landmark.delete()
    tiles_build()  # the incremental build: the landmark's tile re-encoded without it
    page, base, _ = browser_page
    _open(page, base)
    count = "cimViewer.history.demolishedSource.entities.values.length"
    assert page.evaluate(count) == 0

    page.click("#panel-history > summary")
    page.fill("#hi-slider", "2")
    page.dispatch_event("#hi-slider", "input")
    before = page.input_value("#hi-from")
    _wait(page, f"cimViewer.history.demolished?.at === '{before}'", 30)
    assert page.evaluate("cimViewer.history.demolished.ids") == [pk]
    assert page.evaluate(count) >= 1
    assert "1" in page.text_content("#hi-legend-demolished")
    page.wait_for_timeout(800)
    _shot(page, "history_demolished")
    # picking the drawn building shows the version it was and why it went
    at = _to_page(page, lon, lat, _ground(lon, lat) + height * 0.6)
    page.mouse.click(at["x"], at["y"])
    _wait(page, "document.querySelector('#info-panel').dataset.kind === 'demolished'", 30)
    assert page.text_content("#info-attrs [data-field=id]") == str(pk)
    assert page.text_content("#info-attrs [data-field=reason]") == "危房拆除"
    assert planner.planner_city.LANDMARK in page.text_content("#info-title")
    assert page.is_hidden("#info-edit"), "a past version is not edited"
    _shot(page, "history_demolished_picked")

    # a first date after the deletion (tomorrow, whatever the browser's time zone): nothing drawn
    page.click("#info-close")
    tomorrow = (dt.date.fromisoformat(page.input_value("#hi-to")) + dt.timedelta(days=1)).isoformat()
    page.fill("#hi-to", tomorrow)
    page.fill("#hi-slider", "0")
    page.dispatch_event("#hi-slider", "input")
    _wait(page, f"cimViewer.history.demolished?.at === '{tomorrow}'", 30)
    assert page.evaluate("cimViewer.history.demolished.ids") == []
    assert page.evaluate(count) == 0
