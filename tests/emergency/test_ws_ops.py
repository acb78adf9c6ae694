"""The operations WebSocket end to end: a real daphne process, the real Redis
channel layer and PostGIS; events published only after commit, exact resume
after a network drop and after a server restart, resync when the events are
gone, roles and close codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cim import roles
from emergency import services
from emergency.live.retention import live_purge
from emergency.models import Event, Incident
from tests.emergency.conftest import node
from tests.emergency.live_support import console, open_socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def _incident(by, title="火情", where=(2, 1)):
    return services.incident_create(title=title, incident_type="fire", source="119", by=by,
                                    location=Point(*node(*where), srid=4326))


def _events(messages):
    return [m for m in messages if m["type"] == "event"]


def test_rolled_back_change_is_never_received_committed_one_is(asgi_server, grid_city, user_with):
    commander = user_with(roles.COMMANDER)
    sock, _, _ = console(asgi_server, commander)
    with sock:
        with pytest.raises(RuntimeError), transaction.atomic():
            doomed = _incident(commander, title="回滚的事件")
            assert Event.objects.filter(kind="incident.created").exists()
            raise RuntimeError("roll back")
        kept = _incident(commander, title="提交的事件")
        got = sock.until(lambda m: m["type"] == "event" and m["kind"] == "incident.created", timeout=15)
        got += sock.collect(1.5)
    created = [m for m in _events(got) if m["kind"] == "incident.created"]
    assert [m["payload"]["id"] for m in created] == [kept.pk]
    assert all(m["payload"]["id"] != doomed.pk for m in _events(got))
    assert all(m["payload"].get("title") != "回滚的事件" for m in _events(got))
    assert not Incident.objects.filter(title="回滚的事件").exists()
    # the event that went out is the one stored, by id
    stored = Event.objects.get(kind="incident.created")
    assert created[0]["id"] == stored.id and created[0]["at"] == stored.created_at.isoformat()


def _replayed_then_synced(messages):
    kinds = [m["type"] for m in messages]
    assert kinds[-1] == "synced", kinds
    return _events(messages[:-1]), messages[-1]


def test_reconnect_after_network_drop_gets_exactly_what_was_missed(asgi_server, grid_city, user_with):
    dispatcher = user_with(roles.DISPATCHER)
    sock, before, _ = console(asgi_server, dispatcher)
    with sock:
        start = before[-1]["last_id"]
        first = _incident(dispatcher, title="A")
        seen = sock.until(lambda m: m["type"] == "event" and m["payload"].get("id") == first.pk)
        last = max(m["id"] for m in _events(seen))
    # offline: three changes the console does not see
    b = _incident(dispatcher, title="B")
    services.incident_transition(incident=b, to="verified", by=dispatcher)
    _incident(dispatcher, title="C", where=(3, 3))
    missed = list(Event.objects.filter(id__gt=last).order_by("id").values_list("id", "kind"))
    assert len(missed) == 3
    sock, before, _ = console(asgi_server, dispatcher, after=last)
    with sock:
        replayed, synced = _replayed_then_synced(before)
        assert [(m["id"], m["kind"]) for m in replayed] == missed
        assert synced["last_id"] == missed[-1][0]
        # and live again, with nothing repeated
        d = _incident(dispatcher, title="D")
        live = sock.until(lambda m: m["type"] == "event" and m["payload"].get("id") == d.pk)
        live += sock.collect(1.0)
    live_ids = [m["id"] for m in _events(live)]
    assert live_ids == sorted(set(live_ids)) and min(live_ids) > missed[-1][0]
    assert start < last


def test_reconnect_after_server_restart_gets_exactly_what_was_missed(asgi_server, grid_city, user_with):
    commander = user_with(roles.COMMANDER)
    sock, before, _ = console(asgi_server, commander)
    with sock:
        first = _incident(commander, title="重启前")
        seen = sock.until(lambda m: m["type"] == "event" and m["payload"].get("id") == first.pk)
        last = max(m["id"] for m in _events(seen))
        asgi_server.stop()  # killed: the socket dies with it
        with pytest.raises(ConnectionClosed):
            sock.collect(5)
    made = [_incident(commander, title=f"宕机期间 {k}", where=(k + 1, 2)) for k in range(3)]
    missed = list(Event.objects.filter(id__gt=last).order_by("id").values_list("id", "kind"))
    assert len(missed) == 3
    asgi_server.start()
    sock, before, _ = console(asgi_server, commander, after=last)
    with sock:
        replayed, synced = _replayed_then_synced(before)
        assert [(m["id"], m["kind"]) for m in replayed] == missed
        assert [m["payload"]["id"] for m in replayed] == [i.pk for i in made]
        assert synced["last_id"] == missed[-1][0]
        after_restart = _incident(commander, title="重启后")
        got = sock.until(lambda m: m["type"] == "event" and m["payload"].get("id") == after_restart.pk)
    assert all(m["id"] > missed[-1][0] for m in _events(got))


def test_console_older_than_the_kept_events_must_resync(asgi_server, grid_city, user_with):
    commander = user_with(roles.COMMANDER)
    for k in range(2):
        _incident(commander, title=f"旧 {k}")
    kept = _incident(commander, title="新")
    kept_id = Event.objects.get(payload__id=kept.pk).id
    old = Event.objects.filter(id__lt=kept_id)
    oldest, count = old.order_by("id").first().id, old.count()
    old.update(created_at=timezone.now() - dt.timedelta(days=3))  # past the 24 h kept
    assert live_purge().events == count
    sock, before, snapshot = console(asgi_server, commander, after=oldest - 1)
    with sock:
        assert [m["type"] for m in before] == ["resync_required", "synced"]
        assert before[-1]["last_id"] == kept_id
        # still live after the resync notice
        later = _incident(commander, title="之后")
        sock.until(lambda m: m["type"] == "event" and m["payload"].get("id") == later.pk)
    # a console that missed nothing that was purged resumes normally
    newest = Event.objects.order_by("id").first().id
    sock, before, _ = console(asgi_server, commander, after=newest - 1)
    with sock:
        assert before[0]["type"] == "event" and before[0]["id"] == newest


def test_without_after_nothing_is_replayed(asgi_server, grid_city, user_with):
    commander = user_with(roles.COMMANDER)
    _incident(commander)
    sock, before, _ = console(asgi_server, commander)
    with sock:
        assert [m["type"] for m in before] == ["synced"]
        assert before[0]["last_id"] == Event.objects.order_by("-id").first().id


@pytest.mark.parametrize("role", [roles.ADMIN, roles.COMMANDER, roles.DISPATCHER, roles.RESPONDER])
def test_emergency_roles_connect_and_ping(asgi_server, grid_city, user_with, role):
    sock, before, _ = console(asgi_server, user_with(role))
    with sock:
        sock.send({"type": "ping"})
        assert sock.until(lambda m: m["type"] == "pong")[-1] == {"type": "pong"}


def _close_code(sock) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        sock.collect(10)
    return closed.value.rcvd.code


def test_anonymous_socket_is_closed_4401(asgi_server, db):
    assert _close_code(open_socket(asgi_server)) == 4401


@pytest.mark.parametrize("role", [roles.PLANNER, None])
def test_other_roles_are_closed_4403(asgi_server, user_with, role):
    assert _close_code(open_socket(asgi_server, cookie=session_cookie(user_with(role)))) == 4403


def test_a_socket_without_origin_is_refused(asgi_server, user_with):
    with pytest.raises(InvalidStatus) as refused:
        open_socket(asgi_server, cookie=session_cookie(user_with(roles.COMMANDER)), origin=False)
    assert refused.value.response.status_code == 403


def test_bad_after_is_an_error_then_4400(asgi_server, user_with):
    sock = open_socket(asgi_server, cookie=session_cookie(user_with(roles.COMMANDER)), after="abc")
    error = sock.recv()
    assert error["type"] == "error" and error["field"] == "after"
    assert _close_code(sock) == 4400


def test_bad_messages_get_errors_and_the_socket_stays_open(asgi_server, user_with):
    sock, _, _ = console(asgi_server, user_with(roles.DISPATCHER))
    with sock:
        sock.ws.send("not json")
        assert sock.recv()["error"] == "invalid_json"
        sock.send({"type": "launch"})
        error = sock.recv()
        assert error["error"] == "unknown_type" and error["field"] == "type"
        sock.send({"type": "positions", "items": "many"})
        error = sock.recv()
        assert error["type"] == "error" and "list" in error["detail"]
        sock.send({"type": "ping"})
        assert sock.recv() == {"type": "pong"}


def test_a_flooding_client_is_rate_limited(asgi_server, user_with):
    sock, _, _ = console(asgi_server, user_with(roles.DISPATCHER))
    with sock:
        for _ in range(80):
            sock.send({"type": "ping"})
        got = sock.collect(2)
    limited = [m for m in got if m.get("error") == "rate_limited"]
    assert limited and len([m for m in got if m["type"] == "pong"]) < 80
