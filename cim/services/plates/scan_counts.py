"""Scan counters: a plate's day counters in Redis (scans, a HyperLogLog of
salted client hashes) reach :class:`PlateScanDay` with its first scan in each
minute, so a busy plate never serialises requests on one database row; the
per-minute spike window raises an alert once an hour at most.  Called by the
scan path (:mod:`.scan_cache`) and by the batched scans (:mod:`.scan_batch`)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from cim.conf import cim_settings
from cim.models import Plate, PlateScanDay
from cim.services.plates.alerts import scan_spike_alert
from cim.services.plates.redis_link import redis_client, redis_key

__all__ = ["SCAN_KEEP_S", "plate_scans_flush", "spike_check"]

SCAN_KEEP_S = 3 * 86400  # day counters outlive their day for the last flush


def spike_check(*, code: str, plate_id: int, before: int, after: int) -> None:
    """Raise the spike alert when a plate's scans in a minute went past the
    threshold from ``before`` to ``after`` (INCR/INCRBY are atomic: exactly one
    caller sees the crossing), at most once an hour per plate."""
    threshold = int(cim_settings.SCAN_SPIKE_PER_MIN)
    if before <= threshold < after:
        if redis_client().set(redis_key("spike-alerted", code), 1, nx=True, ex=3600):
            scan_spike_alert(plate_id=plate_id, per_minute=after, threshold=threshold)


def plate_scans_flush(*, plate_ids=None, days: int = 2, codes_of: dict[str, int] | None = None) -> int:
    """Copy the Redis scan counters of the last ``days`` days into
    :class:`PlateScanDay` (idempotent: the Redis figure is the day's total,
    and a stored figure never goes down).  Without ``plate_ids`` every plate
    with counters is flushed; ``codes_of`` ({code: plate id}) spares the
    lookup of the codes.  One Redis pipeline and one upsert."""
    r = redis_client()
    today = timezone.localdate()
    day_list = [today - dt.timedelta(days=i) for i in range(days)]
    if codes_of is not None:
        plates = codes_of
    elif plate_ids is None:
        found = set()
        for day in day_list:
            for key in r.scan_iter(match=redis_key("scans", "*", day.isoformat()), count=1000):
                found.add(key.decode().split(":")[-2])
        plates = dict(Plate.objects.filter(code__in=found).values_list("code", "pk"))
    else:
        plates = dict(Plate.objects.filter(pk__in=plate_ids).values_list("code", "pk"))
    if not plates:
        return 0
    pipe = r.pipeline(transaction=False)
    keys = [(code, pid, day) for code, pid in plates.items() for day in day_list]
    for code, _pid, day in keys:
        pipe.get(redis_key("scans", code, day.isoformat()))
        pipe.pfcount(redis_key("clients", code, day.isoformat()))
    values = pipe.execute()
    rows = [
        (pid, day, int(values[2 * i]), int(values[2 * i + 1]))
        for i, (_code, pid, day) in enumerate(keys)
        if values[2 * i]
    ]
    if not rows:
        return 0
    table = PlateScanDay._meta.db_table
    plate_ids_, days_, scans_, clients_ = (list(col) for col in zip(*rows, strict=True))
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {table} (plate_id, day, scans, clients)
                SELECT * FROM unnest(%s::bigint[], %s::date[], %s::int[], %s::int[])
                ON CONFLICT (plate_id, day) DO UPDATE
                   SET scans = GREATEST({table}.scans, EXCLUDED.scans),
                       clients = GREATEST({table}.clients, EXCLUDED.clients)""",
            [plate_ids_, days_, scans_, clients_],
        )
    return len(rows)
