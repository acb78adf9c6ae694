"""Events: written with the change, published to the "ops" group of the real
Redis channel layer only after commit; a rolled-back change emits nothing."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from channels.layers import get_channel_layer
from django.contrib.gis.geos import Point
from django.db import transaction

from emergency import services
from emergency.events import OPS_GROUP
from emergency.models import Event, Incident
from tests.emergency.conftest import node


class Listener:
    """A member of the "ops" group on its own thread and event loop (the
    Redis layer is bound to one loop), collecting every message."""

    def __init__(self):
        self.messages: list[dict] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self):
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(OPS_GROUP, channel)
        self._ready.set()
        while not self._stop.is_set():
            try:
                self.messages.append(await asyncio.wait_for(layer.receive(channel), 0.2))
            except TimeoutError:
                continue
        await layer.group_discard(OPS_GROUP, channel)

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def settle(self, seconds=0.8) -> list[dict]:
        time.sleep(seconds)
        return [m for m in self.messages if m["kind"].startswith("incident.")]

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


def _create(by="test"):
    return services.incident_create(title="事件", incident_type="fire", source="119", by=by,
                                    location=Point(*node(2, 1), srid=4326))


@pytest.mark.django_db(transaction=True)
def test_committed_change_is_published_after_commit(grid_city):
    with Listener() as ops:
        with transaction.atomic():
            incident = _create()
            assert Event.objects.filter(kind="incident.created").count() == 1  # written with the change
            assert ops.settle(0.5) == []  # not announced before the commit
        (message,) = ops.settle()
    event = Event.objects.get(kind="incident.created")
    assert message["type"] == "ops.event" and message["kind"] == "incident.created"
    assert message["id"] == event.id and message["payload"]["id"] == incident.pk
    assert "caller_phone" not in message["payload"]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_emits_nothing(grid_city):
    with Listener() as ops:
        with pytest.raises(RuntimeError), transaction.atomic():
            _create()
            raise RuntimeError("the caller hung up")
        assert ops.settle() == []
    assert not Incident.objects.exists()
    assert not Event.objects.filter(kind__startswith="incident.").exists()


@pytest.mark.django_db(transaction=True)
def test_refused_change_emits_nothing_and_ids_increase(grid_city):
    with Listener() as ops:
        incident = _create()
        with pytest.raises(Exception, match="cannot go from"):
            services.incident_transition(incident=incident, to="closed", by="x", disposition="resolved")
        services.incident_transition(incident=incident, to="verified", by="x")
        messages = ops.settle()
    assert [m["kind"] for m in messages] == ["incident.created", "incident.status"]
    assert messages[0]["id"] < messages[1]["id"]
    stored = Event.objects.filter(kind__startswith="incident.").order_by("id").values_list("id", flat=True)
    assert list(stored) == [m["id"] for m in messages]


def test_events_endpoint_resumes_after_an_id(grid_city, api, db):
    client, _ = api("dispatcher")
    first = _create()
    services.incident_transition(incident=first, to="verified", by="x")
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    body = client.get(f"/api/emergency/events/?after={ids[0]}").json()
    assert [e["id"] for e in body] == ids[1:]
    assert client.get("/api/emergency/events/?after=-1").status_code == 400
    responder, _ = api("responder")
    assert responder.get("/api/emergency/events/").status_code == 403
