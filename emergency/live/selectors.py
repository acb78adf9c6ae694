"""Reads of the live path (plain SQL: they run on every gap, connect and
stale check of every ASGI process)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from emergency.live.wire import PositionWire
from emergency.models import Event, PositionReport, Unit

__all__ = [
    "EventRow",
    "event_bounds",
    "event_frame",
    "event_max_id",
    "events_after_with_snapshot",
    "events_between",
    "positions_snapshot",
    "stale_unit_ids",
]


@dataclass(frozen=True)
class EventRow:
    id: int
    kind: str
    at: str
    payload: Any


def event_frame(row: EventRow) -> dict[str, Any]:
    """The message a console receives for an event."""
    return {"type": "event", "id": row.id, "kind": row.kind, "at": row.at, "payload": row.payload}


def _row(event_id, kind, created_at, payload) -> EventRow:
    if isinstance(payload, (str, bytes)):
        payload = json.loads(payload)
    return EventRow(event_id, kind, created_at.isoformat(), payload)


def events_after_with_snapshot(after: int, *, limit: int = 500) -> tuple[str, list[EventRow]]:
    """The database snapshot and the events above ``after`` it shows, read in
    ONE statement (so the snapshot is exactly the one the rows were read
    with)."""
    table = Event._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT s.snap, e.id, e.kind, e.created_at, e.payload
                  FROM (SELECT pg_current_snapshot()::text AS snap) s
                  LEFT JOIN LATERAL (SELECT id, kind, created_at, payload FROM {table}
                                      WHERE id > %s ORDER BY id LIMIT %s) e ON true""",
            [after, limit],
        )
        rows = cur.fetchall()
    snap = rows[0][0]
    return snap, [_row(*r[1:]) for r in rows if r[1] is not None]


def events_between(after: int, upto: int, *, limit: int = 500) -> list[EventRow]:
    """Events with ``after < id <= upto``, oldest first, at most ``limit``."""
    table = Event._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, kind, created_at, payload FROM {table} WHERE id > %s AND id <= %s "
                    f"ORDER BY id LIMIT %s", [after, upto, limit])
        return [_row(*r) for r in cur.fetchall()]


def event_bounds(after: int, upto: int) -> tuple[int | None, int | None, int]:
    """Lowest and highest event id kept, and how many lie in ``(after, upto]``."""
    table = Event._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT min(id), max(id), count(*) FILTER (WHERE id > %s AND id <= %s) FROM {table}",
                    [after, upto])
        lo, hi, n = cur.fetchone()
    return lo, hi, n


def event_max_id() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {Event._meta.db_table}")
        return int(cur.fetchone()[0])


def positions_snapshot(units: frozenset[int] | None = None) -> list[PositionWire]:
    """Every unit with a position, in the form of the live path (the fix
    its row holds); ``units`` limits it (a responder's own units)."""
    unit_table, history = Unit._meta.db_table, PositionReport._meta.db_table
    where = "AND u.id = ANY(%s::bigint[])" if units is not None else ""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT u.id, u.code, ST_X(u.last_position), ST_Y(u.last_position), u.last_position_at,
                       p.speed_kmh, p.heading, u.status
                  FROM {unit_table} u
                  LEFT JOIN LATERAL (SELECT speed_kmh, heading FROM {history} h
                                      WHERE h.unit_id = u.id AND h.at = u.last_position_at
                                      ORDER BY h.id DESC LIMIT 1) p ON true
                 WHERE u.last_position IS NOT NULL {where}
                 ORDER BY u.id""",
            [sorted(units)] if units is not None else [],
        )
        return [PositionWire(unit=i, code=code, lon=lon, lat=lat, at=at.isoformat(), at_epoch=at.timestamp(),
                             speed_kmh=speed, heading=heading, status=status, written=True)
                for i, code, lon, lat, at, speed, heading, status in cur.fetchall()]


def stale_unit_ids(stale_after_s: float) -> list[int]:
    """Units whose last position is older than ``stale_after_s``."""
    cutoff = timezone.now() - dt.timedelta(seconds=stale_after_s)
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM {Unit._meta.db_table} WHERE last_position_at < %s ORDER BY id",
                    [cutoff])
        return [r[0] for r in cur.fetchall()]
