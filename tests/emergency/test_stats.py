"""The dashboard's figures on known data: incidents by category, level and
hour; response-time segments against their targets; units by status;
supplies against minimum levels; plates, scans and reports per community;
and who may read them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from cim import roles
from emergency import services
from emergency.models import Incident, Stock, Unit, UnitStatusChange
from emergency.stats import UnitTimes, response_segments, summarise
from tests.emergency.conftest import node

TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, the settings' time zone
TARGETS = {"call_processing_s": 60, "turnout_s": {"default": 80, "ambulance": 60}, "travel_s": 240,
           "response_s": 300}
pytestmark = pytest.mark.django_db


def _get(client, path, **params):
    response = client.get(f"/api/emergency/stats/{path}/", params)
    assert response.status_code == 200, response.content
    return response.json()


def _make(by, title, incident_type, level, reported_at, where=(2, 2)):
    return services.incident_create(title=title, incident_type=incident_type, level=level, source="119",
                                    by=by, location=Point(*node(*where), srid=4326), reported_at=reported_at)


# ----------------------------------------------------------------- incidents
def test_incidents_by_category_level_status_and_hour(grid_city, api, user_with):
    client, _ = api(roles.COMMANDER)
    by = user_with(roles.DISPATCHER)
    day = dt.datetime(2025, 5, 1, tzinfo=TZ)
    a = _make(by, "火灾甲", "fire", "IV", day.replace(hour=9, minute=5))
    _make(by, "火灾乙", "fire", "III", day.replace(hour=9, minute=55))
    _make(by, "急救", "medical", "IV", day.replace(hour=14, minute=30))
    dup = _make(by, "重复报警", "fire", "IV", day.replace(hour=9, minute=7))
    services.incident_merge(duplicate=dup, into=a, by=by)
    _make(by, "窗口外", "crime", "II", day.replace(hour=23, minute=30))
    services.incident_transition(incident=a, to="verified", by=by)
    data = _get(client, "incidents", since=day.replace(hour=8).isoformat(),
                until=day.replace(hour=16).isoformat())
    assert data["total"] == 3 and data["active"] == 3
    by_cat = {r["key"]: r["count"] for r in data["by_category"]}
    assert by_cat == {"natural_disaster": 0, "accident": 2, "public_health": 1, "social_security": 0}
    assert {r["key"]: r["count"] for r in data["by_level"]} == {"I": 0, "II": 0, "III": 1, "IV": 2}
    by_status = {r["key"]: r["count"] for r in data["by_status"]}
    assert by_status["verified"] == 1 and by_status["received"] == 2 and by_status["merged"] == 0
    hours = [(dt.datetime.fromisoformat(r["hour"]).astimezone(TZ).hour, r["count"]) for r in data["by_hour"]]
    assert hours == [(8, 0), (9, 2), (10, 0), (11, 0), (12, 0), (13, 0), (14, 1), (15, 0)]
    of_day = {r["hour"]: r["count"] for r in data["by_hour_of_day"]}
    assert len(of_day) == 24 and of_day[9] == 2 and of_day[14] == 1 and sum(of_day.values()) == 3
    labels = {r["key"]: r["label"] for r in data["by_category"]}
    assert labels["accident"]


def test_the_window_defaults_to_the_last_24_hours(grid_city, api, user_with):
    client, _ = api(roles.DISPATCHER)
    by = user_with(roles.DISPATCHER)
    _make(by, "刚才", "fire", "IV", timezone.now() - dt.timedelta(hours=2))
    _make(by, "前天", "fire", "IV", timezone.now() - dt.timedelta(hours=30))
    data = _get(client, "incidents")
    assert data["total"] == 1 and len(data["by_hour"]) in (24, 25)


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "yesterday"}, "since"),
    ({"since": "2025-05-02", "until": "2025-05-01"}, "since"),
    ({"since": "2020-01-01", "until": "2025-01-01"}, "since"),
    ({"until": "2025-13-01"}, "until"),
])
def test_a_bad_window_is_a_400_naming_the_field(api, params, field):
    client, _ = api(roles.COMMANDER)
    response = client.get("/api/emergency/stats/incidents/", params)
    assert response.status_code == 400 and field in str(response.json())


# ------------------------------------------------------------ response times
def _retime(incident, *, reported, dispatched, changes):
    """Put known times on an incident and its units' status changes."""
    Incident.objects.filter(pk=incident.pk).update(reported_at=reported, dispatched_at=dispatched)
    for (unit, status), at in changes.items():
        UnitStatusChange.objects.filter(incident=incident, unit=unit, to_status=status).update(at=at)


