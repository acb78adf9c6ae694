"""The ops back office in headless Chromium: a dispatcher draws a road closure on the console's
map, saves it and sees it listed (and routing honours it); on the units page a dispatcher takes
a unit out of service — refused without a reason, refused for a unit still assigned (the 409 is
shown), done with one — and the status board moves the card.  The pages run against a WSGI
server thread (HTTP) and the daphne process (``/ws/ops/``) on the committed test database.
Screenshots: artifacts/screenshots/backoffice_*.png.

The city is the demo generator's on a small extent without terrain or 3D Tiles (the console
works without them and a SwiftShader map settles in seconds instead of a minute).
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from cim import roles
from tests import factories
from tests.live_http import live_http_server
from tests.viewer.browser_kit import SHOTS, chromium, in_thread
from tests.viewer.test_console_browser import (
    OpsSite,
    _flush,
    _road_points,
    assert_local,
    frame,
    map_point_free,
    open_tab,
    press,
    settle,
    wait_for,
)

pytestmark = [pytest.mark.browser]

EXTENT = (105.712, 34.572, 105.722, 34.580)


@pytest.fixture(scope="module")
def site(test_database, django_db_blocker, asgi_server, tmp_path_factory):
    media = tmp_path_factory.mktemp("backoffice-media")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    cim = {**settings.CIM, "WS_URL": asgi_server.url("")}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, CIM=cim):
        _flush()
        try:
            quiet = open(os.devnull, "w")  # noqa: SIM115
            call_command("build_demo_city", extent=",".join(map(str, EXTENT)), verbosity=0, stdout=quiet,
                         stderr=quiet)
            call_command("seed_emergency_demo", stdout=quiet, stderr=quiet)
            users = {role: factories.user(role, f"{role}_bo") for role in (roles.COMMANDER, roles.DISPATCHER)}
            with live_http_server() as base:
                yield OpsSite(base=base, ws=asgi_server.url(""), users=users,
                              media=media)
        finally:
            _flush()


def snap(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_dispatcher_draws_a_closure_and_takes_a_unit_out_of_service(site, orm):
    from django.contrib.gis.geos import Point

    from cim.routing.service import current_closures
    from emergency import services
    from emergency.models import Incident, RoadClosure, Unit

    dispatcher = site.users[roles.DISPATCHER]
    with chromium() as browser:
        # --- 1. a road closure drawn on the console map ------------------------------------------
        tab = open_tab(browser, site, dispatcher, "/console/")
        page = tab.page
        settle(page)
        press(page, "#btn-closures")
        wait_for(page, "!document.querySelector('#closure-panel').hidden")
        press(page, "#btn-closure-draw")
        wait_for(page, "cimConsole.map.tool?.kind === 'polygon'")
        centre = ((EXTENT[0] + EXTENT[2]) / 2, (EXTENT[1] + EXTENT[3]) / 2)
        lon, lat = next(p for p in _road_points(centre)
                        if map_point_free(page, p[0] - 0.0006, p[1] - 0.0004, avoid="#closure-panel")
                        and map_point_free(page, p[0] + 0.0006, p[1] + 0.0004, avoid="#closure-panel"))
        ring = [(lon - 0.0006, lat - 0.0004), (lon + 0.0006, lat - 0.0004), (lon + 0.0006, lat + 0.0004),
                (lon - 0.0006, lat + 0.0004)]
        for k, (x, y) in enumerate(ring):
            at = map_point_free(page, x, y, avoid="#closure-panel")
            assert at, f"closure corner {k} is off the map"
            page.mouse.click(at["x"], at["y"])
            wait_for(page, f"cimConsole.map.tool?.points.length === {k + 1}", 30, f"vertex {k + 1}")
        page.mouse.click(at["x"], at["y"], button="right")
        wait_for(page, "cimConsole.map.tool === null && !!cimConsole.app.closures.area", 20, "the drawn area")
        page.select_option("[name=closure_reason]", "flood")
        page.fill("[name=closure_note]", "河堤路段积水封闭")
        frame(page)
        snap(page, "backoffice_closure_draw")
        press(page, "#btn-closure-save")
        wait_for(page, "document.querySelectorAll('#closure-list li[data-closure]').length === 1", 30,
                 "the closure listed")
        wait_for(page, "cimConsole.closureCount() === 1", 10)
        closure = RoadClosure.objects.get()
        assert closure.reason == "flood" and closure.area is not None and closure.created_by == dispatcher
        assert closure.area.contains(closure.area.centroid)
        assert current_closures() == frozenset(closure.segments.values_list("pk", flat=True)) != frozenset()
        assert "河堤路段积水封闭" in page.text_content("#closure-list")
        wait_for(page, "cimConsole.app.closures.source.entities.values.length > 0", 10, "closure drawn")
        press(page, "#closure-list [data-locate]")
        page.wait_for_timeout(1500)  # the camera flight
        page.evaluate("cimConsole.idle(60000)")
        frame(page)
        snap(page, "backoffice_closure_listed")
        press(page, "#closure-panel header button")

        # --- 2. merge a duplicate into the incident kept, then split a new one off ---------------
        def two_calls():
            by = site.users[roles.COMMANDER]
            kept = services.incident_create(title="西十里路积水", incident_type="flood", source="110",
                                            location=Point(lon, lat, srid=4326), by=by)
            kept = services.incident_transition(incident=kept, to="verified", by=by)
            dup = services.incident_create(title="西十里路积水（重复）", incident_type="flood", source="119",
                                           location=Point(lon + 0.0002, lat, srid=4326), by=by)
            services.incident_add_note(incident=dup, text="报警人：积水没过车轮", by=by)
            services.incident_add_note(incident=kept, text="另一报警人：对面小区地下车库进水", by=by)
            return kept.pk, dup.pk

        kept_id, dup_id = in_thread(two_calls)
        wait_for(page, f"!!cimConsole.incident({dup_id}) && !!cimConsole.incident({kept_id})", 30,
                 "the calls")
        page.evaluate(f"cimConsole.select({dup_id})")
        press(page, "#btn-merge")
        wait_for(page, f"!!document.querySelector('#merge-candidates li[data-candidate=\"{kept_id}\"]')", 30)
        press(page, f"#merge-candidates li[data-candidate='{kept_id}']")
        wait_for(page, "!document.querySelector('#merge-confirm').hidden")
        snap(page, "backoffice_merge_confirm")
        press(page, "#btn-merge-confirm")
        wait_for(page, f"cimConsole.selected === {kept_id}", 30, "the survivor selected")
        dup = Incident.objects.get(pk=dup_id)
        assert dup.status == "merged" and dup.merged_into_id == kept_id
        assert Incident.objects.get(pk=kept_id).timeline.filter(data__merged_from=dup_id).exists()
        press(page, "#btn-split")
        wait_for(page, "document.querySelectorAll('[name=split_note]').length >= 2", 30, "the notes to split")
        note = page.evaluate("""() => [...document.querySelectorAll('.check-row')]
            .find((r) => r.textContent.includes('地下车库')).querySelector('input').value""")
        page.check(f"[name=split_note][value='{note}']")
        page.fill("[name=split_title]", "对面小区地下车库进水")
        press(page, "#btn-split-go")
        wait_for(page, "!document.querySelector('#split-confirm').hidden")
        snap(page, "backoffice_split_confirm")
        press(page, "#btn-split-confirm")
        wait_for(page, f"!!cimConsole.selected && cimConsole.selected !== {kept_id}", 30, "the new incident")
        new = Incident.objects.get(pk=page.evaluate("cimConsole.selected"))
        assert new.split_from_id == kept_id and new.timeline.filter(kind="note", pk=int(note)).exists()
        assert not tab.errors, tab.errors
        assert_local(tab)
        page.context.close()

        # --- 3. the units page: out of service needs a reason, refused while assigned -----------
        busy = Unit.objects.filter(status="available").order_by("code").first()
        spare = Unit.objects.filter(status="available").exclude(pk=busy.pk).order_by("code").first()

        def assign():
            by = site.users[roles.COMMANDER]
            incident = services.incident_create(title="测试派遣", incident_type="fire", source="119",
                                                location=busy.home_station.geom, by=by)
            incident = services.incident_transition(incident=incident, to="verified", by=by)
            services.assignment_create(incident=incident, units=[busy.pk], by=by)
            return incident.number

        number = in_thread(assign)
        tab = open_tab(browser, site, dispatcher, "/backoffice/units/")
        page = tab.page
        wait_for(page, "window.cimUnits && cimUnits.liveState() === 'live'", 60, "the live feed")
        wait_for(page, f"!!document.querySelector('.unit-card[data-unit=\"{spare.pk}\"]')", 20)
        assert number in page.text_content(f".unit-card[data-unit='{busy.pk}']")
        snap(page, "backoffice_units_board")

        # no reason: refused in the dialog, nothing stored
        press(page, f".col-available .unit-card[data-unit='{spare.pk}'] [data-action=oos]")
        wait_for(page, "!document.querySelector('#oos-dialog').hidden")
        press(page, "#oos-confirm")
        wait_for(page, "!document.querySelector('#oos-form .form-error').hidden")
        spare.refresh_from_db()
        assert spare.status == "available"
        page.fill("#oos-form [name=note]", "车辆送修（刹车系统）")
        snap(page, "backoffice_units_oos_dialog")
        press(page, "#oos-confirm")
        parked = f".col-out_of_service .unit-card[data-unit=\"{spare.pk}\"]"
        wait_for(page, f"!!document.querySelector('{parked}')", 20, "the card in the out-of-service column")
        spare.refresh_from_db()
        assert (spare.status, spare.status_note) == ("out_of_service", "车辆送修（刹车系统）")
        assert "车辆送修" in page.text_content(f".unit-card[data-unit='{spare.pk}']")

        # the assigned unit: the server refuses (409) and the page says why
        press(page, f".unit-card[data-unit='{busy.pk}'] [data-action=oos]")
        wait_for(page, "!document.querySelector('#oos-dialog').hidden")
        page.fill("#oos-form [name=note]", "保养")
        press(page, "#oos-confirm")
        wait_for(page, "!document.querySelector('#oos-form .form-error').hidden"
                       " && document.querySelector('#oos-form .form-error').textContent.includes('"
                       f"{number}')", 20, "the refusal")
        busy.refresh_from_db()
        assert busy.status == "dispatched"
        snap(page, "backoffice_units_refused")
        page.click("#oos-dialog [data-action=close] >> nth=0")

        # a change made elsewhere reaches the board live
        commander = site.users[roles.COMMANDER]
        in_thread(lambda: services.unit_set_status(unit=spare, status="available", by=commander))
        wait_for(page, f"cimUnits.status({spare.pk}) === 'available'", 20, "the live status change")
        press(page, "[data-view=roster]")
        wait_for(page, "!document.querySelector('#roster').hidden")
        snap(page, "backoffice_units_roster")
        assert Incident.objects.filter(number=number).exists()
        assert not tab.errors, tab.errors
        assert_local(tab)
