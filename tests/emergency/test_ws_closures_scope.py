"""Road closures and control zones drawn without an incident reach, live,
exactly the consoles whose districts they meet (city-level consoles: all),
through the real ASGI stack (origin check, session auth, the consumer and
the hub) with Channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client

from cim import roles
from cim.models import AdminArea, StaffProfile
from config.asgi import application
from emergency import services
from tests import factories as f
from tests.emergency.conftest import node

MJ_BOX = (105.80, 34.50, 106.00, 34.70)


class Console:
    """A signed-in console on ``/ws/ops/``; every event it was sent, in order."""

    def __init__(self, user) -> None:
        client = Client()
        client.force_login(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        self.ws = WebsocketCommunicator(application, "/ws/ops/",
                                        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"),
                                                 (b"cookie", cookie.encode())])
        self.events: list[dict] = []

    async def open(self) -> None:
        connected, _ = await self.ws.connect(timeout=20)
        assert connected
        await self.until(lambda m: m["type"] == "positions" and m.get("snapshot"))

    async def until(self, wanted, timeout: float = 20.0) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = json.loads(await self.ws.receive_from(timeout=max(0.1, deadline - loop.time())))
            if message["type"] == "event":
                self.events.append(message)
            if wanted(message):
                return message

    async def event(self, kind: str, key: str, pk: int) -> dict:
        return await self.until(lambda m: m["type"] == "event" and m["kind"] == kind
                                and m["payload"].get(key) == pk)

    def kinds(self) -> list[tuple[str, int]]:
        return [(e["kind"], e["payload"].get("closure") or e["payload"].get("zone")) for e in self.events
                if e["kind"].startswith(("closure.", "zone."))]


def _limited(user_with, district):
    user = user_with(roles.DISPATCHER)
    if district is not None:
        StaffProfile.objects.create(user=user).districts.set([district])
    return user


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_closures_and_zones_without_an_incident_reach_the_consoles_of_their_districts(
        grid_city, user_with):
    city_area = await database_sync_to_async(AdminArea.objects.get)(code="620500")
    maiji = await database_sync_to_async(f.admin_area)("620503", "麦积区", "district", city_area, MJ_BOX)
    qinzhou_user = await database_sync_to_async(_limited)(user_with, grid_city.district)
    maiji_user = await database_sync_to_async(_limited)(user_with, maiji)
    city_user = await database_sync_to_async(_limited)(user_with, None)
    qinzhou, maiji_console, city = [await database_sync_to_async(Console)(u)
                                    for u in (qinzhou_user, maiji_user, city_user)]
    for console in (qinzhou, maiji_console, city):
        await console.open()
    try:
        segment = grid_city.roads[(node(1, 1), node(2, 1))]
        closure = await database_sync_to_async(services.closure_create)(
            reason="manual", segments=[segment.pk], by=city_user, note="秦州区 施工")
        zone = await database_sync_to_async(services.zone_create)(
            tier="sealed", name="麦积封控区", by=city_user,
            geom=MultiPolygon(Polygon.from_bbox((105.85, 34.60, 105.86, 34.61)), srid=4326))
        await database_sync_to_async(services.closure_lift)(closure=closure, by=city_user)
        await database_sync_to_async(services.zone_lift)(zone=zone, by=city_user)
        # each console reads up to the last event meant for it; events come in id order,
        # so anything it was sent before that is already in its list
        await qinzhou.event("closure.lifted", "closure", closure.pk)
        await maiji_console.event("zone.lifted", "zone", zone.pk)
        await city.event("zone.lifted", "zone", zone.pk)
        assert qinzhou.kinds() == [("closure.created", closure.pk), ("closure.lifted", closure.pk)]
        assert maiji_console.kinds() == [("zone.created", zone.pk), ("zone.lifted", zone.pk)]
        assert city.kinds() == [("closure.created", closure.pk), ("zone.created", zone.pk),
                                ("closure.lifted", closure.pk), ("zone.lifted", zone.pk)]
        created = city.events[0]["payload"]
        assert created["districts"] == [grid_city.district.code] and created["incident"] is None
        # the district's console learns nothing more afterwards (no late closure event)
        await qinzhou.ws.send_to(text_data='{"type": "ping"}')
        await qinzhou.until(lambda m: m["type"] == "pong")
        assert qinzhou.kinds() == [("closure.created", closure.pk), ("closure.lifted", closure.pk)]
    finally:
        for console in (qinzhou, maiji_console, city):
            await console.ws.disconnect()
