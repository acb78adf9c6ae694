"""AVL batch ingestion over HTTP (``POST /api/emergency/positions/``) on the
real PostGIS: what is stored, per-item refusals with reasons, authorisation
per role, nothing stored changes on a refused batch, out-of-order reports,
rate limits and retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from cim import roles
from cim.errors import DomainError
from emergency.live.ingest import positions_ingest
from emergency.live.retention import live_purge
from emergency.models import Event, PositionReport, Unit
from tests.emergency.conftest import node

URL = "/api/emergency/positions/"


def post(client, positions):
    return client.post(URL, {"positions": positions}, format="json")


def fix(unit, i=2, j=2, **extra):
    lon, lat = node(i, j)
    return {"unit": unit.pk, "lon": lon, "lat": lat, **extra}


def picture():
    """Everything ingestion may change: history and each unit's last position."""
    return (PositionReport.objects.count(),
            sorted((u.pk, u.last_position.ewkt if u.last_position else None, u.last_position_at)
                   for u in Unit.objects.all()))


@pytest.mark.django_db
def test_a_batch_is_stored_as_history_and_moves_the_units(grid_city, api):
    client, user = api(roles.DISPATCHER)
    e1, a1 = grid_city.units["E1"], grid_city.units["A1"]
    t1 = timezone.now() - dt.timedelta(seconds=30)
    t2 = t1 + dt.timedelta(seconds=10)
    response = post(client, [fix(e1, 1, 1, at=t1.isoformat(), speed_kmh=30, heading=90),
                             fix(e1, 2, 1, at=t2.isoformat(), speed_kmh=35, heading=90),
                             fix(a1, 5, 0)])
    assert response.status_code == 200, response.json()
    assert response.json() == {"accepted": 3, "applied": 2, "rejected": []}
    e1.refresh_from_db()
    assert (e1.last_position.x, e1.last_position.y) == node(2, 1) and e1.last_position_at == t2
    history = list(PositionReport.objects.filter(unit=e1).order_by("at"))
    assert [(h.at, h.speed_kmh, h.heading, h.source, h.reported_by_id) for h in history] == [
        (t1, 30.0, 90.0, "http", user.pk), (t2, 35.0, 90.0, "http", user.pk)]
    assert (history[0].geom.x, history[0].geom.y) == node(1, 1)
    a1.refresh_from_db()
    assert (a1.last_position.x, a1.last_position.y) == node(5, 0)
    assert not Event.objects.filter(kind__startswith="unit.position").exists()  # positions are not events


@pytest.mark.django_db
def test_an_older_report_is_history_but_never_moves_the_unit_back(grid_city, api):
    client, _ = api(roles.DISPATCHER)
    e1 = grid_city.units["E1"]
    now = timezone.now()
    assert post(client, [fix(e1, 3, 3, at=now.isoformat())]).json()["applied"] == 1
    late = post(client, [fix(e1, 0, 0, at=(now - dt.timedelta(minutes=2)).isoformat())])
    assert late.status_code == 200 and late.json() == {"accepted": 1, "applied": 0, "rejected": []}
    e1.refresh_from_db()
    assert (e1.last_position.x, e1.last_position.y) == node(3, 3) and e1.last_position_at == now
    assert PositionReport.objects.filter(unit=e1).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "code"), [
    ({"lon": 500.0}, "lon", "out_of_range"),
    ({"lat": -91}, "lat", "out_of_range"),
    ({"lon": 0.0, "lat": 0.0}, "lon", "outside_extent"),
    ({"lon": "east"}, "lon", "not_a_number"),
    ({"unit": 987654}, "unit", "unknown_unit"),
    ({"at": "2999-01-01T00:00:00+08:00"}, "at", "in_future"),
    ({"at": "2020-01-01T00:00:00+08:00"}, "at", "too_old"),
    ({"at": "2025-01-01 08:00"}, "at", "invalid"),
])
def test_a_bad_report_is_refused_with_field_and_reason_and_nothing_changes(grid_city, api, change, field,
                                                                            code):
    client, _ = api(roles.DISPATCHER)
    before = picture()
    response = post(client, [{**fix(grid_city.units["E1"]), **change}])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "rejected" and body["accepted"] == 0
    (refused,) = body["rejected"]
    assert (refused["index"], refused["field"], refused["code"]) == (0, field, code)
    assert refused["reason"]
    assert picture() == before


