"""Live operations in headless Chromium over a real ASGI server: the dashboard draws known
data from the statistics API and refreshes when an event arrives; two consoles (two browser
contexts, two users) see a unit move and change status, and a new incident appear, within
seconds of the report.  Screenshots: artifacts/screenshots/dashboard*.png, live_console_*.png.

The city, servers and browser helpers are those of ``test_console_browser`` (one committed city
per module, flushed afterwards).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from cim import roles
from tests.viewer.browser_kit import chromium, in_thread
from tests.viewer.test_console_browser import (  # noqa: F401  (ops_site: a fixture)
    T0,
    assert_local,
    open_tab,
    ops_site,
    settle,
    shot,
    wait_for,
)

pytestmark = [pytest.mark.browser]


# --- known data ---------------------------------------------------------------------------------

# (type, level, hours before now) — categories follow from the types.
KNOWN_INCIDENTS = [
    ("fire", "III", 5.0), ("traffic_accident", "IV", 3.0), ("epidemic", "II", 2.0),
    ("crime", "IV", 1.0), ("flood", "III", 0.5), ("gas_leak", "IV", 0.2),
]
# Response segments (s) of the first two: call processing, turnout, travel.
KNOWN_SEGMENTS = {0: (45, 50, 200), 1: (75, 70, 310)}


def _unit_of(unit_type: str):
    from emergency.models import Unit

    return Unit.objects.filter(unit_type=unit_type, status="available").order_by("code").first()


def make_known_data(users) -> dict:
    """Incidents over the last hours with their response times, a depot short of masks,
    door plates with scans and residents' reports in two communities."""
    from cim.models import Address, PlateScanDay
    from cim.services.plates import plate_issue
    from cim.services.reports import report_create
    from emergency import services
    from emergency.models import Depot, Incident, Item, UnitStatusChange

    dispatcher, commander = users[roles.DISPATCHER], users[roles.COMMANDER]
    centre = Point(105.719, 34.5775, srid=4326)
    now = timezone.now()
    made = []
    for k, (itype, level, hours) in enumerate(KNOWN_INCIDENTS):
        where = Point(centre.x + 0.001 * (k - 3), centre.y + 0.0006 * (k % 3), srid=4326)
        made.append(services.incident_create(
            title=f"已知事件{k + 1}", incident_type=itype, level=level, source="110", location=where,
            reported_at=now - dt.timedelta(hours=hours), by=dispatcher))
    for k, (call, turnout, travel) in KNOWN_SEGMENTS.items():
        incident = services.incident_transition(incident=made[k], to="verified", by=dispatcher)
        unit = _unit_of("fire_engine" if k == 0 else "ambulance")
        services.assignment_create(incident=incident, units=[unit.pk], by=commander)
        services.unit_set_status(unit=unit, status="en_route", by=commander)
        services.unit_set_status(unit=unit, status="on_scene", by=commander)
        dispatched = incident.reported_at + dt.timedelta(seconds=call)
        Incident.objects.filter(pk=incident.pk).update(dispatched_at=dispatched)
        moves = {"dispatched": dispatched, "en_route": dispatched + dt.timedelta(seconds=turnout),
                 "on_scene": dispatched + dt.timedelta(seconds=turnout + travel)}
        for to, at in moves.items():
            UnitStatusChange.objects.filter(unit=unit, incident=incident, to_status=to).update(at=at)
    depot = Depot.objects.get(code="DEPOT-1")
    masks = Item.objects.get(code="MASK")
    services.stock_set(depot=depot, item=masks, quantity=50, by=commander)
    # Plates: the first door of two communities; scans today, residents' reports.
    doors = []
    for address in Address.objects.filter(kind="door").select_related("admin_area").order_by("code"):
        if address.admin_area_id not in {d.admin_area_id for d in doors}:
            doors.append(address)
        if len(doors) == 2:
            break
    scans, reports = (7, 3), (2, 1)
    for door, n_scans, n_reports in zip(doors, scans, reports, strict=True):
        plate = plate_issue(address=door, by="test")
        PlateScanDay.objects.create(plate=plate, day=timezone.localdate(), scans=n_scans, clients=n_scans)
        for r in range(n_reports):
            report_create(address=door, plate=plate, category="other", client=f"c{r}",
                          description=f"楼道照明损坏，第{r + 1}次反映")
    return {"incidents": made, "doors": doors, "scans": scans, "reports": reports}


