"""The jobs WebSocket ``/ws/jobs/`` (served by the ASGI process only).

A signed-in staff member connects (session cookie; the Origin must be an
allowed host) and is sent ``{"type": "job", "id", "kind", "status",
"progress", "message"}`` whenever one of their jobs changes (an
administrator: any job).  Nothing is replayed: a page reads the jobs over
REST first (``/api/jobs/``) and then refreshes a job when an event names it.
Closed with 4401 without a signed-in user, 4403 for a user without a staff
role (after the handshake, so the browser sees the code).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cim import roles
from cim.services.jobs import ALL_JOBS_GROUP, owner_group
from config.common.metrics import WEBSOCKETS

__all__ = ["JobsConsumer"]

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _group_of(user) -> str | None:
    if roles.has_role(user, roles.ADMIN):
        return ALL_JOBS_GROUP
    if roles.has_role(user, *roles.STAFF_ROLES):
        return owner_group(user.pk)
    return None


class JobsConsumer(AsyncJsonWebsocketConsumer):
    """One page following jobs."""

    group: str | None = None

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = await database_sync_to_async(_group_of)(user)
        if self.group is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        WEBSOCKETS.labels(stream="jobs").inc()

    async def disconnect(self, code) -> None:
        if self.group:
            WEBSOCKETS.labels(stream="jobs").dec()
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def jobs_event(self, message: dict) -> None:
        await self.send_json(
            {"type": "job", **{k: message.get(k) for k in ("id", "kind", "status", "progress", "message")}}
        )
