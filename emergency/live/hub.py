"""The live hub: one per ASGI process (per event loop), between the channel
layer and the process's WebSocket consumers.

It is the only member of the groups ``ops`` (events, published after commit
by :func:`emergency.events.emit`) and ``ops.positions`` (position batches,
:mod:`emergency.live.ingest`) in its process, so a message crosses Redis
once per process, not once per console, and is encoded to JSON once:

* events go out in increasing id order with no gap or repeat
  (:class:`~emergency.live.cursor.EventCursor`); a missed notification is
  found by a poll of the event table every ``LIVE_EVENT_POLL_S``;
* positions are coalesced (:class:`~emergency.live.coalesce.Coalescer`)
  and sent as one frame for all consoles as soon as a batch arrives (a
  batch's units that were sent less than ``LIVE_POSITION_MIN_INTERVAL_S``
  ago wait for the next tick, every ``LIVE_POSITION_FLUSH_S``), each unit
  at most once per that interval;
* stale units are looked up every ``LIVE_STALE_CHECK_S`` and announced when
  the set changes;
* a fix that its unit's row did not take (the unit reported again within
  ``POSITION_UNIT_WRITE_INTERVAL_S``) is stored once no newer one followed
  (by one process per interval, a Redis lock);
* history and old events are purged every ``LIVE_PURGE_INTERVAL_S`` by one
  process (a Redis lock);
* the membership of both groups is renewed every ``LIVE_GROUP_RENEW_S``
  (the channel layer lets it expire).

A consumer joins with the last event id it has: it is registered first (so
nothing published meanwhile is lost), the events it missed are read from
the database up to the hub's watermark, then ``synced``, a snapshot of the
units' positions, whatever was buffered meanwhile, and from then on the
live stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from emergency.conf import emergency_settings
from emergency.events import MESSAGE_TYPE as EVENT_MESSAGE
from emergency.events import OPS_GROUP
from emergency.live import selectors
from emergency.live.coalesce import Coalescer, StaleSet
from emergency.live.conf import stale_after_s
from emergency.live.cursor import EventCursor, parse_snapshot
from emergency.live.ingest import POSITIONS_GROUP, POSITIONS_MESSAGE
from emergency.live.scope import LiveScope
from emergency.live.wire import PositionWire

__all__ = ["Hub", "hub_for_loop", "position_item"]

log = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 2000
CLOSE_TOO_SLOW = 4408  # WebSocket close code for a console that fell MAX_QUEUED_FRAMES behind
EVENT_PAGE = 500  # events read per query when resolving a gap
RECEIVE_RETRY_S = 1.0  # pause after a failed read of the channel layer
RESOLVE_RETRY_S = 0.1  # look again this soon while a gap in the event ids is held


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def position_item(wire: PositionWire, *, now: float, stale_s: float) -> dict[str, Any]:
    """A console's position item from the compact form."""
    w = PositionWire.of(wire)
    return {"unit": w.unit, "code": w.code, "lon": w.lon, "lat": w.lat, "at": w.at, "speed_kmh": w.speed_kmh,
            "heading": w.heading, "status": w.status, "stale": now - w.at_epoch > stale_s}


@dataclass(eq=False)
class Member:
    """A consumer of this process, what it may see, and what waits for it
    while it catches up."""

    consumer: Any
    control: bool
    units: frozenset[int]
    scope: LiveScope | None = None  # a district/department console (its units are ``units``)
    live: bool = False
    floor: int = 0
    events: list[tuple[int, str, bool]] = field(default_factory=list)  # (id, frame, late)
    positions: Coalescer = field(default_factory=Coalescer)
    replayed: set[int] = field(default_factory=set)
    # Live frames go through one queue and one writer task per member: in
    # order, and a slow console never holds the others up.
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    writer: asyncio.Task | None = None

    def sees_unit(self, unit: Any) -> bool:
        return self.control or unit in self.units

    def sees_event(self, kind: str, payload: Any) -> bool:
        if self.scope is not None:
            return self.scope.sees_event(kind, payload)
        if self.control:
            return True
        if not isinstance(payload, dict):
            return False
        named = payload.get("units")  # events for every unit of an incident (voice messages)
        if payload.get("unit") in self.units:
            return True
        return isinstance(named, list) and not self.units.isdisjoint(named)


