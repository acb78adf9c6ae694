"""Mutual aid across districts (跨区支援) in the console, in headless Chromium: a dispatcher of
秦州区 sees a 麦积区 fire engine only as a mutual-aid candidate, asks for it with a reason; the
city-level commander (English console) sees the request in the dispatch tab and approves it, and
the unit is sent — each step checked in the database.  Uses the committed demo city and servers
of :mod:`tests.viewer.test_console_browser`.  Screenshots: artifacts/screenshots/aid_*.png."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from cim import roles
from tests import factories
from tests.viewer.browser_kit import chromium, in_thread
from tests.viewer.test_console_browser import (  # noqa: F401  (ops_site: a fixture)
    EXTENT,
    _road_points,
    open_tab,
    ops_site,
    press,
    settle,
    shot,
    wait_for,
)

pytestmark = [pytest.mark.browser]


def _setup(site):
    """A verified fire in the centre needing one engine; a 麦积区 brigade with an engine
    stationed near it; a dispatcher limited to 秦州区."""
    from cim.models import AdminArea, ServicePoint, StaffProfile
    from emergency import services
    from emergency.models import Agency

    centre = ((EXTENT[0] + EXTENT[2]) / 2, (EXTENT[1] + EXTENT[3]) / 2)
    here, station_at = _road_points(centre, 2)
    qinzhou, maiji = AdminArea.objects.get(code="620502"), AdminArea.objects.get(code="620503")
    brigade = Agency.objects.create(code="MJ-AID", name="麦积区消防救援大队", kind="fire", admin_area=maiji)
    station = ServicePoint.objects.create(geom=Point(*station_at, srid=4326), category="fire_station",
                                          name="麦积支援前置点", source="test", source_id="mj-aid")
    engine = services.unit_save(by="seed", code="MJ-101", name="麦积101消防车", unit_type="fire_engine",
                                agency=brigade, home_station=station, crew_size=5)
    incident = services.incident_create(title="跨区支援演练火情", incident_type="fire", level="IV",
                                        source="119", location=Point(*here, srid=4326), by="seed")
    incident = services.incident_transition(incident=incident, to="verified", by="seed")
    services.dispatch_request_create(incident=incident, unit_type="fire_engine", count=1, by="seed")
    local = factories.user(roles.DISPATCHER, "qinzhou_dispatcher")
    StaffProfile.objects.create(user=local).districts.set([qinzhou])
    return incident, engine, local


def _dispatch_tab(browser, site, user, incident, shown: str, what: str, **options):
    """The console as ``user`` with ``incident`` selected on its dispatch tab, once ``shown``
    (a selector) is in the page."""
    tab = open_tab(browser, site, user, "/console/", **options)
    settle(tab.page)
    tab.page.evaluate(f"cimConsole.select({incident.pk})")
    press(tab.page, "[data-tab=dispatch]")
    wait_for(tab.page, f"!!document.querySelector({shown!r})", 90, what)
    return tab


def test_a_district_dispatcher_asks_and_the_city_approves(ops_site, orm):  # noqa: F811
    from emergency.models import Assignment, MutualAidRequest

    incident, engine, local = in_thread(_setup, ops_site)
    with chromium() as browser:
        # 秦州区's dispatcher: the 麦积区 engine is a mutual-aid candidate, not a checkbox
        row = f".aid-candidates tr[data-unit='{engine.pk}']"
        tab = _dispatch_tab(browser, ops_site, local, incident, row, "the mutual-aid candidate")
        page = tab.page
        assert page.locator(f".rec-table:not(.aid-table) tr[data-unit='{engine.pk}']").count() == 0
        assert "麦积区" in page.locator(row).inner_text()
        press(page, f"{row} button[data-aid-unit]")
        page.locator(".aid-form input[name=reason]").fill("本区消防车均已出动，申请麦积区支援")
        shot(page, "aid_01_request")
        press(page, ".aid-form button[type=submit]")
        wait_for(page, "!!document.querySelector('#mutual-aid li[data-status=pending]')", 60, "the request")
        request = MutualAidRequest.objects.get(incident=incident, unit=engine)
        assert request.status == "pending" and request.requested_by == local
        assert not page.locator("#mutual-aid button[data-aid-approve]").count(), "a district user approves"
        assert tab.errors == [], tab.errors
        tab.page.context.close()

        # the city-level commander, in English: approve, and the engine is sent
        commander = ops_site.users[roles.COMMANDER]
        approve = f"#mutual-aid button[data-aid-approve='{request.pk}']"
        tab = _dispatch_tab(browser, ops_site, commander, incident, approve, "the approve button",
                            locale="en-US")
        page = tab.page
        assert "Mutual-aid requests (1)" in page.locator("#mutual-aid").inner_text()
        shot(page, "aid_02_approve")
        press(page, approve)
        wait_for(page, "!!document.querySelector('#mutual-aid li[data-status=approved]')", 60, "approved")
        request.refresh_from_db()
        assert request.status == "approved" and request.decided_by == commander
        assert Assignment.objects.get(unit=engine, incident=incident).pk == request.assignment_id
        shot(page, "aid_03_approved")
        assert tab.errors == [], tab.errors