@pytest.mark.django_db
def test_good_reports_of_a_mixed_batch_are_stored_and_bad_ones_listed(grid_city, api):
    client, _ = api(roles.DISPATCHER)
    e1, e2 = grid_city.units["E1"], grid_city.units["E2"]
    response = post(client, [fix(e1), {**fix(e2), "lat": 95},
                             fix(e2, 4, 4), "junk"])
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["applied"]) == (2, 2)
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "out_of_range"), (3, "not_an_object")]
    assert PositionReport.objects.count() == 2
    e2.refresh_from_db()
    assert (e2.last_position.x, e2.last_position.y) == node(4, 4)


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    [], {"positions": "105.7,34.5"}, {"positions": []}, {"positions": {"unit": 1}}, {"units": []}, 12,
])
def test_a_malformed_batch_is_refused_whole(grid_city, api, body):
    client, _ = api(roles.DISPATCHER)
    before = picture()
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "positions" and response.json()["detail"]
    assert picture() == before


@pytest.mark.django_db
def test_a_multipart_post_is_refused_cleanly(grid_city, api):
    client, _ = api(roles.DISPATCHER)
    response = client.post(URL, {"positions": "x"}, format="multipart")
    assert response.status_code == 400 and response.json()["field"] == "positions"


@pytest.mark.django_db
def test_a_batch_too_long_is_refused_whole(grid_city, api, settings):
    settings.EMERGENCY = {"POSITION_BATCH_MAX": 3}
    client, _ = api(roles.DISPATCHER)
    response = post(client, [fix(grid_city.units["E1"], k, 0) for k in range(4)])
    assert response.status_code == 400 and "at most 3" in response.json()["detail"]
    assert PositionReport.objects.count() == 0


# ------------------------------------------------------------- authorisation
@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.ADMIN, roles.COMMANDER, roles.DISPATCHER])
def test_the_control_room_reports_any_unit_of_any_agency(grid_city, api, role):
    client, _ = api(role)
    units = [grid_city.units[c] for c in ("E1", "A1", "P1")]
    response = post(client, [fix(u, k, 1) for k, u in enumerate(units)])
    assert response.status_code == 200 and response.json()["accepted"] == 3


@pytest.mark.django_db
def test_a_responder_reports_their_own_unit_only(grid_city, api):
    from cim.models import AuditLog

    client, responder = api(roles.RESPONDER)
    a1, a2, e1 = grid_city.units["A1"], grid_city.units["A2"], grid_city.units["E1"]
    a1.members.add(responder)
    response = post(client, [fix(a1, 1, 1), fix(a2, 1, 2), fix(e1, 1, 3)])
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "not_member"), (2, "other_agency")]
    assert "A2" in body["rejected"][0]["reason"] and "天水市消防救援支队" in body["rejected"][1]["reason"]
    assert list(PositionReport.objects.values_list("unit_id", flat=True)) == [a1.pk]
    audit = AuditLog.objects.get(action="positions.refused")
    assert audit.actor_id == responder.pk and audit.after["count"] == 2


@pytest.mark.django_db
def test_a_responder_reporting_someone_elses_unit_changes_nothing(grid_city, api):
    client, responder = api(roles.RESPONDER)
    grid_city.units["A1"].members.add(responder)
    before = picture()
    response = post(client, [fix(grid_city.units["E2"])])
    assert response.status_code == 400 and response.json()["rejected"][0]["code"] == "other_agency"
    assert picture() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.PLANNER, None])
def test_other_roles_may_not_report(grid_city, api, role):
    client, _ = api(role)
    before = picture()
    response = post(client, [fix(grid_city.units["E1"])])
    assert response.status_code in (401, 403)
    assert picture() == before


@pytest.mark.django_db
def test_the_service_refuses_an_anonymous_reporter(grid_city):
    with pytest.raises(DomainError) as refused:
        positions_ingest(items=[fix(grid_city.units["E1"])], by=AnonymousUser())
    assert refused.value.field == "positions" and refused.value.code == "forbidden"


@pytest.mark.django_db
def test_http_batches_are_rate_limited_per_user(grid_city, api, settings):
    settings.EMERGENCY = {"POSITION_HTTP_RATE": "3/min"}
    client, _ = api(roles.DISPATCHER)
    codes = [post(client, [fix(grid_city.units["E1"], k, 0)]).status_code for k in range(4)]
    assert codes == [200, 200, 200, 429]
    assert PositionReport.objects.count() == 3


# ----------------------------------------------------------------- retention
@pytest.mark.django_db
def test_purge_removes_history_and_events_past_their_retention(grid_city, api, settings):
    client, _ = api(roles.DISPATCHER)
    e1 = grid_city.units["E1"]
    assert post(client, [fix(e1, 1, 1), fix(grid_city.units["E2"], 2, 2)]).status_code == 200
    old_report = PositionReport.objects.get(unit=e1)
    PositionReport.objects.filter(pk=old_report.pk).update(
        received_at=timezone.now() - dt.timedelta(days=8))
    events = Event.objects.count()
    assert events > 0
    Event.objects.filter(pk=Event.objects.order_by("id").first().pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25))
    result = live_purge()
    assert (result.positions, result.events) == (1, 1)
    assert not PositionReport.objects.filter(pk=old_report.pk).exists()
    assert PositionReport.objects.count() == 1 and Event.objects.count() == events - 1
    e1.refresh_from_db()
    assert e1.last_position is not None  # the unit keeps its last position


