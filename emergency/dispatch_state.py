"""What a recommendation reads (the available units, the road closures, the
units already sent to an incident), kept in memory per process and read
again when PostgreSQL says it changed.

A console asks for recommendations on every refresh, and these rows change
far less often than they are read.  Change notices come from the database
itself: statement triggers (migration ``emergency.0003``) on the unit,
agency, assignment, closure and service-point tables call ``pg_notify``,
which PostgreSQL delivers only when the writing transaction commits,
whoever wrote (a service, the admin, an import, raw SQL).  One listener
thread per process holds a ``LISTEN`` connection and counts the notices; a
picture is used only while the count is the one it was read under:

- a unit's status, type, agency, station or name, an assignment, a closure
  or a station's position changing makes the next recommendation read
  again (the notice reaches the listener a fraction of a millisecond after
  the commit; a recommendation asked in that instant answers as a read of
  the database that instant earlier would);
- unit moves do not notify (the ingestion writes them up to once a second
  per unit): the picture is read again once it is older than
  ``DISPATCH_STATE_MAX_AGE_S`` (1 s), so positions are at most that much
  older than in the table;
- the ages of fixes and the time windows of closures are worked out at
  each request from the stored times, not when the picture was read.

The picture is not used inside a transaction (the caller may have written
what no notice has announced yet: the rows are read for that request alone), while
the listener is not connected (a lost connection counts as a change), or
when ``DISPATCH_STATE_CACHE`` is off.  Writes of this process's services
also mark it changed at their commit (:func:`note_change`), so a console of
this process sees its own accept at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections

from emergency.conf import emergency_settings

__all__ = ["CHANNEL", "listener", "note_change", "snapshot", "stop_listener"]

log = logging.getLogger(__name__)

CHANNEL = "emergency_dispatch_state"


class _Listener:
    """A daemon thread LISTENing on :data:`CHANNEL`; ``version`` changes with
    every notice, every (re)connection and every loss of the connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version = 0
        self.listening = False
        self.notices = 0
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None
        self._stop = threading.Event()

    def bump(self) -> None:
        with self.lock:
            self.version += 1

    def ensure_started(self) -> None:
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self.lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            # first use, or a forked worker: the parent's thread is not here
            self._pid, self.listening, self._conn = os.getpid(), False, None
            self.version += 1
            self._stop.clear()
            params = connections[DEFAULT_DB_ALIAS].get_connection_params()
            self._thread = threading.Thread(target=self._run, args=(params,), name="dispatch-state-listener",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the LISTEN connection and end the thread (tests, before the
        test database is dropped)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout)
        with self.lock:
            self.listening, self._thread, self._conn = False, None, None
            self.version += 1

    def _run(self, params: dict) -> None:
        delay = 0.5
        params = {k: v for k, v in params.items()
                  if k not in ("cursor_factory", "context", "prepare_threshold")}
        while not self._stop.is_set():
            try:
                with psycopg.connect(**params, autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    with self.lock:
                        self.version += 1
                        self.listening = True
                    delay = 0.5
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            with self.lock:
                                self.version += 1
                                self.notices += 1
            except Exception as exc:
                if not self._stop.is_set():
                    log.warning("dispatch state listener: %s; retrying in %.1f s", exc, delay)
            finally:
                with self.lock:
                    self.listening = False
                    self.version += 1
                self._conn = None
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, 30.0)


listener = _Listener()


def stop_listener() -> None:
    listener.stop()


def note_change() -> None:
    """Mark the picture changed (a write service of this process, at commit)."""
    listener.bump()


@dataclass
class _Picture:
    version: int
    read_at: float  # time.monotonic()
    # (id, code, name, unit_type, agency name, lon, lat, fix epoch s, station lon, station lat)
    units: list[tuple]
    # (segment id, starts epoch s, ends epoch s or None)
    closures: list[tuple[int, float, float | None]]
    assigned: dict[int, dict[str, int]] = field(default_factory=dict)


_picture: _Picture | None = None
_picture_lock = threading.Lock()