class Hub:
    """See the module docstring."""

    def __init__(self) -> None:
        self.members: dict[Any, Member] = {}
        self.cursor: EventCursor | None = None
        self.coalescer: Coalescer[PositionWire] = Coalescer(
            float(emergency_settings.LIVE_POSITION_MIN_INTERVAL_S))
        self.stale = StaleSet()
        self._ahead: dict[int, dict[str, Any]] = {}
        self._resolving = asyncio.Lock()
        self._snapshot_waiters: list[asyncio.Future] = []
        self._snapshot_task: asyncio.Future | None = None
        self.unwritten: dict[int, tuple[PositionWire, float]] = {}
        self._retry: asyncio.TimerHandle | None = None
        self._flush_pending = False
        self._tasks: list[asyncio.Task] = []
        self.layer = None
        self.channel: str | None = None

    # ----------------------------------------------------------- life cycle
    async def start(self) -> None:
        self.layer = get_channel_layer()
        # The default prefix: channels_redis serves all of a process's
        # channels with the same prefix from one blocking read of Redis.
        self.channel = await self.layer.new_channel()
        await self._subscribe()
        # Subscribed before the watermark is read: whatever commits later
        # arrives as a message, whatever committed earlier is ≤ the watermark.
        watermark = await database_sync_to_async(selectors.event_max_id)()
        self.cursor = EventCursor(watermark, hold_s=float(emergency_settings.LIVE_EVENT_HOLD_S))
        for loop in (self._receive_loop, self._flush_loop, self._poll_loop, self._stale_loop,
                     self._settle_loop, self._resubscribe_loop, self._purge_loop):
            self._tasks.append(asyncio.create_task(loop(), name=f"live-hub-{loop.__name__}"))

    async def _subscribe(self) -> None:
        for group in (OPS_GROUP, POSITIONS_GROUP):
            await self.layer.group_add(group, self.channel)

    # -------------------------------------------------------------- members
    async def join(self, consumer, *, control: bool, units: frozenset[int], after: int | None,
                   scope: LiveScope | None = None) -> None:
        """Register ``consumer``, replay what it missed, send ``synced`` and
        the positions snapshot, then make it live.  A scoped console
        (:mod:`emergency.live.scope`) joins as not control, with its scope's
        units."""
        if scope is not None:
            control, units = False, scope.units
        member = Member(consumer=consumer, control=control, units=units, scope=scope)
        self.members[consumer] = member
        upto = self.cursor.watermark  # read with the registration: no await in between
        member.floor = max(upto, after or 0)
        if after is not None and not await self._replay(member, after, upto):
            await consumer.send(text_data=_dumps({"type": "resync_required"}))
        await consumer.send(text_data=_dumps({"type": "synced", "last_id": member.floor}))
        snapshot, frame = await self._snapshot(member)
        await consumer.send(text_data=frame)
        shown = {w.unit: w.at_epoch for w in snapshot}
        stale_s = stale_after_s()
        while consumer in self.members:
            events, member.events = member.events, []
            waiting = [w for w in member.positions.take() if w.at_epoch > shown.get(w.unit, float("-inf"))]
            if not events and not waiting:
                member.live = True  # no await since the buffers were found empty
                member.writer = asyncio.create_task(self._write(member))
                return
            for event_id, frame, late in events:
                if (event_id > member.floor or late) and event_id not in member.replayed:
                    await consumer.send(text_data=frame)
            if waiting:
                now = time.time()
                await consumer.send(text_data=_dumps({
                    "type": "positions",
                    "items": [position_item(w, now=now, stale_s=stale_s) for w in waiting]}))

    async def _snapshot(self, member: Member) -> tuple[list[PositionWire], str]:
        """The units' positions for a joining member (and, for the control
        room, the frame to send), read after it was registered so that
        nothing committed later is missed: that is in its buffer.  Members
        that join while a read runs share the next one, so a storm of
        reconnecting consoles costs two reads, not one each."""
        waiter = asyncio.get_running_loop().create_future()
        self._snapshot_waiters.append(waiter)
        if self._snapshot_task is None or self._snapshot_task.done():
            self._snapshot_task = asyncio.ensure_future(self._read_snapshots())
        wires, frame = await waiter
        if member.control:
            return wires, frame
        now, stale_s = time.time(), stale_after_s()
        own = [position_item(w, now=now, stale_s=stale_s) for w in wires if w.unit in member.units]
        return [w for w in wires if w.unit in member.units], _dumps(
            {"type": "positions", "snapshot": True, "items": own})

    async def _read_snapshots(self) -> None:
        while self._snapshot_waiters:
            waiters, self._snapshot_waiters = self._snapshot_waiters, []
            try:
                wires = await database_sync_to_async(selectors.positions_snapshot)()
                now, stale_s = time.time(), stale_after_s()
                frame = _dumps({"type": "positions", "snapshot": True,
                                "items": [position_item(w, now=now, stale_s=stale_s) for w in wires]})
            except Exception as exc:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result((wires, frame))

    async def _replay(self, member: Member, after: int, upto: int) -> bool:
        """Send the events in ``(after, upto]``; False when they can no
        longer all be sent (purged, too many, or the client is from another
        database) and the console must reload its state."""
        lo, hi, count = await database_sync_to_async(selectors.event_bounds)(after, upto)
        if (hi is None and after > 0) or (hi is not None and after > hi) \
                or (lo is not None and after < lo - 1) or count > int(emergency_settings.LIVE_REPLAY_MAX):
            return False
        cursor = after
        while cursor < upto:
            rows = await database_sync_to_async(selectors.events_between)(cursor, upto)
            if not rows:
                break
            for row in rows:
                if member.sees_event(row.kind, row.payload):
                    await member.consumer.send(text_data=_dumps(selectors.event_frame(row)))
                member.replayed.add(row.id)
            cursor = rows[-1].id
        return True

    def leave(self, consumer) -> None:
        member = self.members.pop(consumer, None)
        if member is not None and member.writer is not None:
            member.writer.cancel()

    def _deliver(self, member: Member, frame: str) -> None:
        """Queue a frame for a live member; a console that has fallen this
        far behind is closed (it reconnects and resumes from its last id)."""
        if member.queue.qsize() >= MAX_QUEUED_FRAMES:
            log.warning("closing a console that fell %d frames behind", member.queue.qsize())
            self.leave(member.consumer)
            asyncio.ensure_future(member.consumer.close(code=CLOSE_TOO_SLOW))
            return
        member.queue.put_nowait(frame)

    async def _write(self, member: Member) -> None:
        while True:
            frame = await member.queue.get()
            try:
                await member.consumer.send(text_data=frame)
            except asyncio.CancelledError:
                raise
            except Exception:  # a socket that went away; its disconnect follows
                log.debug("dropping a member that could not be sent to", exc_info=True)
                self.members.pop(member.consumer, None)
                return

    # --------------------------------------------------------------- events
    def _broadcast_event(self, message: dict[str, Any], *, late: bool = False) -> None:
        frame_message = {"type": "event", "id": message["id"], "kind": message["kind"],
                         "at": message["at"], "payload": message["payload"]}
        if late:
            frame_message["late"] = True
        frame = _dumps(frame_message)
        for member in list(self.members.values()):
            if not member.sees_event(message["kind"], message["payload"]):
                continue
            if member.live:
                if late and message["id"] in member.replayed:
                    continue
                self._deliver(member, frame)
            else:
                member.events.append((message["id"], frame, late))

    def _on_event(self, message: dict[str, Any]) -> None:
        event_id = int(message["id"])
        verdict = self.cursor.classify(event_id)
        if verdict == "next":
            self.cursor.take_next(event_id)
            self._broadcast_event(message)
            self._drain_ahead()
        elif verdict == "late":
            self.cursor.take_late(event_id)
            self._broadcast_event(message, late=True)
        elif verdict == "ahead":
            self._ahead[event_id] = message
            asyncio.ensure_future(self.resolve())

    def _drain_ahead(self) -> None:
        while (nxt := self._ahead.pop(self.cursor.watermark + 1, None)) is not None:
            self.cursor.take_next(nxt["id"])
            self._broadcast_event(nxt)
        for stale_id in [i for i in self._ahead if i <= self.cursor.watermark]:
            del self._ahead[stale_id]

    async def resolve(self) -> None:
        """Read the events above the watermark with the database snapshot and
        deliver what can go out (see :mod:`emergency.live.cursor`)."""
        async with self._resolving:
            while True:
                snap, rows = await database_sync_to_async(selectors.events_after_with_snapshot)(
                    self.cursor.watermark, limit=EVENT_PAGE)
                ready = self.cursor.resolve([r.id for r in rows], parse_snapshot(snap), time.monotonic())
                by_id = {r.id: r for r in rows}
                for event_id in ready:
                    row = by_id[event_id]
                    self._broadcast_event({"id": row.id, "kind": row.kind, "at": row.at,
                                           "payload": row.payload})
                self._drain_ahead()
                if not (ready and len(rows) == EVENT_PAGE):
                    break
        if self.cursor.holding and self._retry is None:
            loop = asyncio.get_running_loop()
            self._retry = loop.call_later(RESOLVE_RETRY_S, self._retry_resolve)

    def _retry_resolve(self) -> None:
        self._retry = None
        asyncio.ensure_future(self.resolve())

    # ------------------------------------------------------------ positions
    def _flush_positions(self) -> None:
        wires = self.coalescer.take(time.monotonic())
        if not wires:
            return
        now, stale_s = time.time(), stale_after_s()
        items = [position_item(w, now=now, stale_s=stale_s) for w in wires]
        shared: str | None = None
        for member in list(self.members.values()):
            if not member.live:
                for w in wires:
                    if member.sees_unit(w.unit):
                        member.positions.offer(w.unit, w.at_epoch, w)
                continue
            if member.control:
                shared = shared or _dumps({"type": "positions", "items": items})
                self._deliver(member, shared)
            else:
                own = [i for i in items if i["unit"] in member.units]
                if own:
                    self._deliver(member, _dumps({"type": "positions", "items": own}))

    def _flush_soon(self) -> None:
        """Flush once the messages already waiting have been read (a burst
        of batches makes one frame), without waiting for the tick: a
        position waits for the tick only while its unit's interval runs."""
        if self._flush_pending:
            return
        self._flush_pending = True
        asyncio.get_running_loop().call_soon(self._flush_now)

    def _flush_now(self) -> None:
        self._flush_pending = False
        try:
            self._flush_positions()
        except Exception:
            log.exception("live hub: position flush failed")

    def _note_written(self, wire: PositionWire, now: float) -> None:
        """Track the newest fix of each unit that its row does not hold yet."""
        held = self.unwritten.get(wire.unit)
        if wire.written:
            if held is not None and held[0].at_epoch <= wire.at_epoch:
                del self.unwritten[wire.unit]
        elif held is None or held[0].at_epoch < wire.at_epoch:
            self.unwritten[wire.unit] = (wire, now)

    async def _settle_loop(self) -> None:
        interval = max(float(emergency_settings.POSITION_UNIT_WRITE_INTERVAL_S), 0.5)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            due = [w for w, seen in self.unwritten.values() if now - seen >= interval]
            for w in due:
                del self.unwritten[w.unit]
            if due:
                try:
                    await database_sync_to_async(_settle_if_first)(due, interval)
                except Exception:
                    log.exception("live hub: could not store trailing positions")

    # ----------------------------------------------------------------- loops
    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live hub: channel layer receive failed; retrying")
                await asyncio.sleep(RECEIVE_RETRY_S)
                continue
            try:
                kind = message.get("type")
                if kind == EVENT_MESSAGE:
                    self._on_event(message)
                elif kind == POSITIONS_MESSAGE:
                    now = time.monotonic()
                    for row in message["items"]:
                        wire = PositionWire.of(row)
                        self.coalescer.offer(wire.unit, wire.at_epoch, wire)
                        self._note_written(wire, now)
                    self._flush_soon()
            except Exception:
                log.exception("live hub: bad message %r", message.get("type"))

    async def _flush_loop(self) -> None:
        interval = float(emergency_settings.LIVE_POSITION_FLUSH_S)
        while True:
            await asyncio.sleep(interval)
            try:
                self._flush_positions()
            except Exception:
                log.exception("live hub: position flush failed")

    async def _poll_loop(self) -> None:
        interval = float(emergency_settings.LIVE_EVENT_POLL_S)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.resolve()
            except Exception:
                log.exception("live hub: event poll failed")

    async def _stale_loop(self) -> None:
        interval = float(emergency_settings.LIVE_STALE_CHECK_S)
        while True:
            try:
                units = await database_sync_to_async(selectors.stale_unit_ids)(stale_after_s())
                if self.stale.update(units):
                    stale = sorted(self.stale.units)
                    for member in list(self.members.values()):
                        if member.live:
                            seen = stale if member.control else [u for u in stale if u in member.units]
                            self._deliver(member, _dumps({"type": "stale", "units": seen}))
            except Exception:
                log.exception("live hub: stale check failed")
            await asyncio.sleep(interval)

    async def _resubscribe_loop(self) -> None:
        interval = float(emergency_settings.LIVE_GROUP_RENEW_S)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._subscribe()
            except Exception:
                log.exception("live hub: could not renew the group membership")

    async def _purge_loop(self) -> None:
        interval = float(emergency_settings.LIVE_PURGE_INTERVAL_S)
        while True:
            await asyncio.sleep(interval)
            try:
                await database_sync_to_async(_purge_if_due)(interval)
            except Exception:
                log.exception("live hub: purge failed")


