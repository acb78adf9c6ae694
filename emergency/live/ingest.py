"""Position ingestion (AVL): the one path for HTTP batches, the one-fix
endpoint ``/units/{id}/position/`` (:func:`position_report`), WebSocket
messages and the simulator.

One batch is one transaction and a handful of statements, however many
reports it holds: the units named are read in one query, the reports are
validated (:mod:`emergency.live.validation`), the history is written with
COPY, the units' last positions are moved with one ``UPDATE … FROM
unnest(…)`` (only where the fix is newer than the one stored, under row
locks taken in id order), and after commit one message with the units that
moved goes to the channel-layer group ``ops.positions`` (the per-process
hubs, :mod:`emergency.live.hub`, coalesce it for the consoles).  No event
row is written per position: positions are state, and a console that
reconnects gets the current picture in a snapshot.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cim import roles
from cim.errors import DomainError
from cim.services.audit import audit_record
from config.common.metrics import positions_counted
from emergency.conf import emergency_settings
from emergency.live.choices import PositionSource
from emergency.live.publish import publish
from emergency.live.validation import (
    Fix,
    Policy,
    Rejection,
    Reporter,
    UnitRef,
    requested_unit_ids,
    validate_batch,
)
from emergency.live.wire import PositionWire
from emergency.models import PositionReport, Unit

__all__ = ["POSITIONS_GROUP", "POSITIONS_MESSAGE", "IngestResult", "position_report", "positions_ingest",
           "positions_settle", "reporter_of", "service_extent"]

POSITIONS_GROUP = "ops.positions"
POSITIONS_MESSAGE = "live.positions"
_AUTH_CODES = frozenset({"other_agency", "not_member"})
_EXTENT_TTL_S = 60.0  # the extent of the administrative areas is looked up at most this often


@dataclass
class IngestResult:
    """What became of a batch: how many reports were stored, how many moved
    their unit (the others were older than the unit's position), and every
    refusal with its reason."""

    accepted: int
    applied: int
    rejected: list[Rejection] = field(default_factory=list)
    # The fix that moved each unit (newest of the batch), by unit id: what
    # the consoles are told, whether or not the unit's row took it yet.
    moved: dict[int, Fix] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "applied": self.applied,
                "rejected": [r.as_dict() for r in self.rejected]}


_extent_cache: dict[str, Any] = {}
_extent_lock = threading.Lock()


def service_extent() -> tuple[float, float, float, float] | None:
    """The box fixes must fall in: the ``POSITION_EXTENT`` setting, else the
    extent of the administrative areas grown by ``POSITION_EXTENT_MARGIN_KM``
    (looked up at most once a minute), else None (anywhere on Earth)."""
    fixed = emergency_settings.POSITION_EXTENT
    if fixed is not None:
        return tuple(float(v) for v in fixed)
    with _extent_lock:
        cached = _extent_cache.get("value")
        if cached is not None and time.monotonic() - cached[0] < _EXTENT_TTL_S:
            return cached[1]
    from cim.models import AdminArea

    with connection.cursor() as cur:
        cur.execute(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    f"(SELECT ST_Extent(boundary) AS e FROM {AdminArea._meta.db_table}) s")
        row = cur.fetchone()
    extent = None
    if row and row[0] is not None:
        margin_km = float(emergency_settings.POSITION_EXTENT_MARGIN_KM)
        dlat = margin_km / 111.32
        dlon = margin_km / (111.32 * max(math.cos(math.radians((row[1] + row[3]) / 2)), 0.01))
        extent = (max(row[0] - dlon, -180.0), max(row[1] - dlat, -90.0),
                  min(row[2] + dlon, 180.0), min(row[3] + dlat, 90.0))
    with _extent_lock:
        _extent_cache["value"] = (time.monotonic(), extent)
    return extent


def reporter_of(by) -> Reporter:
    """What ``by`` may report: the control room any unit, a responder the
    units they crew.  A plain string is an internal actor (e.g. a seed or a
    test) and may report any unit."""
    if isinstance(by, str):
        return Reporter(any_unit=True)
    if roles.acting_user(by) is None:
        raise DomainError("sign in to report positions", field="positions", code="forbidden")
    if roles.has_role(by, *roles.CONTROL_ROLES):
        return Reporter(any_unit=True)
    rows = list(Unit.members.through.objects.filter(user_id=by.pk)
                .values_list("unit_id", "unit__agency_id"))
    return Reporter(any_unit=False, own_units=frozenset(u for u, _ in rows),
                    own_agencies=frozenset(a for _, a in rows))


@dataclass(frozen=True)
class _UnitState:
    code: str
    status: str
    last_at: dt.datetime | None


def _units(ids: set[int]) -> tuple[dict[int, UnitRef], dict[int, _UnitState]]:
    """The units a batch names, for authorisation and for deciding which
    fixes move them, in one query."""
    if not ids:
        return {}, {}
    from emergency.models import Agency

    with connection.cursor() as cur:
        cur.execute(f"""SELECT u.id, u.code, u.agency_id, a.name, u.status, u.last_position_at
                          FROM {Unit._meta.db_table} u JOIN {Agency._meta.db_table} a ON a.id = u.agency_id
                         WHERE u.id = ANY(%s::bigint[])""", [sorted(ids)])
        rows = cur.fetchall()
    return ({i: UnitRef(i, code, agency, name) for i, code, agency, name, _, _ in rows},
            {i: _UnitState(code, status, last_at) for i, code, _, _, status, last_at in rows})


def _copy_history(fixes: list[Fix], *, source: str, user_id: int | None, now: dt.datetime) -> None:
    table = PositionReport._meta.db_table
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {table} (unit_id, at, received_at, geom, speed_kmh, heading, "
                             f"source, reported_by_id) FROM STDIN") as copy:
            for f in fixes:
                copy.write_row((f.unit, f.at, now, f"SRID=4326;POINT({f.lon!r} {f.lat!r})",
                                f.speed_kmh, f.heading, source, user_id))


def _latest_per_unit(fixes: list[Fix]) -> dict[int, Fix]:
    latest: dict[int, Fix] = {}
    for f in fixes:
        held = latest.get(f.unit)
        if held is None or f.at >= held.at:
            latest[f.unit] = f
    return latest


def _move_units(latest: dict[int, Fix]) -> None:
    """Store each unit's newest fix as its position where it is newer than
    the stored one (row locks in id order: concurrent batches never
    deadlock)."""
    ids = sorted(latest)
    table = Unit._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH v(id, lon, lat, at) AS (
                SELECT * FROM unnest(%s::bigint[], %s::float8[], %s::float8[], %s::timestamptz[])),
            locked AS MATERIALIZED (
                SELECT id FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE)
            UPDATE {table} u
               SET last_position = ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326), last_position_at = v.at
              FROM v JOIN locked l ON l.id = v.id
             WHERE u.id = v.id AND (u.last_position_at IS NULL OR u.last_position_at < v.at)
            """,
            [ids, [latest[i].lon for i in ids], [latest[i].lat for i in ids], [latest[i].at for i in ids],
             ids],
        )


