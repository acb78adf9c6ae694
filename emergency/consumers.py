"""The operations WebSocket ``/ws/ops/`` (served by the ASGI process only).

Protocol
========

Connect
    ``ws[s]://<CIM["WS_URL"] or the page's origin>/ws/ops/?after=<last event id>``.
    Authenticated by the Django session cookie; the Origin must be an allowed
    host.  Roles admin, commander, dispatcher and responder may connect;
    a socket without a signed-in user is closed with code 4401, one whose
    user holds none of those roles with 4403 (after the handshake, so the
    browser sees the code).  A bad ``after`` closes with 4400.

Server → client, in this order on connect
    1. with ``after``: every event with an id above it, oldest first, each
       as a live event (below); or, when those events are no longer kept
       (``LIVE_EVENT_RETENTION_S``, default 24 h), are more than
       ``LIVE_REPLAY_MAX`` or come from another database:
       ``{"type": "resync_required"}`` — reload the state over REST;
    2. ``{"type": "synced", "last_id": N}`` — everything up to N is known;
       without ``after`` nothing is replayed and N is the current last id;
    3. ``{"type": "positions", "snapshot": true, "items": [...]}`` — every
       unit with a position (a responder: their own units);
    4. live, from then on:

       * ``{"type": "event", "id", "kind", "at", "payload"}`` in increasing
         id order with no gaps or repeats across the replay/live boundary
         (the hub registers the socket before it reads the backlog).  An
         event whose transaction stayed open longer than
         ``LIVE_EVENT_HOLD_S`` after taking its id may come after higher
         ids, marked ``"late": true`` (never dropped).  ``kind`` is e.g.
         ``incident.created``, ``incident.status``, ``unit.status``,
         ``assignment.created``… (see :mod:`emergency.events` and the
         services); keep the highest id seen and reconnect with it;
       * ``{"type": "positions", "items": [{"unit", "code", "lon", "lat",
         "at", "speed_kmh", "heading", "status", "stale"}, …]}`` — only units
         that moved, sent every ``LIVE_POSITION_FLUSH_S`` (0.1 s) when there
         is something, each unit at most once per
         ``LIVE_POSITION_MIN_INTERVAL_S`` (0.25 s: ≤ 4 updates per unit per
         second, the newest report wins); never older than an item
         already sent for the unit (apply an item only if its ``at`` is not
         older than the one you show, for safety across reconnects);
       * ``{"type": "stale", "units": [ids]}`` — the complete set of units
         whose last position is older than ``UNIT_POSITION_STALE_S``,
         sent whenever it changes (units not listed are fresh);
       * ``{"type": "pong"}`` after a ping; ``{"type": "ingested", …}`` after
         positions; ``{"type": "error", "error", "detail", "field"}`` for a
         bad message (the socket stays open).

    Positions are not events: they have no id and are not replayed; the
    snapshot (3) brings a reconnecting console up to date.

    Responders see only their own units' positions and the events whose
    payload names one of their units.  A control-room user limited to
    districts or to their department's work (:mod:`cim.scope`) sees the
    positions of the units in scope and the events of the incidents, units,
    reports, zones and closures in scope (:mod:`emergency.live.scope`).

Client → server
    * ``{"type": "ping"}`` → ``{"type": "pong"}``;
    * ``{"type": "positions", "items": [{"unit", "lon", "lat", "at",
      "speed_kmh", "heading"}, …], "ref": optional}`` — unit devices send their
      fixes over the same socket.  Devices sign in as a responder account
      that is a member of the unit (``Unit.members``); the control room
      (admin, commander, dispatcher; also AVL gateways using such an
      account) may report any unit.  The same ingestion service as
      ``POST /api/emergency/positions/`` validates and stores them; the
      answer is ``{"type": "ingested", "ref", "accepted", "applied",
      "rejected": [{"index", "unit", "field", "code", "reason"}]}`` or an
      error for a batch refused whole.

    At most ``LIVE_WS_RATE_PER_S`` messages a second (burst
    ``LIVE_WS_BURST``) of at most ``LIVE_WS_MAX_MESSAGE_BYTES``; more is
    answered with ``rate_limited`` / ``too_large`` errors.

The notifications WebSocket ``/ws/notify/``
===========================================

For pages of users who have no place on the operations feed (a partner
department's inbox: any staff role).  Same authentication and close codes
(4401, 4403 for a user without a staff role).  On connect
``{"type": "synced", "last_id": 0}``; then each in-app notification of the
user as ``{"type": "notification", "delivery", "subject", "body",
"payload"}`` (the same frame the operations feed sends); ``{"type":
"ping"}`` is answered with ``{"type": "pong"}``, anything else ignored.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from cim import roles
from cim.errors import DomainError
from config.common.jsonlimits import JSONLimitError, loads_limited
from config.common.metrics import WEBSOCKETS
from emergency.conf import emergency_settings
from emergency.live.choices import PositionSource
from emergency.live.hub import hub_for_loop
from emergency.live.ingest import positions_ingest
from emergency.live.ratelimit import TokenBucket
from emergency.live.scope import LiveScope, live_scope_for

__all__ = ["NotifyConsumer", "OpsConsumer"]

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
_CONTROL = frozenset(roles.CONTROL_ROLES)


def _access_of(user) -> tuple[bool, frozenset[int], LiveScope | None] | None:
    """(control room?, own unit ids, scope of a district/department console)
    or None when the user may not connect."""
    held = roles.roles_of(user)
    if held & _CONTROL:
        return True, frozenset(), live_scope_for(user)
    if roles.RESPONDER in held:
        return False, frozenset(user.units.values_list("pk", flat=True)), None
    return None


def _after_of(query_string: bytes) -> int | None | str:
    """The ``after`` parameter: an id, None when absent, or why it is bad."""
    values = parse_qs(query_string.decode("latin-1")).get("after")
    if not values or values[-1] == "":
        return None
    try:
        after = int(values[-1])
    except ValueError:
        return "after must be an integer event id"
    if not 0 <= after < 2**62:
        return "after must lie between 0 and 2^62"
    return after


class UserNotifications:
    """The in-app notifications of the signed-in user: the notification
    service's in-app channel sends them to the group ``user.<id>``."""

    async def signed_in(self):
        """Accept the handshake; the signed-in user, or None after closing
        with 4401 (after the handshake, so the browser sees the code)."""
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return None
        return user

    async def notifications_join(self, user) -> None:
        if self.channel_layer is not None:
            await self.channel_layer.group_add(f"user.{user.pk}", self.channel_name)

    async def notifications_leave(self, user) -> None:
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(f"user.{user.pk}", self.channel_name)

    async def notify_message(self, event: dict) -> None:
        """An in-app notification for this user (sent by the notification
        service's in-app channel to the group ``user.<id>``)."""
        await self.send(text_data=json.dumps({
            "type": "notification", "delivery": event.get("delivery"), "subject": event.get("subject", ""),
            "body": event.get("body", ""), "payload": event.get("payload") or {}}, ensure_ascii=False))


