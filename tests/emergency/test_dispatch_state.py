"""The in-memory dispatch picture (emergency.dispatch_state): used outside
transactions, read again after a change committed anywhere (PostgreSQL's
change notice from the triggers of migration 0003), after its own process's
writes at once, and by age for the units' positions; the same answers as
reading the database on every call."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from emergency import dispatch_state, services
from emergency.models import Unit
from emergency.recommend import recommend_units
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db(transaction=True)

WANTED = {"fire_engine": 3, "ambulance": 2}


@dataclass
class Reads:
    kept: list = field(default_factory=list)  # pictures kept for later requests
    once: list = field(default_factory=list)  # rows read for one request (in a transaction, no listener)


@pytest.fixture
def picture(settings, monkeypatch):
    """The picture switched on, with a count of its reads from the database
    (kept, or for one request);
    the listener is stopped afterwards (its connection would keep the test
    database from being dropped)."""
    settings.EMERGENCY = {"DISPATCH_STATE_CACHE": True, "DISPATCH_STATE_MAX_AGE_S": 60.0}
    reads = Reads()
    real = dispatch_state._read_picture

    def counted(version):
        (reads.once if version is None else reads.kept).append(version)
        return real(version)

    monkeypatch.setattr(dispatch_state, "_read_picture", counted)
    monkeypatch.setattr(dispatch_state, "_picture", None)
    yield reads
    dispatch_state.stop_listener()


def wait_for_notice(since: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while dispatch_state.listener.version == since:
        assert time.monotonic() < deadline, "no change notice from PostgreSQL"
        time.sleep(0.01)


def wait_listening(timeout: float = 10.0) -> None:
    dispatch_state.listener.ensure_started()
    deadline = time.monotonic() + timeout
    while not dispatch_state.listener.listening:
        assert time.monotonic() < deadline, "the listener did not connect"
        time.sleep(0.01)


def in_other_connection(work) -> None:
    """Run ``work`` in a thread with its own connection (another process's write)."""
    errors = []

    def run():
        try:
            with transaction.atomic():
                work()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not errors, errors


def codes(result, unit_type):
    return [c["code"] for g in result["groups"] if g["unit_type"] == unit_type for c in g["candidates"]]


def test_read_once_then_again_after_a_change_committed_elsewhere(grid_city, incident_at, picture):
    incident = incident_at(*node(3, 1))
    wait_listening()
    first = recommend_units(incident=incident, wanted=WANTED)
    again = recommend_units(incident=incident, wanted=WANTED)
    assert len(picture.kept) == 1, "the second recommendation must come from memory"
    assert codes(again, "fire_engine") == codes(first, "fire_engine") and "E2" in codes(first, "fire_engine")

    version = dispatch_state.listener.version
    in_other_connection(lambda: Unit.objects.filter(code="E2").update(status="out_of_service"))
    wait_for_notice(version)
    after = recommend_units(incident=incident, wanted=WANTED)
    assert len(picture.kept) == 2
    assert "E2" not in codes(after, "fire_engine") and "E1" in codes(after, "fire_engine")


def test_same_answers_as_reading_the_database(grid_city, incident_at, picture):
    units = grid_city.units
    now = timezone.now()
    # one fresh fix, one stale fix (station), the rest from their stations
    Unit.objects.filter(pk=units["E3"].pk).update(last_position=Point(*node(3, 2), srid=4326),
                                                 last_position_at=now)
    Unit.objects.filter(pk=units["A2"].pk).update(last_position=Point(*node(2, 1), srid=4326),
                                                 last_position_at=now - dt.timedelta(hours=2))
    incident = incident_at(*node(2, 2))
    services.closure_create(reason="flood", by="test",
                            segments=[grid_city.roads[(node(2, 1), node(2, 2))].pk])
    wait_listening()
    cached = recommend_units(incident=incident, wanted=WANTED)
    with transaction.atomic():
        fresh = recommend_units(incident=incident, wanted=WANTED)
    assert len(picture.kept) == 1 and cached["closures"] == fresh["closures"] == 1

    def strip(result):
        return [[(c["unit"], c["eta_s"], c["position_source"]) for c in g["candidates"]]
                for g in result["groups"]]

    assert strip(cached) == strip(fresh)
    e3 = next(c for g in cached["groups"] for c in g["candidates"] if c["code"] == "E3")
    assert e3["position_source"] == "avl"
    a2 = next(c for g in cached["groups"] for c in g["candidates"] if c["code"] == "A2")
    assert a2["position_source"] == "station"


def test_own_process_write_is_seen_at_once(grid_city, incident_at, picture, user_with):
    incident = incident_at(*node(3, 1))
    wait_listening()
    before = recommend_units(incident=incident, wanted=WANTED)
    assert "E1" in codes(before, "fire_engine")
    services.assignment_create(incident=incident, units=[grid_city.units["E1"].pk], by=user_with("commander"))
    # no waiting for the database's notice: the service's commit marked the picture changed
    after = recommend_units(incident=incident, wanted=WANTED)
    assert "E1" not in codes(after, "fire_engine")
    fire = next(g for g in after["groups"] if g["unit_type"] == "fire_engine")
    assert fire["assigned"] == 1 and len(picture.kept) == 2


def test_inside_a_transaction_the_database_is_read(grid_city, incident_at, picture):
    incident = incident_at(*node(3, 1))
    wait_listening()
    recommend_units(incident=incident, wanted=WANTED)
    with transaction.atomic():
        Unit.objects.filter(code="E2").update(status="out_of_service")  # not committed, no notice
        inside = recommend_units(incident=incident, wanted=WANTED)
        assert "E2" not in codes(inside, "fire_engine")
        transaction.set_rollback(True)
    assert len(picture.kept) == 1 and len(picture.once) == 1


def test_moves_are_read_again_by_age_not_by_notice(grid_city, incident_at, picture, settings):
    settings.EMERGENCY = {**settings.EMERGENCY, "DISPATCH_STATE_MAX_AGE_S": 0.3}
    incident = incident_at(*node(3, 1))
    wait_listening()
    first = recommend_units(incident=incident, wanted={"ambulance": 2})
    assert all(c["position_source"] == "station" for g in first["groups"] for c in g["candidates"])
    version = dispatch_state.listener.version
    # the position ingestion's kind of write: position columns only
    in_other_connection(lambda: Unit.objects.filter(code="A1").update(
        last_position=Point(*node(3, 1), srid=4326), last_position_at=timezone.now()))
    time.sleep(0.2)
    assert dispatch_state.listener.version == version, "a move alone sends no change notice"
    time.sleep(0.15)
    moved = recommend_units(incident=incident, wanted={"ambulance": 2})
    a1 = next(c for g in moved["groups"] for c in g["candidates"] if c["code"] == "A1")
    assert a1["position_source"] == "avl" and a1["eta_s"] == pytest.approx(0.0, abs=1e-6)
    assert len(picture.kept) == 2


def test_a_closure_ends_on_time_without_a_new_read(grid_city, incident_at, picture):
    incident = incident_at(*node(3, 1))
    segment = grid_city.roads[(node(3, 0), node(3, 1))].pk
    services.closure_create(reason="manual", by="test", segments=[segment],
                            ends_at=timezone.now() + dt.timedelta(seconds=1.0))
    wait_listening()
    during = recommend_units(incident=incident, wanted={"ambulance": 1})
    assert during["closures"] == 1
    time.sleep(1.1)
    after = recommend_units(incident=incident, wanted={"ambulance": 1})
    assert after["closures"] == 0 and len(picture.kept) == 1


def test_without_a_listener_the_database_is_read(grid_city, incident_at, picture, monkeypatch):
    incident = incident_at(*node(3, 1))
    wait_listening()
    recommend_units(incident=incident, wanted=WANTED)
    dispatch_state.stop_listener()  # as when its connection is lost
    monkeypatch.setattr(dispatch_state.listener, "ensure_started", lambda: None)
    assert dispatch_state._current() is None
    in_other_connection(lambda: Unit.objects.filter(code="E1").update(status="out_of_service"))
    result = recommend_units(incident=incident, wanted=WANTED)
    assert "E1" not in codes(result, "fire_engine") and len(picture.kept) == 1 and len(picture.once) == 1