def _settle_if_first(wires: list[PositionWire], interval: float) -> None:
    """Every hub sees the same fixes: one per interval stores them."""
    import datetime as dt

    from django.core.cache import cache

    from emergency.live.ingest import positions_settle

    if cache.add("emergency:live:settle", 1, timeout=max(int(interval), 1)):
        positions_settle(fixes=[(w.unit, w.lon, w.lat, dt.datetime.fromisoformat(w.at)) for w in wires])


def _purge_if_due(interval: float) -> None:
    from django.core.cache import cache

    from emergency.live.retention import live_purge

    if cache.add("emergency:live:purge", 1, timeout=max(int(interval), 1)):
        result = live_purge()
        if result.positions or result.events:
            log.info("purged %d position reports and %d events", result.positions, result.events)


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_starting: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def hub_for_loop() -> Hub:
    """This event loop's hub, started on first use."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is not None:
        return hub
    starting = _starting.get(loop)
    if starting is None:
        starting = _starting[loop] = asyncio.ensure_future(_start_hub(loop))
    return await asyncio.shield(starting)


async def _start_hub(loop) -> Hub:
    hub = Hub()
    try:
        await hub.start()
    except BaseException:
        _starting.pop(loop, None)
        raise
    _hubs[loop] = hub
    return hub
