"""Scan pages and scan counters in Redis.

A rendered scan page is kept gzip-compressed per plate and language.  One
scan is one Redis round trip (a Lua script): the client's rate-limit window,
the cached page, the plate's day counter, a HyperLogLog of salted client
hashes and a per-minute spike window.  The counters reach
:class:`PlateScanDay` with a plate's first scan in each minute, so a busy
plate never serialises requests on one database row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import os
import threading
import time

import redis
from django.conf import settings

try:  # the C packer of the hiredis parser (in the lock); redis-py's own otherwise
    from hiredis import pack_command as _pack
except ImportError:  # pragma: no cover
    _pack = None
from django.db import connection
from django.utils import timezone

from cim.conf import cim_settings
from cim.models import Plate, PlateScanDay
from cim.services.plates.alerts import scan_spike_alert

__all__ = [
    "SCAN_KEEP_S",
    "ScanResult",
    "plate_scan_record",
    "plate_scans_flush",
    "redis_client",
    "redis_key",
    "scan_page_forget",
    "scan_page_key",
    "scan_pages_forget_all",
    "scan_page_store",
]

SCAN_KEEP_S = 3 * 86400  # day counters outlive their day for the last flush


@functools.lru_cache(maxsize=1)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def redis_client() -> redis.Redis:
    """The Redis client of the default cache's server (one per process)."""
    return _redis_for(settings.CACHES["default"]["LOCATION"])


def redis_key(*parts) -> str:
    """``<cache prefix>:plates:<part>:<part>…``"""
    return ":".join([settings.CACHES["default"].get("KEY_PREFIX", ""), "plates", *map(str, parts)])


_SCAN_LUA = """
-- KEYS: page, rate-limit window, day scans, day clients (HLL), minute spike
-- ARGV: client hash, rate limit, seconds to keep counters, skip the rate-limit count,
--       the first line of the page the caller already holds ('' if none)
local rl
if ARGV[4] == '1' then rl = tonumber(redis.call('GET', KEYS[2]) or '0')
else
  rl = redis.call('INCR', KEYS[2])
  if rl == 1 then redis.call('EXPIRE', KEYS[2], 65) end
end
if rl > tonumber(ARGV[2]) then return {false, rl, 0, 0} end
local page
if ARGV[5] ~= '' then
  page = redis.call('GETRANGE', KEYS[1], 0, #ARGV[5] - 1)
  if page == '' then page = false
  elseif page ~= ARGV[5] then page = redis.call('GET', KEYS[1]) end
else page = redis.call('GET', KEYS[1]) end
if not page then return {false, rl, 0, 0} end
local total = redis.call('INCR', KEYS[3])
redis.call('PFADD', KEYS[4], ARGV[1])
if total == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[4], ARGV[3])
end
local m = redis.call('INCR', KEYS[5])
if m == 1 then redis.call('EXPIRE', KEYS[5], 120) end
return {page, rl, total, m}
"""

# The pages this process has seen, by Redis key: (first line "<plate id> <digest>\n",
# gzipped page).  The script answers with the first line alone when it is the
# caller's, so a page crosses Redis and the socket once per process and version,
# not on every scan.  A changed or forgotten page has another first line or none.
_pages: dict[str, tuple[bytes, bytes]] = {}
_PAGES_HELD = 1000  # ≈ 10 MB of pages per process at most


@functools.lru_cache(maxsize=4)
def _scan_script(url: str):
    return _redis_for(url).register_script(_SCAN_LUA)


_RETRY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class _ScanLink(threading.local):
    """A Redis connection of its own (per process and thread) for the scan
    script, used without the client's pool, retry and telemetry layers:
    those cost twice Redis's own work on the busiest public page."""

    conn = None
    owner: tuple = ()

    def _connection(self, url: str):
        if self.conn is None or self.owner != (os.getpid(), url):  # first use, a fork, another server
            pool = _redis_for(url).connection_pool
            self.conn = pool.connection_class(**pool.connection_kwargs)
            self.owner = (os.getpid(), url)
        return self.conn

    def evalsha(self, url: str, script, args: tuple):
        for attempt in range(3):
            conn = self._connection(url)
            try:
                command = ("EVALSHA", script.sha, *args)
                conn.send_packed_command([_pack(command)] if _pack else conn.pack_command(*command))
                return conn.read_response()
            except redis.exceptions.NoScriptError:  # Redis restarted or flushed its scripts
                if attempt == 2:
                    raise
                script.registered_client.script_load(script.script)
            except _RETRY:  # a dropped connection: a new one, once
                conn.disconnect()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


_link = _ScanLink()
_day_of_minute: tuple[int, str] = (-1, "")