class NotifyConsumer(UserNotifications, AsyncWebsocketConsumer):
    """``/ws/notify/``: a staff page's in-app notifications (see the module docstring)."""

    user = None

    async def connect(self) -> None:
        user = await self.signed_in()
        if user is None:
            return
        if not await database_sync_to_async(roles.has_role)(user, *roles.STAFF_ROLES):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        WEBSOCKETS.labels(stream="notify").inc()
        await self.notifications_join(user)
        await self.send(text_data='{"type":"synced","last_id":0}')

    async def disconnect(self, code) -> None:
        if self.user is not None:
            WEBSOCKETS.labels(stream="notify").dec()
            await self.notifications_leave(self.user)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.user is not None and text_data and len(text_data) < 200 and '"ping"' in text_data:
            await self.send(text_data='{"type":"pong"}')


class OpsConsumer(UserNotifications, AsyncWebsocketConsumer):
    """One console or unit device; see the module docstring for the protocol."""

    hub = None

    async def connect(self) -> None:
        user = await self.signed_in()
        if user is None:
            return
        access = await database_sync_to_async(_access_of)(user)
        if access is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        after = _after_of(self.scope.get("query_string", b""))
        if isinstance(after, str):
            await self._error("invalid", after, field="after")
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.user = user
        self.bucket = TokenBucket(rate=float(emergency_settings.LIVE_WS_RATE_PER_S),
                                  burst=int(emergency_settings.LIVE_WS_BURST), now=time.monotonic())
        self.max_bytes = int(emergency_settings.LIVE_WS_MAX_MESSAGE_BYTES)
        self.hub = await hub_for_loop()
        control, units, scope = access
        WEBSOCKETS.labels(stream="ops").inc()
        await self.hub.join(self, control=control, units=units, after=after, scope=scope)
        await self.notifications_join(user)  # in-app notifications for this user (console toast, field app)

    async def disconnect(self, code) -> None:
        if self.hub is not None:
            WEBSOCKETS.labels(stream="ops").dec()
            self.hub.leave(self)
            await self.notifications_leave(self.user)

    async def _error(self, error: str, detail: str, *, field: str | None = None) -> None:
        message = {"type": "error", "error": error, "detail": detail}
        if field:
            message["field"] = field
        await self.send(text_data=json.dumps(message, ensure_ascii=False))

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.hub is None:  # closing: not (yet) admitted
            return
        if text_data is None:
            await self._error("invalid", "send JSON text frames")
            return
        if len(text_data) > self.max_bytes:
            await self._error("too_large", f"a message may hold at most {self.max_bytes} bytes")
            return
        if not self.bucket.allow(time.monotonic()):
            await self._error("rate_limited", "too many messages; slow down")
            return
        try:
            message = loads_limited(text_data, max_bytes=self.max_bytes)
        except JSONLimitError as exc:
            await self._error(exc.code, exc.detail)
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._error("invalid", "a message is an object with a \"type\"", field="type")
            return
        kind = message["type"]
        if kind == "ping":
            await self.send(text_data='{"type":"pong"}')
        elif kind == "positions":
            await self._positions(message)
        else:
            await self._error("unknown_type", f"unknown message type {kind[:40]!r}; "
                              "one of ping, positions", field="type")

    async def _positions(self, message: dict) -> None:
        ref = message.get("ref")
        try:
            result = await database_sync_to_async(positions_ingest)(
                items=message.get("items"), by=self.user, source=PositionSource.WEBSOCKET)
        except DomainError as exc:  # the batch as a whole ("positions" is "items" here)
            await self._error(exc.code, exc.message, field="items" if exc.field == "positions" else exc.field)
            return
        answer = {"type": "ingested", **result.as_dict()}
        if isinstance(ref, (str, int)) and not isinstance(ref, bool):
            answer["ref"] = ref
        await self.send(text_data=json.dumps(answer, ensure_ascii=False))
