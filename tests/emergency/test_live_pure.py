"""The pure algorithms of the live path, tested directly: report validation
and authorisation rules, coalescing, the event cursor, the token bucket and
the simulator's trips."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from emergency.live.coalesce import Coalescer, StaleSet
from emergency.live.cursor import EventCursor, Snapshot, parse_snapshot
from emergency.live.ratelimit import TokenBucket
from emergency.live.simulation import Trip, bearing_deg, haversine_m
from emergency.live.validation import Fix, Policy, Reporter, UnitRef, validate_batch

NOW = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)
EXTENT = (105.0, 34.0, 106.5, 35.0)
UNITS = {1: UnitRef(1, "E1", agency_id=10, agency_name="消防"), 2: UnitRef(2, "E2", 10, "消防"),
         3: UnitRef(3, "A1", 20, "急救")}
CONTROL = Reporter(any_unit=True)
RESPONDER_E1 = Reporter(any_unit=False, own_units=frozenset({1}), own_agencies=frozenset({10}))


def check(items, reporter=CONTROL, **policy):
    return validate_batch(items, policy=Policy(now=NOW, extent=EXTENT, **policy), units=UNITS,
                          reporter=reporter)


def refusal(item, reporter=CONTROL, **policy):
    accepted, rejected = check([item], reporter, **policy)
    assert not accepted, accepted
    (r,) = rejected
    return r.field, r.code


GOOD = {"unit": 1, "lon": 105.72, "lat": 34.58}


def test_a_good_report_is_accepted_with_its_values():
    accepted, rejected = check([{**GOOD, "at": "2025-05-01T15:59:50+08:00", "speed_kmh": 42.5,
                                 "heading": 360}])
    assert rejected == []
    at = dt.datetime(2025, 5, 1, 7, 59, 50, tzinfo=dt.UTC)
    assert accepted == [Fix(index=0, unit=1, lon=105.72, lat=34.58, at=at, speed_kmh=42.5, heading=0.0)]


def test_time_defaults_to_receipt_and_z_is_understood():
    accepted, _ = check([GOOD, {**GOOD, "unit": 2, "at": "2025-05-01T07:59:00Z"}])
    assert accepted[0].at == NOW and accepted[1].at == NOW - dt.timedelta(minutes=1)


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"lon": 181.0}, "lon", "out_of_range"),
    ({"lat": -90.5}, "lat", "out_of_range"),
    ({"lon": float("nan")}, "lon", "not_finite"),
    ({"lat": float("inf")}, "lat", "not_finite"),
    ({"lon": "105.7"}, "lon", "not_a_number"),
    ({"lat": True}, "lat", "not_a_number"),
    ({"lon": None}, "lon", "required"),
    ({"lon": 0.0, "lat": 0.0}, "lon", "outside_extent"),       # a GPS without a fix
    ({"lon": 34.58, "lat": 105.72}, "lat", "out_of_range"),     # swapped
    ({"lon": 116.4, "lat": 39.9}, "lon", "outside_extent"),     # Beijing
    ({"speed_kmh": -1}, "speed_kmh", "out_of_range"),
    ({"speed_kmh": 900}, "speed_kmh", "out_of_range"),
    ({"heading": 361}, "heading", "out_of_range"),
    ({"unit": "E1"}, "unit", "invalid"),
    ({"unit": 0}, "unit", "invalid"),
    ({"unit": True}, "unit", "invalid"),
    ({"altitude": 1200}, "altitude", "unknown_field"),
    ({"at": "yesterday"}, "at", "invalid"),
    ({"at": 1714550400}, "at", "invalid"),
    ({"at": "2025-05-01T08:00:00"}, "at", "invalid"),           # no offset: ambiguous
    ({"at": "2025-05-01T08:01:00+00:00"}, "at", "in_future"),   # 60 s ahead, 30 s allowed
    ({"at": "2025-04-20T08:00:00+00:00"}, "at", "too_old"),     # 11 days, 7 kept
])
def test_bad_values_are_refused_naming_the_field(change, field, code):
    assert refusal({**GOOD, **change}) == (field, code)


def test_small_clock_skew_is_allowed():
    accepted, _ = check([{**GOOD, "at": "2025-05-01T08:00:20+00:00"}])
    assert len(accepted) == 1


def test_the_extent_can_be_switched_off():
    accepted, rejected = validate_batch([{**GOOD, "lon": 116.4, "lat": 39.9}], policy=Policy(now=NOW),
                                        units=UNITS, reporter=CONTROL)
    assert len(accepted) == 1 and rejected == []


def test_an_item_that_is_not_an_object_is_refused():
    _, rejected = check(["105.7,34.5", GOOD])
    assert (rejected[0].index, rejected[0].field, rejected[0].code) == (0, "item", "not_an_object")


def test_unknown_unit_is_refused():
    assert refusal({**GOOD, "unit": 99}) == ("unit", "unknown_unit")


def test_the_control_room_reports_any_unit():
    accepted, rejected = check([GOOD, {**GOOD, "unit": 2}, {**GOOD, "unit": 3}])
    assert [f.unit for f in accepted] == [1, 2, 3] and rejected == []


def test_a_responder_reports_only_their_unit():
    accepted, rejected = check([GOOD, {**GOOD, "unit": 2}, {**GOOD, "unit": 3}, {**GOOD, "unit": 99}],
                               RESPONDER_E1)
    assert [f.unit for f in accepted] == [1]
    assert [(r.index, r.code) for r in rejected] == [(1, "not_member"), (2, "other_agency"),
                                                      (3, "unknown_unit")]
    assert "E2" in rejected[0].reason and "急救" in rejected[1].reason


def test_a_responder_without_a_unit_reports_nothing():
    nobody = Reporter(any_unit=False)
    assert refusal(GOOD, nobody) == ("unit", "other_agency")


def test_the_same_fix_twice_in_a_batch_is_a_duplicate():
    fix = {**GOOD, "at": "2025-05-01T07:59:00+00:00"}
    accepted, rejected = check([fix, fix, {**fix, "unit": 2}])
    assert [f.index for f in accepted] == [0, 2]
    assert [(r.index, r.code) for r in rejected] == [(1, "duplicate")]


def test_rejection_as_dict_never_echoes_odd_unit_values():
    _, rejected = check([{**GOOD, "unit": [1, 2]}])
    assert rejected[0].as_dict() == {"index": 0, "unit": None, "field": "unit", "code": "invalid",
                                     "reason": rejected[0].reason}


# ---------------------------------------------------------------- coalescing
def test_a_burst_for_one_unit_yields_at_most_4_items_a_second_last_wins():
    c = Coalescer(min_interval=0.25)
    sent: list[tuple[float, tuple]] = []
    for k in range(300):  # 100 reports over 2 s (every 0.02 s), flushed every 0.1 s for 3 s
        now = k * 0.01
        if k < 200 and k % 2 == 0:
            c.offer(7, at=now, item=("unit 7", k // 2))
        if k % 10 == 0:
            sent += [(now, item) for item in c.take(now)]
    assert 5 <= len(sent) <= 9  # 2 s of reports: 2 / 0.25 + 1
    times = [t for t, _ in sent]
    assert all(b - a >= 0.25 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 4
    assert sent[-1][1] == ("unit 7", 99)  # the newest report wins
    assert [i[1] for _, i in sent] == sorted(i[1] for _, i in sent)


def test_a_unit_that_was_not_sent_lately_goes_out_at_the_next_tick():
    c = Coalescer(min_interval=0.25)
    c.offer(1, 1.0, "a")
    assert c.take(1.05) == ["a"]
    c.offer(1, 2.0, "b")
    c.offer(2, 2.0, "x")
    assert c.take(1.15) == ["x"]  # unit 1 waits for its interval
    assert c.take(1.3) == ["b"] and c.take(1.4) == []


def test_an_older_report_never_replaces_a_newer_one():
    c = Coalescer()
    assert c.offer(1, 10.0, "new")
    assert not c.offer(1, 9.0, "old") and not c.offer(1, 10.0, "same time")
    assert c.take() == ["new"]
    assert not c.offer(1, 5.0, "late") and c.take() == []  # also after a flush
    assert c.offer(2, 1.0, "other unit") and c.take() == ["other unit"]


def test_units_are_kept_apart_and_forgotten_on_request():
    c = Coalescer()
    for unit in (1, 2, 3):
        c.offer(unit, 1.0, unit)
    c.forget([2])
    assert sorted(c.take()) == [1, 3] and c.last_at(2) is None


def test_stale_set_reports_changes_only():
    s = StaleSet()
    assert s.update([3, 1]) and not s.update([1, 3]) and s.update([1]) and s.update([])
    assert s.units == frozenset()


# -------------------------------------------------------------- event cursor
SNAP_IDLE = Snapshot(100, 100, frozenset())


def test_snapshot_text_is_parsed():
    assert parse_snapshot("740:745:740,742") == Snapshot(740, 745, frozenset({740, 742}))
    assert parse_snapshot("10:10:") == Snapshot(10, 10, frozenset())


def test_consecutive_ids_go_out_at_once_and_repeats_are_dropped():
    c = EventCursor(10, hold_s=2)
    assert c.classify(11) == "next"
    c.take_next(11)
    assert c.classify(11) == "repeat" and c.classify(12) == "next" and c.classify(14) == "ahead"


def test_a_hole_with_nothing_in_flight_was_a_rollback():
    c = EventCursor(10, hold_s=2)
    assert c.resolve([12, 13], SNAP_IDLE, now=0.0) == [12, 13]
    assert c.watermark == 13 and not c.holding


def test_a_hole_waits_for_the_transactions_running_when_it_was_seen():
    c = EventCursor(10, hold_s=5)
    running = Snapshot(100, 105, frozenset({101, 103}))
    assert c.resolve([11, 13, 14], running, now=0.0) == [11]  # 12 may still commit
    assert c.holding and c.watermark == 11
    # 101 finished, 103 still running: wait
    assert c.resolve([13, 14], Snapshot(103, 106, frozenset({103, 105})), now=1.0) == []
    # 12 committed meanwhile: everything in order
    assert c.resolve([12, 13, 14], Snapshot(105, 106, frozenset({105})), now=1.5) == [12, 13, 14]
    assert not c.holding


def test_a_hole_whose_transactions_ended_without_it_is_skipped():
    c = EventCursor(10, hold_s=5)
    c.resolve([12], Snapshot(100, 102, frozenset({101})), now=0.0)
    assert c.resolve([12], Snapshot(102, 104, frozenset({103})), now=0.5) == [12]  # 101 rolled back


def test_a_hole_held_too_long_is_given_up_and_the_event_comes_late():
    c = EventCursor(10, hold_s=2)
    stuck = Snapshot(100, 102, frozenset({101}))
    assert c.resolve([12], stuck, now=0.0) == []
    assert c.resolve([12], stuck, now=1.9) == []
    assert c.resolve([12], stuck, now=2.1) == [12]
    assert c.classify(11) == "late"  # committed after all: delivered, out of order
    c.take_late(11)
    assert c.classify(11) == "repeat"


def test_resolve_ignores_what_already_went_out():
    c = EventCursor(10, hold_s=2)
    c.take_next(11)
    assert c.resolve([11, 12], SNAP_IDLE, now=0.0) == [12]


# -------------------------------------------------------------- token bucket
def test_token_bucket_allows_bursts_then_the_rate():
    b = TokenBucket(rate=10, burst=5, now=0.0)
    assert [b.allow(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert b.allow(0.1) and not b.allow(0.1)
    assert sum(b.allow(1.0 + k * 0.01) for k in range(100)) <= 5 + 10 + 1


# ---------------------------------------------------------------------- trips
def test_haversine_and_bearing():
    assert haversine_m((105.7, 34.5), (105.7, 34.6)) == pytest.approx(11119.5, rel=1e-3)
    assert bearing_deg((105.7, 34.5), (105.7, 34.6)) == pytest.approx(0.0, abs=1e-6)
    assert bearing_deg((105.7, 34.5), (105.8, 34.5)) == pytest.approx(90.0, abs=0.1)


def test_a_trip_moves_at_the_speed_of_each_segment():
    a, b, c = (105.70, 34.50), (105.70, 34.51), (105.71, 34.51)
    trip = Trip([a, b, c], [10.0, 20.0])  # m/s
    first, second = haversine_m(a, b), haversine_m(b, c)
    assert trip.seconds == pytest.approx(first / 10 + second / 20)
    half = trip.at(first / 20)  # halfway along the first segment
    assert (half.lon, half.lat) == pytest.approx((105.70, 34.505), abs=1e-6)
    assert half.speed_kmh == 36.0 and half.heading == pytest.approx(0.0, abs=1e-6)
    later = trip.at(first / 10 + second / 40)
    assert later.lon == pytest.approx(105.705, abs=1e-6) and later.speed_kmh == 72.0
    assert math.isclose(later.heading, 90.0, abs_tol=0.1) and not later.arrived
    end = trip.at(trip.seconds + 5)
    assert end.arrived and (end.lon, end.lat) == c and end.speed_kmh == 0.0


def test_a_trip_refuses_bad_speeds():
    with pytest.raises(ValueError):
        Trip([(0, 0), (0, 1)], [0.0])
    with pytest.raises(ValueError):
        Trip([(0, 0), (0, 1)], [])


def test_hub_sends_a_batch_at_once_and_holds_a_unit_inside_its_interval(settings):
    """A batch goes out in the loop turn after it arrived, not at the next
    flush tick (no tick runs here); a unit sent less than the min interval
    ago waits for a later flush."""
    import asyncio
    import json
    import time

    from emergency.live.hub import Hub, Member
    from emergency.live.wire import PositionWire

    settings.EMERGENCY = {"LIVE_POSITION_MIN_INTERVAL_S": 0.25}

    def wire(unit, at):
        return PositionWire(unit=unit, code=f"U{unit}", lon=105.7, lat=34.57, at="2025-05-01T08:00:00+00:00",
                            at_epoch=at, speed_kmh=30.0, heading=90.0, status="available", written=True)

    async def scenario():
        hub = Hub()
        member = Member(consumer=object(), control=True, units=frozenset(), live=True)
        hub.members[member.consumer] = member
        now = time.time()
        for w in (wire(1, now), wire(2, now)):
            hub.coalescer.offer(w.unit, w.at_epoch, w)
        hub._flush_soon()
        hub._flush_soon()  # a second batch in the same turn: still one frame
        await asyncio.sleep(0)
        first = json.loads(member.queue.get_nowait())
        assert member.queue.empty()
        hub.coalescer.offer(1, now + 0.1, wire(1, now + 0.1))
        hub._flush_soon()
        await asyncio.sleep(0)
        assert member.queue.empty()  # unit 1 was sent < 0.25 s ago: it waits
        await asyncio.sleep(0.3)
        hub._flush_positions()  # the tick
        second = json.loads(member.queue.get_nowait())
        return first, second

    first, second = asyncio.run(scenario())
    assert sorted(i["unit"] for i in first["items"]) == [1, 2]
    assert [i["unit"] for i in second["items"]] == [1]


def test_a_responder_hears_events_for_every_unit_of_an_incident():
    from emergency.live.hub import Member

    crew = Member(consumer=object(), control=False, units=frozenset({7}))
    assert crew.sees_event("incident.attachment", {"incident": 1, "units": [3, 7]})
    assert not crew.sees_event("incident.attachment", {"incident": 1, "units": [3, 4]})
    assert crew.sees_event("assignment.created", {"unit": 7})
    assert not crew.sees_event("incident.attachment", {"incident": 1, "units": "7"})