def _today(minute: int) -> str:
    """The local date (ISO) during ``minute`` (epoch minutes), worked out
    once a minute: a date changes only on a minute boundary."""
    global _day_of_minute
    if _day_of_minute[0] != minute:
        start = dt.datetime.fromtimestamp(minute * 60, dt.UTC)
        _day_of_minute = (minute, timezone.localdate(start).isoformat())
    return _day_of_minute[1]


def scan_page_key(code: str, lang: str) -> str:
    # "pagegz": gzip-compressed pages (plain pages of earlier versions under "page" are ignored)
    return redis_key("pagegz", code, lang)


def scan_page_store(*, code: str, lang: str, plate_id: int, html: str) -> bytes:
    """Keep a rendered scan page (with its plate id) for ``SCAN_PAGE_TTL_S``,
    gzip-compressed (a phone takes it as it is: a sixth of the bytes through
    Redis and the network); returns the compressed page."""
    packed = gzip.compress(html.encode("utf-8"), compresslevel=9, mtime=0)
    digest = hashlib.blake2b(packed, digest_size=8).hexdigest()
    redis_client().set(scan_page_key(code, lang), f"{plate_id} {digest}\n".encode() + packed,
                       ex=int(cim_settings.SCAN_PAGE_TTL_S))
    return packed


def scan_page_forget(code: str) -> None:
    """Drop a plate's cached pages (its plate or address changed)."""
    redis_client().delete(*[scan_page_key(code, lang) for lang in ("zh-hans", "en")])


def scan_pages_forget_all() -> int:
    """Drop every cached scan page (what all of them show changed: the
    service catalogue); returns how many were dropped."""
    r = redis_client()
    dropped, batch = 0, []
    for key in r.scan_iter(match=redis_key("pagegz", "*"), count=1000):
        batch.append(key)
        if len(batch) == 500:
            dropped += r.delete(*batch)
            batch = []
    if batch:
        dropped += r.delete(*batch)
    return dropped


@dataclasses.dataclass(frozen=True)
class ScanResult:
    limited: bool
    plate_id: int | None = None
    gzipped: bytes | None = None  # the cached page, gzip-compressed


def plate_scan_record(*, code: str, lang: str, client: str, count_limit: bool = True) -> ScanResult:
    """One scan of ``/P/<code>`` in one Redis round trip (a Lua script): count
    the client against the scan page's rate limit and, when the page is cached,
    return it and count the scan for the plate (day total, distinct clients,
    per-minute spike window).  Raises a :class:`PlateAlert` when the scans of a
    plate within a minute pass ``CIM["SCAN_SPIKE_PER_MIN"]`` (once an hour)."""
    minute = int(time.time()) // 60
    day = _today(minute)
    limit = int(cim_settings.SCAN_RATE_PER_MIN)
    cache = settings.CACHES["default"]
    p = f"{cache.get('KEY_PREFIX', '')}:plates:"  # as redis_key, spelled out on this path
    page_key = f"{p}pagegz:{code}:{lang}"
    held = _pages.get(page_key)
    keys_args = (page_key, f"{p}rl:scan:{client}:{minute}", f"{p}scans:{code}:{day}",
                 f"{p}clients:{code}:{day}", f"{p}spike:{code}:{minute}",
                 client, limit, SCAN_KEEP_S, "0" if count_limit else "1", held[0] if held else "")
    page, rl, _total, per_minute = _link.evalsha(cache["LOCATION"], _scan_script(cache["LOCATION"]),
                                                 (5, *keys_args))
    if rl > limit:
        return ScanResult(limited=True)
    if page is None:
        return ScanResult(limited=False)
    if held is not None and page == held[0]:
        head, gzipped = held
    else:
        cut = page.index(b"\n") + 1
        head, gzipped = page[:cut], page[cut:]
        if b" " in head:  # with a digest (pages stored by earlier versions have none)
            if len(_pages) >= _PAGES_HELD:
                _pages.clear()
            _pages[page_key] = (head, gzipped)
    plate_id = int(head.split()[0])
    # INCR is atomic: exactly one scan per minute window crosses the threshold.
    threshold = int(cim_settings.SCAN_SPIKE_PER_MIN)
    if per_minute == threshold + 1:
        if redis_client().set(redis_key("spike-alerted", code), 1, nx=True, ex=3600):
            scan_spike_alert(plate_id=plate_id, per_minute=per_minute, threshold=threshold)
    # A plate's counters reach the database with its first scan in each
    # minute: a quiet plate's figures at once, a busy one's once a minute
    # (not on every request).  The first scan of a day also folds in
    # yesterday's final count before its keys expire.
    if per_minute == 1:
        plate_scans_flush(codes_of={code: plate_id})
    return ScanResult(limited=False, plate_id=plate_id, gzipped=gzipped)


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
    rows = [(pid, day, int(values[2 * i]), int(values[2 * i + 1]))
            for i, (_code, pid, day) in enumerate(keys) if values[2 * i]]
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
            [plate_ids_, days_, scans_, clients_])
    return len(rows)