def test_response_time_segments_per_incident_against_targets(grid_city, api, incident_at, user_with,
                                                             settings):
    settings.EMERGENCY = {"STATS_TARGETS": TARGETS}
    client, _ = api(roles.COMMANDER)
    by = user_with(roles.DISPATCHER)
    e1, e2, a1 = (grid_city.units[c] for c in ("E1", "E2", "A1"))
    fire = incident_at(*node(3, 2))
    services.assignment_create(incident=fire, units=[e1.pk, e2.pk], by=by)
    for unit, status in ((e1, "en_route"), (e2, "en_route"), (e2, "on_scene")):
        services.unit_set_status(unit=unit, status=status, by=by)
    sick = incident_at(*node(4, 1), incident_type="medical")
    services.assignment_create(incident=sick, units=[a1.pk], by=by)
    for status in ("en_route", "on_scene"):
        services.unit_set_status(unit=a1, status=status, by=by)
    never = incident_at(*node(1, 4), title="未派遣")
    t0 = timezone.now() - dt.timedelta(hours=3)
    s = dt.timedelta(seconds=1)
    _retime(fire, reported=t0, dispatched=t0 + 45 * s, changes={
        (e1, "dispatched"): t0 + 45 * s, (e2, "dispatched"): t0 + 45 * s,
        (e1, "en_route"): t0 + 100 * s, (e2, "en_route"): t0 + 120 * s, (e2, "on_scene"): t0 + 300 * s})
    t1 = t0 + dt.timedelta(hours=1)
    _retime(sick, reported=t1, dispatched=t1 + 90 * s, changes={
        (a1, "dispatched"): t1 + 90 * s, (a1, "en_route"): t1 + 160 * s, (a1, "on_scene"): t1 + 360 * s})
    data = _get(client, "response-times")
    rows = {r["incident"]: r for r in data["incidents"]}
    assert set(rows) == {fire.pk, sick.pk} and never.pk not in rows
    f = rows[fire.pk]
    assert f["unit"]["code"] == "E2"  # the first unit on scene, not the first to leave
    assert {k: (v["seconds"], v["target_s"], v["met"]) for k, v in f["segments"].items()} == {
        "call_processing_s": (45.0, 60.0, True), "turnout_s": (75.0, 80.0, True),
        "travel_s": (180.0, 240.0, True), "response_s": (255.0, 300.0, True)}
    m = rows[sick.pk]
    assert m["unit"]["unit_type"] == "ambulance"
    assert {k: (v["seconds"], v["target_s"], v["met"]) for k, v in m["segments"].items()} == {
        "call_processing_s": (90.0, 60.0, False), "turnout_s": (70.0, 60.0, False),
        "travel_s": (200.0, 240.0, True), "response_s": (270.0, 300.0, True)}
    summary = data["summary"]
    assert summary["call_processing_s"] == {"count": 2, "median_s": 67.5, "p90_s": 85.5, "met_share": 0.5}
    assert summary["turnout_s"] == {"count": 2, "median_s": 72.5, "p90_s": 74.5, "met_share": 0.5}
    assert summary["travel_s"]["met_share"] == 1.0 and summary["response_s"]["median_s"] == 262.5
    assert data["targets"]["turnout_s"] == {"default": 80, "ambulance": 60}


def test_segments_of_an_incident_whose_units_have_not_arrived():
    t = dt.datetime(2025, 5, 1, 8, tzinfo=dt.UTC)
    s = dt.timedelta(seconds=1)
    seg = response_segments(received=t, dispatched=t + 30 * s, targets=TARGETS, units=[
        UnitTimes(7, "E7", "fire_engine", t + 30 * s, t + 130 * s, None),
        UnitTimes(8, "E8", "fire_engine", t + 30 * s, None, None)])
    assert seg["unit"]["code"] == "E7"
    values = {k: (v["seconds"], v["met"]) for k, v in seg["segments"].items()}
    assert values == {"call_processing_s": (30.0, True), "turnout_s": (100.0, False),
                      "travel_s": (None, None), "response_s": (None, None)}
    assert summarise([seg])["travel_s"] == {"count": 0, "median_s": None, "p90_s": None, "met_share": None}


