"""Read-only traffic on a PostgreSQL streaming replica, everything else on the primary.

The database alias ``replica`` exists when ``DATABASE_REPLICA_URL`` is set (a hot
standby made with ``pg_basebackup``, see ``docs/deploy.md``).  Reads go there only
inside :func:`replica_reads` — the dashboards' statistics, tile builds, OGC/exports —
never by default: a request that writes and then reads its own write (an incident
created, then shown) stays on the primary, as does everything inside a transaction.

The replica is used only while it is healthy: reachable, in recovery, and no more
than ``CIM_REPLICA_MAX_LAG_S`` seconds behind.  Otherwise the reads fall back to
the primary (a warning is logged once per state change), so losing the replica
slows the dashboards down and breaks nothing.  The check is cached per process for
``CIM_REPLICA_CHECK_S`` seconds.

``replica_reads(consistent=True)`` is for work that must see everything committed
before it started (a tile build right after an import): it notes the primary's WAL
position and waits up to ``CIM_REPLICA_WAIT_S`` for the replica to have replayed
it, else reads from the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

REPLICA = "replica"
_reading: ContextVar[str | None] = ContextVar("cim_read_alias", default=None)
_health_lock = threading.Lock()
_health: dict[str, object] = {"checked": 0.0, "ok": None}

# The lag of a standby: zero when it has replayed all it received, else the age of
# the last transaction it replayed.  NULL (not a standby) counts as unusable.
_LAG_SQL = """
SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
            ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0.0)
       END
"""


def configured() -> bool:
    return REPLICA in settings.DATABASES


def _conf(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _close(alias: str) -> None:
    try:
        connections[alias].close()
    except DatabaseError:
        pass


def _query_replica(sql: str, params: tuple = ()) -> object:
    with connections[REPLICA].cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def replica_lag() -> float | None:
    """Seconds the replica is behind, or None when it is unusable (unreachable,
    not a standby)."""
    try:
        lag = _query_replica(_LAG_SQL)
    except (OperationalError, InterfaceError) as exc:
        log.debug("replica unreachable: %s", exc)
        _close(REPLICA)
        return None
    return None if lag is None else float(lag)


def replica_healthy(*, force: bool = False) -> bool:
    """Whether reads may go to the replica now (cached per process)."""
    if not configured():
        return False
    now = time.monotonic()
    with _health_lock:
        fresh = now - float(_health["checked"]) < _conf("REPLICA_CHECK_S", 5.0)
        if fresh and not force and _health["ok"] is not None:
            return bool(_health["ok"])
    lag = replica_lag()
    ok = lag is not None and lag <= _conf("REPLICA_MAX_LAG_S", 30.0)
    with _health_lock:
        if ok != _health["ok"]:
            if ok:
                log.info("replica in use (lag %.1f s)", lag)
            else:
                log.warning("replica not used: %s", "unreachable or not a standby" if lag is None
                            else f"{lag:.1f} s behind (limit {_conf('REPLICA_MAX_LAG_S', 30.0):.0f} s)")
        _health.update(checked=time.monotonic(), ok=ok)
    return ok


def _caught_up_with_primary() -> bool:
    """Wait until the replica has replayed what the primary had committed when
    this was called (read-your-writes for work started after a commit)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()::text")
        target = cur.fetchone()[0]
    deadline = time.monotonic() + _conf("REPLICA_WAIT_S", 5.0)
    while True:
        try:
            if _query_replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)):
                return True
        except (OperationalError, InterfaceError):
            _close(REPLICA)
            return False
        if time.monotonic() >= deadline:
            log.warning("replica did not replay %s within %.0f s: reading from the primary", target,
                        _conf("REPLICA_WAIT_S", 5.0))
            return False
        time.sleep(0.05)


def read_alias() -> str:
    """The alias reads use here: the replica inside :func:`replica_reads`, else the primary."""
    return _reading.get() or DEFAULT_DB_ALIAS


@contextmanager
def replica_reads(*, consistent: bool = False) -> Iterator[str]:
    """Route the ORM's reads (and raw SQL written with ``connections[read_alias()]``)
    to the replica while it is healthy; yields the alias chosen."""
    if _reading.get() is not None:  # nested: keep the outer choice
        yield _reading.get()
        return
    use = replica_healthy() and (not consistent or _caught_up_with_primary())
    token = _reading.set(REPLICA if use else DEFAULT_DB_ALIAS)
    try:
        yield _reading.get()
    finally:
        _reading.reset(token)


def replica_view(view):
    """A view function (or a class-based view's ``dispatch``) whose reads may come
    from the replica: read-only pages and APIs (statistics, exports)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Django's router: writes and migrations on the primary; reads on the replica
    only inside :func:`replica_reads` (and never inside a primary transaction)."""

    def db_for_read(self, model, **hints):
        alias = _reading.get()
        if alias == REPLICA and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