def _series(option: dict, k: int = 0) -> list:
    return [d["value"] if isinstance(d, dict) else d for d in option["series"][k]["data"]]


def test_dashboard_draws_known_data_and_refreshes_live(ops_site, orm):  # noqa: F811
    from emergency.management.commands.seed_emergency_demo import STOCK
    from emergency.models import Incident, Unit

    known = in_thread(make_known_data, ops_site.users)
    T0[0] = time.monotonic()
    with chromium() as browser:
        tab = open_tab(browser, ops_site, ops_site.users[roles.COMMANDER], "/dashboard/")
        page = tab.page
        settle(page, "cimDashboard")
        wait_for(page, "cimDashboard.data.incidents && cimDashboard.data.plates"
                       " && cimDashboard.data.supplies", 60)
        assert page.is_visible("#synthetic-badge")

        # incidents by level and category (every incident of the window is one of ours)
        assert Incident.objects.count() == len(KNOWN_INCIDENTS)
        level = page.evaluate("cimDashboard.option('level')")
        expected_levels = [sum(1 for _, lv, _ in KNOWN_INCIDENTS if lv == code)
                           for code in ("I", "II", "III", "IV")]
        assert _series(level) == expected_levels
        category_data = page.evaluate("cimDashboard.option('category')")["series"][0]["data"]
        category = {d["name"]: d["value"] for d in category_data}
        assert category == {"自然灾害": 1, "事故灾难": 3, "公共卫生事件": 1, "社会安全事件": 1}
        hours = _series(page.evaluate("cimDashboard.option('hour')"))
        assert sum(hours) == len(KNOWN_INCIDENTS) and len(hours) in (24, 25)

        # response segments of the two incidents with a unit on scene, against their targets
        response = page.evaluate("cimDashboard.option('response')")
        titles = response["yAxis"][0]["data"]
        assert len(titles) == 2
        for k, (call, turnout, travel) in KNOWN_SEGMENTS.items():
            row = next(i for i, label in enumerate(titles) if f"已知事件{k + 1}" in label)
            assert [_series(response, s)[row] for s in range(3)] == [call, turnout, travel]
        met = [[response["series"][s]["data"][i]["met"] for s in range(3)] for i in range(2)]
        assert sorted(met) == [[False, False, False], [True, True, True]], "1 within every target, 2 over"

        # units by status; masks against their minimum (DEPOT-1 now below it); plates per community
        units_data = page.evaluate("cimDashboard.option('units')")["series"][0]["data"]
        units = {d["name"]: d["value"] for d in units_data}
        assert units["到场"] == 2 and units["可调派"] == Unit.objects.count() - 2
        supplies = page.evaluate("cimDashboard.option('supplies')")
        names = supplies["yAxis"][0]["data"]
        seeded_masks = sum(stock["MASK"][0] for stock in STOCK if "MASK" in stock)
        seeded_minimum = sum(stock["MASK"][1] for stock in STOCK if "MASK" in stock)
        masks_now = seeded_masks - STOCK[0]["MASK"][0] + 50
        assert _series(supplies)[names.index("口罩")] == round(100 * masks_now / seeded_minimum)
        assert "1" in page.text_content("[data-kpi=low] [data-value]")
        plates = page.evaluate("cimDashboard.option('plates')")
        communities = plates["xAxis"][0]["data"]
        for door, n_scans, n_reports in zip(known["doors"], known["scans"], known["reports"], strict=True):
            i = communities.index(door.admin_area.name.removesuffix("社区"))
            assert (_series(plates, 0)[i], _series(plates, 1)[i]) == (n_scans, n_reports)
        assert page.text_content("[data-kpi=incidents] [data-value]") == str(len(KNOWN_INCIDENTS))
        shot(page, "dashboard", "cimDashboard")

        # live: a new level-I incident is taken; the dashboard redraws from the event
        loads = page.evaluate("cimDashboard.loads")
        from emergency import services

        in_thread(lambda: services.incident_create(
            title="新发地震", incident_type="earthquake", level="I", source="110",
            location=Point(105.718, 34.578, srid=4326), by=ops_site.users[roles.DISPATCHER]))
        wait_for(page, f"cimDashboard.loads > {loads}"
                       " && cimDashboard.option('level').series[0].data[0].value === 1",
                 30, "the live refresh")
        assert page.text_content("[data-kpi=incidents] [data-value]") == str(len(KNOWN_INCIDENTS) + 1)
        shot(page, "dashboard_live", "cimDashboard")
        assert page.evaluate("cimDashboard.errors") == [] and tab.errors == []
        assert_local(tab)