# ---------------------------------------------------------------------- units
def test_units_by_status_and_type(grid_city, api, incident_at, user_with):
    client, _ = api(roles.DISPATCHER)
    by = user_with(roles.DISPATCHER)
    incident = incident_at(*node(3, 2))
    services.assignment_create(incident=incident, units=[grid_city.units["E1"].pk], by=by)
    services.unit_set_status(unit=grid_city.units["P1"], status="out_of_service", by=by, note="保养")
    now = timezone.now()
    Unit.objects.filter(code="A1").update(last_position=Point(*node(5, 0), srid=4326),
                                          last_position_at=now - dt.timedelta(hours=1))
    Unit.objects.filter(code="A2").update(last_position=Point(*node(5, 0), srid=4326), last_position_at=now)
    data = _get(client, "units")
    assert data["total"] == 6
    assert {r["key"]: r["count"] for r in data["by_status"]} == {
        "available": 4, "dispatched": 1, "en_route": 0, "on_scene": 0, "returning": 0, "out_of_service": 1}
    types = {r["key"]: r for r in data["by_type"]}
    assert types["fire_engine"]["count"] == 3 and types["fire_engine"]["by_status"]["dispatched"] == 1
    assert types["police_car"]["by_status"]["out_of_service"] == 1
    assert data["stale"] == 1 and data["no_position"] == 4


# ------------------------------------------------------------------- supplies
def test_supplies_against_minimum_levels(depots, api):
    client, _ = api(roles.COMMANDER)
    d = depots["depots"]
    Stock.objects.create(depot=d["D-SW"], item=depots["tents"], quantity=40, minimum=50)
    Stock.objects.create(depot=d["D-NE"], item=depots["tents"], quantity=100, minimum=50)
    Stock.objects.create(depot=d["D-C"], item=depots["water"], quantity=10, minimum=0)
    data = _get(client, "supplies")
    items = {r["code"]: r for r in data["items"]}
    assert (items["TENT"]["quantity"], items["TENT"]["minimum"], items["TENT"]["depots"],
            items["TENT"]["depots_below"]) == (140, 100, 2, 1)
    assert (items["WATER"]["quantity"], items["WATER"]["depots_below"]) == (10, 0)
    short = [(r["depot_code"], r["item_code"], r["quantity"], r["minimum"]) for r in data["below_minimum"]]
    assert short == [("D-SW", "TENT", 40, 50)]
    assert data["open_alerts"] == 0


# --------------------------------------------------------------------- plates
def test_plates_scans_and_reports_per_community(plate_city, api):
    from cim.models import PlateScanDay
    from cim.services.reports import report_create

    client, _ = api(roles.COMMANDER)
    plate, community = plate_city["plate"], plate_city["community"]
    today = timezone.localdate()
    PlateScanDay.objects.create(plate=plate, day=today, scans=7, clients=3)
    PlateScanDay.objects.create(plate=plate, day=today - dt.timedelta(days=1), scans=5, clients=2)
    PlateScanDay.objects.create(plate=plate, day=today - dt.timedelta(days=9), scans=100, clients=50)
    report_create(address=plate.address, plate=plate, category="road", description="井盖缺失很危险",
                  client="test")
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time()))
    data = _get(client, "plates", since=since.isoformat())
    rows = {r["code"]: r for r in data["communities"]}
    row = rows[community.code]
    figures = (row["plates"], row["scans"], row["clients"], row["reports"], row["open_reports"])
    assert figures == (1, 12, 5, 1, 1)
    assert data["totals"] == {"plates": 1, "scans": 12, "reports": 1, "open_reports": 1}


# ---------------------------------------------------------------- permissions
@pytest.mark.parametrize("path", ["incidents", "response-times", "units", "supplies", "plates"])
@pytest.mark.parametrize(("role", "allowed"), [
    (roles.ADMIN, True), (roles.COMMANDER, True), (roles.DISPATCHER, True),
    (roles.RESPONDER, False), (roles.PLANNER, False), (None, False)])
def test_who_may_read_the_dashboard(api, path, role, allowed):
    client, _ = api(role)
    response = client.get(f"/api/emergency/stats/{path}/")
    assert (response.status_code == 200) == allowed
    if not allowed:
        assert response.status_code in (401, 403)
