"""Positions over the real socket: coalescing (a burst for one unit becomes a
few messages, the last position wins), stale flags, the snapshot on
connect, and unit devices reporting over the same socket (responders only
for their own unit; they see only their own units)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from cim import roles
from cim.models import AuditLog
from emergency.live.ingest import positions_ingest
from emergency.models import PositionReport
from tests.emergency.conftest import node
from tests.emergency.live_support import console

pytestmark = pytest.mark.django_db(transaction=True)


def _items_for(messages, unit_id):
    return [(m, i) for m in messages if m["type"] == "positions" for i in m["items"] if i["unit"] == unit_id]


def test_a_burst_for_one_unit_is_coalesced_and_the_last_position_wins(asgi_server, grid_city, user_with):
    unit = grid_city.units["E1"]
    sock, _, _ = console(asgi_server, user_with(roles.COMMANDER))
    client = APIClient()
    client.force_authenticate(user_with(roles.DISPATCHER))
    lon0, lat0 = node(0, 0)
    fixes = [{"unit": unit.pk, "lon": round(lon0 + k * 0.0001, 6), "lat": lat0, "speed_kmh": 36.0,
              "heading": 90.0} for k in range(40)]
    arrivals: list[tuple[float, dict]] = []
    answers: list[tuple[int, int]] = []

    def report_all():  # while the main thread reads the socket, so arrival times are real
        try:
            for fix in fixes:
                fix["at"] = timezone.now().isoformat()
                response = client.post("/api/emergency/positions/", {"positions": [fix]}, format="json")
                answers.append((response.status_code, response.json().get("applied")))
        finally:
            connection.close()

    with sock:
        sender = threading.Thread(target=report_all)
        sender.start()

        def final(m):
            arrivals.append((time.monotonic(), m))
            return any(i["unit"] == unit.pk and i["lon"] == fixes[-1]["lon"]
                       for i in m.get("items", []) if m["type"] == "positions")
        sock.until(final, timeout=15)
        for m in sock.collect(1.0):
            arrivals.append((time.monotonic(), m))
        sender.join(30)
    assert answers == [(200, 1)] * len(fixes)
    mine = [(t, i) for t, m in arrivals for mm, i in _items_for([m], unit.pk)]
    assert 1 <= len(mine) <= len(fixes) // 3, f"{len(mine)} messages for {len(fixes)} reports"
    # at most one per unit per flush (0.25 s): never more than 5 in any second, allowing jitter
    times = [t for t, _ in mine]
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 5
    # never backwards, and the last reported position is what the console shows
    ats = [dt.datetime.fromisoformat(i["at"]) for _, i in mine]
    assert ats == sorted(ats) and len(set(ats)) == len(ats)
    final_item = mine[-1][1]
    assert dt.datetime.fromisoformat(final_item["at"]) == dt.datetime.fromisoformat(fixes[-1]["at"])
    assert (final_item["lon"], final_item["lat"], final_item["code"]) == (fixes[-1]["lon"], lat0, "E1")
    assert final_item["speed_kmh"] == 36.0 and final_item["heading"] == 90.0
    assert final_item["status"] == "available" and final_item["stale"] is False
    assert PositionReport.objects.filter(unit=unit).count() == 40  # all kept as history


def _until_both(sock, unit_id, *, stale: bool):
    """Messages until both the unit's position item and a stale set with
    (or without) it have come, in whichever order."""
    got: list[dict] = []

    def done(m):
        got.append(m)
        return bool(_items_for(got, unit_id)) and any(
            x["type"] == "stale" and (unit_id in x["units"]) == stale for x in got)
    sock.until(done, timeout=10)
    return got


def test_stale_units_are_flagged_and_fresh_ones_cleared(asgi_server, grid_city, user_with):
    unit = grid_city.units["A1"]
    sock, _, _ = console(asgi_server, user_with(roles.DISPATCHER))
    lon, lat = node(5, 0)
    with sock:
        old = (timezone.now() - dt.timedelta(seconds=20)).isoformat()  # the server's stale age is 3 s
        positions_ingest(items=[{"unit": unit.pk, "lon": lon, "lat": lat, "at": old}], by="test")
        got = _until_both(sock, unit.pk, stale=True)
        assert _items_for(got, unit.pk)[-1][1]["stale"] is True
        positions_ingest(items=[{"unit": unit.pk, "lon": lon, "lat": lat}], by="test")
        got = _until_both(sock, unit.pk, stale=False)
        assert _items_for(got, unit.pk)[-1][1]["stale"] is False
        # and without further reports it goes stale again
        sock.until(lambda m: m["type"] == "stale" and unit.pk in m["units"], timeout=10)


def test_snapshot_on_connect_shows_every_placed_unit_with_its_stale_flag(asgi_server, grid_city, user_with):
    e1, e2 = grid_city.units["E1"], grid_city.units["E2"]
    positions_ingest(items=[
        {"unit": e1.pk, "lon": node(1, 1)[0], "lat": node(1, 1)[1], "speed_kmh": 20, "heading": 180},
        {"unit": e2.pk, "lon": node(4, 4)[0], "lat": node(4, 4)[1],
         "at": (timezone.now() - dt.timedelta(minutes=5)).isoformat()},
    ], by="test")
    sock, _, snapshot = console(asgi_server, user_with(roles.COMMANDER))
    sock.close()
    items = {i["unit"]: i for i in snapshot["items"]}
    assert set(items) == {e1.pk, e2.pk}
    assert items[e1.pk]["stale"] is False and items[e2.pk]["stale"] is True
    assert (items[e1.pk]["lon"], items[e1.pk]["lat"]) == node(1, 1)
    assert items[e1.pk]["speed_kmh"] == 20 and items[e1.pk]["heading"] == 180
    assert items[e1.pk]["code"] == "E1" and items[e1.pk]["status"] == "available"


def test_a_responder_reports_their_unit_over_the_socket_and_sees_only_their_units(
        asgi_server, grid_city, user_with):
    a1, a2, e1 = grid_city.units["A1"], grid_city.units["A2"], grid_city.units["E1"]
    responder = user_with(roles.RESPONDER)
    a1.members.add(responder)
    control, _, _ = console(asgi_server, user_with(roles.COMMANDER))
    device, _, snapshot = console(asgi_server, responder)
    lon, lat = node(3, 3)
    with control, device:
        device.send({"type": "positions", "ref": "batch-1", "items": [
            {"unit": a1.pk, "lon": lon, "lat": lat, "speed_kmh": 40, "heading": 45},
            {"unit": e1.pk, "lon": lon, "lat": lat},   # another agency's unit
            {"unit": a2.pk, "lon": lon, "lat": lat},   # own agency, not their unit
            {"unit": a1.pk, "lon": 200.0, "lat": lat},  # impossible
        ]})
        answer = device.until(lambda m: m["type"] == "ingested")[-1]
        assert answer["ref"] == "batch-1" and answer["accepted"] == 1 and answer["applied"] == 1
        assert [(r["index"], r["field"], r["code"]) for r in answer["rejected"]] == [
            (1, "unit", "other_agency"), (2, "unit", "not_member"), (3, "lon", "out_of_range")]
        seen = control.until(lambda m: bool(_items_for([m], a1.pk)))
        assert _items_for(seen, a1.pk)[-1][1]["lon"] == lon
        device.until(lambda m: bool(_items_for([m], a1.pk)))
        # the control room's report of another unit goes to the control room only
        positions_ingest(items=[{"unit": e1.pk, "lon": lon, "lat": lat}], by="test")
        control.until(lambda m: bool(_items_for([m], e1.pk)))
        assert not _items_for(device.collect(1.5), e1.pk)
    report = PositionReport.objects.get(unit=a1)
    assert (report.source, report.reported_by_id, report.heading) == ("ws", responder.pk, 45.0)
    assert not PositionReport.objects.filter(unit__in=[a2, e1], source="ws").exists()
    a2.refresh_from_db()
    assert a2.last_position is None
    refused = AuditLog.objects.get(action="positions.refused")
    assert refused.actor_id == responder.pk and refused.after["count"] == 2
    assert {i["unit"] for i in snapshot["items"]} <= {a1.pk}


def test_the_asgi_process_stores_a_fix_the_unit_row_skipped(asgi_server, grid_city, user_with):
    e2 = grid_city.units["E2"]
    sock, _, _ = console(asgi_server, user_with(roles.COMMANDER))  # the hub runs once a console is on
    with sock:
        positions_ingest(items=[{"unit": e2.pk, "lon": node(1, 1)[0], "lat": node(1, 1)[1]}], by="test")
        positions_ingest(items=[{"unit": e2.pk, "lon": node(2, 1)[0], "lat": node(2, 1)[1]}], by="test")
        e2.refresh_from_db()
        assert (e2.last_position.x, e2.last_position.y) == node(1, 1)  # within the write interval
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            e2.refresh_from_db()
            if (e2.last_position.x, e2.last_position.y) == node(2, 1):
                break
            time.sleep(0.2)
    assert (e2.last_position.x, e2.last_position.y) == node(2, 1)
    assert e2.last_position_at == PositionReport.objects.filter(unit=e2).latest("at").at