def _wire(fix: Fix, code: str, status: str, written: bool) -> PositionWire:
    """The compact form a hub receives (see :class:`PositionWire`)."""
    return PositionWire(unit=fix.unit, code=code, lon=fix.lon, lat=fix.lat, at=fix.at.isoformat(),
                        at_epoch=fix.at.timestamp(), speed_kmh=fix.speed_kmh, heading=fix.heading,
                        status=status, written=written)


@transaction.atomic
def positions_settle(*, fixes: list[tuple[int, float, float, dt.datetime]]) -> None:
    """Store fixes a batch left out of the units' rows (they came within
    ``POSITION_UNIT_WRITE_INTERVAL_S`` of the stored one) once no newer fix
    has followed, so a unit that stops reporting keeps its true last
    position.  Never moves a unit backwards."""
    if not fixes:
        return
    with connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit TO off")
    _move_units({u: Fix(index=0, unit=u, lon=lon, lat=lat, at=at) for u, lon, lat, at in fixes})


@transaction.atomic
def positions_ingest(*, items: Any, by, source: str = PositionSource.HTTP) -> IngestResult:
    """Validate and store a batch of position reports; move the units and
    tell the consoles after commit.

    Refused items are listed with the field and the reason; the others are
    stored (they are independent fixes).  A batch that is not a list, is
    empty or too long is refused whole (:class:`DomainError`), as is one
    from someone who may not report at all.  Authorisation refusals are
    audited (a responder reporting someone else's unit).
    """
    if source not in PositionSource.values:
        raise DomainError(f"unknown source {source!r}", field="source")
    if not isinstance(items, list):
        raise DomainError("positions must be a list of position objects", field="positions")
    if not items:
        raise DomainError("positions is empty", field="positions")
    limit = int(emergency_settings.POSITION_BATCH_MAX)
    if len(items) > limit:
        raise DomainError(f"{len(items)} positions in one batch; at most {limit}", field="positions")
    reporter = reporter_of(by)
    now = timezone.now()
    policy = Policy(now=now, max_skew_s=float(emergency_settings.POSITION_MAX_SKEW_S),
                    max_age_s=float(emergency_settings.POSITION_RETENTION_S),
                    max_speed_kmh=float(emergency_settings.POSITION_MAX_SPEED_KMH), extent=service_extent())
    units, state = _units(requested_unit_ids(items))
    accepted, rejected = validate_batch(items, policy=policy, units=units, reporter=reporter)
    moved: dict[int, Fix] = {}
    if accepted:
        with connection.cursor() as cur:
            # Telemetry: a crash may lose the last fraction of a second of
            # fixes (the next report replaces them), but no batch waits for
            # its WAL flush.  Atomicity and ordering are unchanged.
            cur.execute("SET LOCAL synchronous_commit TO off")
        user_id = by.pk if roles.acting_user(by) else None
        _copy_history(accepted, source=source, user_id=user_id, now=now)
        moved = {u: f for u, f in _latest_per_unit(accepted).items()
                 if state[u].last_at is None or f.at > state[u].last_at}
        # A unit that reports faster than the write interval has its row
        # rewritten at most that often (each rewrite touches all of the unit
        # table's indexes); history and consoles still get every fix.
        interval = dt.timedelta(seconds=float(emergency_settings.POSITION_UNIT_WRITE_INTERVAL_S))
        due = {u: f for u, f in moved.items()
               if state[u].last_at is None or f.at >= state[u].last_at + interval}
        if due:
            _move_units(due)
        if moved:
            wire = [_wire(f, state[u].code, state[u].status, u in due) for u, f in sorted(moved.items())]
            message = {"type": POSITIONS_MESSAGE, "items": wire}
            transaction.on_commit(lambda: publish(POSITIONS_GROUP, message))
    refused = [r for r in rejected if r.code in _AUTH_CODES]
    if refused:
        audit_record(actor=by, action="positions.refused", object_type="emergency.unit",
                     object_id=",".join(sorted({str(r.unit) for r in refused})),
                     after={"refused": [r.as_dict() for r in refused[:20]], "count": len(refused),
                            "source": source})
    counts = (source, len(accepted), len(rejected))
    transaction.on_commit(lambda: positions_counted(*counts))  # the ingestion rate (/metrics)
    return IngestResult(accepted=len(accepted), applied=len(moved), rejected=rejected, moved=moved)


def position_report(*, unit: int, lon: float, lat: float, by, at: dt.datetime | None = None,
                    source: str = PositionSource.HTTP) -> Fix | None:
    """One fix of one unit (``POST /units/{id}/position/``) as a batch of one
    through :func:`positions_ingest`: the same validation, history, unit
    write interval and console coalescing.  A refused fix raises
    :class:`DomainError` with the field, the code and the reason; the fix is
    returned when it moved the unit, None when it was older than the unit's
    position (it is kept as history only)."""
    item: dict[str, Any] = {"unit": unit, "lon": lon, "lat": lat}
    if at is not None:
        item["at"] = at.isoformat()
    result = positions_ingest(items=[item], by=by, source=source)
    if result.rejected:
        refusal = result.rejected[0]
        raise DomainError(refusal.reason, field=refusal.field, code=refusal.code)
    return result.moved.get(unit)
