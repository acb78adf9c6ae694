"""Retention of the live path: position history and events are kept for a
bounded time (``POSITION_RETENTION_S``, ``LIVE_EVENT_RETENTION_S``) and
purged in slices, so a purge never holds long locks or a huge transaction.
Run by ``manage.py purge_live`` (cron) and, at most every
``LIVE_PURGE_INTERVAL_S``, by one of the ASGI processes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from emergency.conf import emergency_settings
from emergency.models import Event, FieldOp, PositionReport

__all__ = ["PurgeResult", "live_purge"]


@dataclass(frozen=True)
class PurgeResult:
    positions: int
    events: int
    field_ops: int = 0


def _purge(table: str, column: str, cutoff: dt.datetime, batch: int) -> int:
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {column} < %s "
                        f"ORDER BY id LIMIT %s)", [cutoff, batch])
            deleted = cur.rowcount
        total += deleted
        if deleted < batch:
            return total


def live_purge(*, now: dt.datetime | None = None, batch: int = 20000) -> PurgeResult:
    """Delete position reports received, events written and field-device
    operations received before their retention window.  A console resuming from a purged event id is told to
    reload (``resync_required``)."""
    now = now or timezone.now()
    positions = _purge(PositionReport._meta.db_table, "received_at",
                       now - dt.timedelta(seconds=float(emergency_settings.POSITION_RETENTION_S)), batch)
    events = _purge(Event._meta.db_table, "created_at",
                    now - dt.timedelta(seconds=float(emergency_settings.LIVE_EVENT_RETENTION_S)), batch)
    # A field device's operation ids are kept while it may still resend them: an operation
    # older than FIELD_OP_MAX_AGE_S is refused as expired, so its id can go an hour later.
    field_ops = _purge(FieldOp._meta.db_table, "received_at",
                       now - dt.timedelta(seconds=float(emergency_settings.FIELD_OP_MAX_AGE_S) + 3600), batch)
    return PurgeResult(positions=positions, events=events, field_ops=field_ops)