def _read_picture(version: int | None) -> _Picture:
    """The rows as they are now, in one round trip (a server-side prepared
    statement on Django's own connection and transaction: planning the
    query costs about as much as running it).  ``version``: the listener's
    count it is read under (None: a picture for one request, not kept)."""
    from cim.models import ServicePoint
    from emergency.models import Agency, RoadClosure, Unit

    links = RoadClosure.segments.through._meta.db_table
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(
            f"""
            SELECT
              (SELECT coalesce(json_agg(json_build_array(
                         s.roadsegment_id, EXTRACT(EPOCH FROM c.starts_at)::float8,
                         EXTRACT(EPOCH FROM c.ends_at)::float8)), '[]')
                 FROM {links} s JOIN {RoadClosure._meta.db_table} c ON c.id = s.roadclosure_id
                WHERE c.lifted_at IS NULL),
              (SELECT coalesce(json_agg(json_build_array(
                         u.id, u.code, u.name, u.unit_type, a.name,
                         ST_X(u.last_position), ST_Y(u.last_position),
                         EXTRACT(EPOCH FROM u.last_position_at)::float8,
                         ST_X(s.geom), ST_Y(s.geom)) ORDER BY u.id), '[]')
                 FROM {Unit._meta.db_table} u
                 JOIN {Agency._meta.db_table} a ON a.id = u.agency_id
                 LEFT JOIN {ServicePoint._meta.db_table} s ON s.id = u.home_station_id
                WHERE u.status = 'available')
            """,
            prepare=True,
        )
        closures, units = cur.fetchone()
    return _Picture(version=version, read_at=time.monotonic(), units=[tuple(u) for u in units],
                    closures=[tuple(c) for c in closures])


def _assigned(incident_id: int) -> dict[str, int]:
    from emergency.models import Assignment, Unit

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(
            f"""SELECT u.unit_type, count(*) FROM {Assignment._meta.db_table} a
                  JOIN {Unit._meta.db_table} u ON u.id = a.unit_id
                 WHERE a.incident_id = %s AND a.release_reason <> 'cancelled' GROUP BY u.unit_type""",
            [incident_id], prepare=True)
        return dict(cur.fetchall())


def _usable() -> bool:
    return bool(emergency_settings.DISPATCH_STATE_CACHE) and not connection.in_atomic_block


def _current() -> _Picture | None:
    """The picture for this moment, read again when it changed or aged, or
    None when it cannot be trusted (see the module docstring)."""
    global _picture
    listener.ensure_started()
    with listener.lock:
        version, listening = listener.version, listener.listening
    if not listening:
        return None
    picture = _picture
    max_age = float(emergency_settings.DISPATCH_STATE_MAX_AGE_S)
    if picture is not None and picture.version == version and time.monotonic() - picture.read_at < max_age:
        return picture
    with _picture_lock:
        picture = _picture
        if picture is None or picture.version != version or time.monotonic() - picture.read_at >= max_age:
            # The version was taken before the read: a change committed
            # during it bumps the version, and the next request reads again.
            picture = _picture = _read_picture(version)
    return picture


def snapshot(*, incident_id: int, unit_types: list[str], now) -> tuple[
        frozenset[int], dict[str, int], list[tuple]]:
    """What a recommendation reads: the road segments closed at ``now``, the
    units of each type already sent to the incident (dispatches called off
    before departure not counted), and the available units of
    ``unit_types`` as plain rows ``(id, code, name, unit_type, agency name,
    lon, lat, age of the fix in s, station lon, station lat)``, ordered by
    id.  From the in-memory picture when it can be trusted, else from a
    picture read for this request alone."""
    picture = _current() if _usable() else None
    if picture is None:
        picture = _read_picture(None)
    t = now.timestamp()
    closed = frozenset(seg for seg, starts, ends in picture.closures
                       if starts <= t and (ends is None or ends > t))
    assigned = picture.assigned.get(incident_id)
    if assigned is None:
        assigned = picture.assigned[incident_id] = _assigned(incident_id)
    wanted = set(unit_types)
    rows = [(*u[:7], None if u[7] is None else t - u[7], *u[8:]) for u in picture.units if u[3] in wanted]
    return closed, dict(assigned), rows
