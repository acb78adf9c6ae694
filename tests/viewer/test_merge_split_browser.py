"""Incident merge and split in the command console, in headless Chromium (issue 12 §1 "Incidents:
merge duplicates (timelines, media and assignments combined, the merged one points to the
survivor), split").  A dispatcher opens a duplicate that already has a unit, a photo and a
caller note, merges it into the survivor picked from the nearby candidates; then (in English)
splits a second event off another incident by ticking one note and one photo.  The database is
checked after each step.  Screenshots: artifacts/screenshots/console_merge*.png, console_split*.png.

The server is another thread, so the records are committed and the database flushed afterwards.
No 3D city is built: the console's map stays empty, the incident panels are what is tested.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.viewer.browser_kit import SHOTS, console_page, open_incident, site_fixture, wait_db

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1500, "height": 950}


def photo(name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def _seed() -> dict:
    from emergency import services
    from tests.emergency.conftest import node
    from tests.viewer.test_field_browser import build_field_city

    city = build_field_city()  # the district, the road grid, a fire station and its engine E1
    by, unit = city["dispatcher"], city["unit"]

    def incident(title: str, at: tuple[float, float]):
        made = services.incident_create(title=title, incident_type="fire", level="IV", source="119",
                                        location=Point(*at, srid=4326), by=by)
        return services.incident_transition(incident=made, to="verified", by=by)

    keep = incident("民主路居民楼火情", node(3, 1))
    dup = incident("民主路冒烟（重复报警）", node(3, 2))
    services.assignment_create(incident=dup, units=[unit.pk], by=by)
    services.attachment_add(incident=dup, upload=photo("dup-scene.jpg"), by=by, note="现场照片")
    services.incident_add_note(incident=dup, text="报警人称二楼有人被困", by=by)
    origin = incident("藉河北路两处警情", node(1, 4))
    services.incident_add_note(incident=origin, text="河堤南侧一辆货车侧翻", by=by)
    services.incident_add_note(incident=origin, text="北侧商铺起火，火势不大", by=by)
    services.attachment_add(incident=origin, upload=photo("truck.jpg"), by=by, note="货车照片")
    return {"user": by, "unit": unit, "keep": keep, "dup": dup, "origin": origin}


site = site_fixture(_seed, media="merge-media")


def console(browser, site, lang: str):
    return console_page(browser, site["base"], site["user"], lang=lang, viewport=VIEWPORT)


def test_merge_a_duplicate_into_the_survivor(site, browser, orm):
    from emergency.models import Assignment, Attachment, Incident

    keep, dup, unit = site["keep"], site["dup"], site["unit"]
    page = console(browser, site, "zh-hans")
    open_incident(page, dup.pk)
    page.click("#btn-merge")
    candidate = f'#merge-candidates li[data-candidate="{keep.pk}"]'
    page.wait_for_selector(candidate)
    assert "民主路居民楼火情" in page.text_content(candidate)
    page.click(candidate)
    page.fill("input[name=merge_reason]", "同一起火灾，两次报警")
    question = page.text_content("#merge-confirm")
    assert dup.number in question and keep.number in question
    page.screenshot(path=str(SHOTS / "console_merge_confirm.png"))
    page.click("#btn-merge-confirm")
    page.wait_for_function(f"window.cimConsole.selected === {keep.pk}")
    dup.refresh_from_db()
    assert dup.status == "merged" and dup.merged_into_id == keep.pk
    assert dup.status_reason == "同一起火灾，两次报警"
    # media, the unit's assignment and the timeline went to the survivor
    photos = Attachment.objects.filter(original_name="dup-scene.jpg")
    assert list(photos.values_list("incident_id", flat=True)) == [keep.pk]
    active = Assignment.objects.filter(unit=unit, released_at__isnull=True)
    assert [a.incident_id for a in active] == [keep.pk]
    keep = Incident.objects.get(pk=keep.pk)
    assert keep.status == "dispatched"
    assert keep.timeline.filter(text=f"[{dup.number}] 报警人称二楼有人被困").exists()
    # the survivor's detail says what came in; the duplicate points to the survivor
    page.click('#detail [data-tab="timeline"]')
    page.wait_for_selector(f'[data-panel="timeline"] :text("并入重复事件 {dup.number}")')
    page.screenshot(path=str(SHOTS / "console_merged.png"))
    page.click('input[name=scope][value="finished"]')
    open_incident(page, dup.pk)
    link = page.locator(".incident-tools a")
    assert link.text_content() == f"已合并至事件 #{keep.number}"
    assert page.locator("#btn-merge").count() == 0  # a merged incident offers no merge or split
    link.click()
    page.wait_for_function(f"window.cimConsole.selected === {keep.pk}")
    assert page.errors == []
    page.context.close()


def test_split_a_second_event_off_in_english(site, browser, orm):
    from emergency.models import Attachment, Incident

    origin = site["origin"]
    page = console(browser, site, "en")
    open_incident(page, origin.pk)
    assert "Merge" in page.text_content(".incident-tools") and "Split" in page.text_content(".incident-tools")
    page.click("#btn-split")
    page.wait_for_selector("input[name=split_note]")
    page.check('.check-row:has-text("北侧商铺起火") input')
    page.check('.check-row:has-text("truck.jpg") input')
    # nothing typed as title yet: the page asks for it and nothing is created
    before = Incident.objects.count()
    page.click("#btn-split-go")
    assert page.locator("#btn-split-confirm").count() == 0 and Incident.objects.count() == before
    page.fill("input[name=split_title]", "藉河北路商铺火情")
    page.click("#btn-split-go")
    page.wait_for_selector("#btn-split-confirm")
    page.screenshot(path=str(SHOTS / "console_split_confirm_en.png"))
    page.click("#btn-split-confirm")
    new = wait_db(lambda: Incident.objects.filter(split_from=origin).first(), what="the split incident")
    page.wait_for_function(f"window.cimConsole.selected === {new.pk}")
    assert new.title == "藉河北路商铺火情" and new.status == "received"
    def notes(incident) -> list[str]:
        return list(incident.timeline.filter(kind="note").values_list("text", flat=True))

    assert notes(new) == ["北侧商铺起火，火势不大"] and notes(origin) == ["河堤南侧一辆货车侧翻"]
    assert Attachment.objects.get(original_name="truck.jpg").incident_id == new.pk
    page.wait_for_selector(".incident-tools a")
    assert page.text_content(".incident-tools a") == f"Split from incident #{origin.number}"
    page.screenshot(path=str(SHOTS / "console_split_en.png"))
    assert page.errors == []
    page.context.close()