@pytest.mark.django_db
def test_a_unit_reporting_faster_than_the_write_interval_is_rewritten_at_most_that_often(grid_city, api):
    from emergency.live.ingest import positions_settle

    client, _ = api(roles.DISPATCHER)
    e1 = grid_city.units["E1"]
    t0 = timezone.now() - dt.timedelta(seconds=10)
    fixes = [fix(e1, k, 0, at=(t0 + dt.timedelta(milliseconds=300 * k)).isoformat()) for k in range(5)]
    answers = [post(client, [f]).json() for f in fixes]
    assert [a["applied"] for a in answers] == [1] * 5  # each moved the unit forward ...
    e1.refresh_from_db()
    # ... but the row took only those a full second apart (0 s and 1.2 s)
    assert e1.last_position_at == t0 + dt.timedelta(milliseconds=1200)
    assert PositionReport.objects.filter(unit=e1).count() == 5
    # a trailing fix is stored later (by a hub); never backwards
    last = t0 + dt.timedelta(milliseconds=1200)
    positions_settle(fixes=[(e1.pk, *node(4, 0), t0 + dt.timedelta(milliseconds=900))])
    e1.refresh_from_db()
    assert e1.last_position_at == last
    positions_settle(fixes=[(e1.pk, *node(4, 0), t0 + dt.timedelta(milliseconds=1200 + 300))])
    e1.refresh_from_db()
    assert (e1.last_position.x, e1.last_position.y) == node(4, 0)


# ------------------------------------------------------ the one-fix endpoint
def post_one(client, unit, i=2, j=2, **extra):
    lon, lat = node(i, j)
    return client.post(f"/api/emergency/units/{unit.pk}/position/", {"lon": lon, "lat": lat, **extra},
                       format="json")


@pytest.mark.django_db
def test_the_one_fix_endpoint_goes_through_the_ingest_path(grid_city, api):
    """``/units/{id}/position/`` answers the unit as before, but the fix is
    stored like a batch's: a history row, no audit row and no event per fix."""
    from cim.models import AuditLog

    client, user = api(roles.DISPATCHER)
    e1 = grid_city.units["E1"]
    at = timezone.now() - dt.timedelta(seconds=5)
    response = post_one(client, e1, 3, 3, at=at.isoformat())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == e1.pk and body["position"] == dict(zip(("lon", "lat"), node(3, 3), strict=True))
    assert dt.datetime.fromisoformat(body["last_position_at"]) == at
    e1.refresh_from_db()
    assert (e1.last_position.x, e1.last_position.y) == node(3, 3) and e1.last_position_at == at
    history = PositionReport.objects.get(unit=e1)
    assert (history.at, history.source, history.reported_by_id) == (at, "http", user.pk)
    assert not AuditLog.objects.filter(action="unit.position").exists()
    assert not Event.objects.filter(kind__startswith="unit.position").exists()
    # an older fix is history only: the unit stays where it is
    late = post_one(client, e1, 0, 0, at=(at - dt.timedelta(minutes=1)).isoformat())
    assert late.status_code == 200 and late.json()["position"] == body["position"]
    assert PositionReport.objects.filter(unit=e1).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "code"), [
    ({"lon": 0.0, "lat": 0.0}, "lon", "outside_extent"),
    ({"at": "2099-01-01T00:00:00+00:00"}, "at", "in_future"),
    ({"at": "2000-01-01T00:00:00+00:00"}, "at", "too_old"),
])
def test_the_one_fix_endpoint_refuses_what_a_batch_refuses(grid_city, api, change, field, code):
    client, _ = api(roles.DISPATCHER)
    e1 = grid_city.units["E1"]
    before = picture()
    lon, lat = node(2, 2)
    response = client.post(f"/api/emergency/units/{e1.pk}/position/", {"lon": lon, "lat": lat, **change},
                           format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert (body["error"], body["field"]) == (code, field) and body["detail"]
    assert picture() == before


@pytest.mark.django_db
def test_the_one_fix_endpoint_shares_the_position_rate_limit(grid_city, api, settings):
    settings.EMERGENCY = {"POSITION_HTTP_RATE": "3/min"}
    client, _ = api(roles.DISPATCHER)
    e1 = grid_city.units["E1"]
    codes = [post(client, [fix(e1, 0, 0)]).status_code] + [post_one(client, e1, k, 0).status_code
                                                          for k in range(1, 4)]
    assert codes == [200, 200, 200, 429]
    assert PositionReport.objects.count() == 3