def test_two_consoles_see_a_unit_move_and_a_new_incident(ops_site, orm):  # noqa: F811
    from rest_framework.test import APIClient

    from emergency.models import Unit

    unit = Unit.objects.filter(status="available", unit_type="police_car").order_by("code").first()
    start = unit.home_station.geom
    track = [(start.x + 0.0008 * k, start.y + 0.0003 * k) for k in range(1, 4)]
    T0[0] = time.monotonic()
    with chromium() as browser:
        tabs = [open_tab(browser, ops_site, ops_site.users[role], "/console/",
                         viewport={"width": 1366, "height": 768})
                for role in (roles.COMMANDER, roles.DISPATCHER)]
        for tab in tabs:
            settle(tab.page)
            assert tab.page.evaluate(f"cimConsole.unitAt({unit.pk})") == pytest.approx([start.x, start.y])

        def report(lon, lat, at):
            client = APIClient()
            client.force_authenticate(ops_site.users[roles.DISPATCHER])  # an AVL gateway account
            return client.post("/api/emergency/positions/", {"positions": [
                {"unit": unit.pk, "lon": lon, "lat": lat, "at": at.isoformat(), "speed_kmh": 36,
                 "heading": 70}]},
                format="json")

        for lon, lat in track:
            sent = time.monotonic()
            answer = in_thread(report, lon, lat, timezone.now())
            assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.content
            for tab in tabs:
                wait_for(tab.page, f"(p => p && Math.abs(p[0] - {lon}) < 1e-7"
                                   f" && Math.abs(p[1] - {lat}) < 1e-7)"
                                   f"(cimConsole.unitAt({unit.pk}))", 20, "the unit's new position")
            print(f"  position on both consoles after {time.monotonic() - sent:.2f} s")
        on_screen = [tab.page.evaluate(f"cimConsole.toPage({track[-1][0]}, {track[-1][1]})") for tab in tabs]
        assert all(on_screen), "the unit is in view on both consoles"

        # a status change and a new incident, from another desk, reach both consoles
        def out_of_service():
            client = APIClient()
            client.force_authenticate(ops_site.users[roles.COMMANDER])
            return client.post(f"/api/emergency/units/{unit.pk}/status/",
                               {"status": "out_of_service", "note": "保养"}, format="json").status_code

        assert in_thread(out_of_service) == 200
        from emergency import services

        incident = in_thread(lambda: services.incident_create(
            title="民主路燃气泄漏", incident_type="gas_leak", level="IV", source="119",
            location=Point(*track[-1], srid=4326), by=ops_site.users[roles.DISPATCHER]))
        for tab in tabs:
            wait_for(tab.page, f"cimConsole.unitStatus({unit.pk}) === 'out_of_service'", 20,
                     "the status, live")
            wait_for(tab.page, f"!!document.querySelector('#incident-list [data-id=\"{incident.pk}\"]')", 20,
                     "the new incident in the list")
            tab.page.evaluate(f"cimConsole.map.flyTo({track[-1][0]}, {track[-1][1]},"
                              " {range: 1400, duration: 0})")
            tab.page.evaluate("cimConsole.idle(120000)")
        shot(tabs[0].page, "live_console_a")
        shot(tabs[1].page, "live_console_b")
        for tab in tabs:
            assert tab.page.evaluate("cimConsole.errors") == [] and tab.errors == []
            assert_local(tab)
