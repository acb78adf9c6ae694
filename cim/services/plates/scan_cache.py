"""Scan pages and scan counters in Redis.

A rendered scan page is kept gzip-compressed per plate and language.  One
scan is one Redis round trip (a Lua script): the client's rate-limit window,
the cached page, the plate's day counter, a HyperLogLog of salted client
hashes and a per-minute spike window.  The counters reach
:class:`PlateScanDay` with a plate's first scan in each minute, so a busy
plate never serialises requests on one database row.

Batched scans (``CIM["SCAN_BATCH_S"]`` > 0, the default), answered by a
process from the pages it holds and counted later in one send, are
:mod:`.scan_batch` (with what that bounds); the counters' way into the
database and the spike check are :mod:`.scan_counts`; the Redis client, the
scripts and the scan path's own connection are :mod:`.redis_link`.  Their
public names are importable from here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import time

from django.conf import settings
from django.utils import timezone

from cim.conf import cim_settings
from cim.services.plates.redis_link import (
    PAGES_HELD,
    held_pages,
    lua_script,
    redis_client,
    redis_key,
    scan_link,
)
from cim.services.plates.scan_batch import process_batch, scans_send
from cim.services.plates.scan_counts import SCAN_KEEP_S, plate_scans_flush, spike_check

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
    "scans_send",
]

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


def _scan_script(url: str):
    return lua_script(url, _SCAN_LUA)


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
    held = held_pages.get(page_key)
    rl_key = f"{p}rl:scan:{client}:{minute}"
    batch_s = float(cim_settings.SCAN_BATCH_S)
    if batch_s > 0 and count_limit and held is not None:
        limited = process_batch.scan(page_key=page_key, held=held, code=code, client=client, rl_key=rl_key,
                                     day_keys=(f"{p}scans:{code}:{day}", f"{p}clients:{code}:{day}"),
                                     spike_key=f"{p}spike:{code}:{minute}", limit=limit, batch_s=batch_s)
        if limited is not None:
            if limited:
                return ScanResult(limited=True)
            return ScanResult(limited=False, plate_id=int(held[0].split()[0]), gzipped=held[1])
    # The client's scans this process answered and has not sent count against its limit too.
    pending = process_batch.pending(rl_key) if batch_s > 0 else 0
    keys_args = (page_key, rl_key, f"{p}scans:{code}:{day}",
                 f"{p}clients:{code}:{day}", f"{p}spike:{code}:{minute}",
                 client, limit - pending, SCAN_KEEP_S, "0" if count_limit else "1", held[0] if held else "")
    page, rl, _total, per_minute = scan_link.evalsha(cache["LOCATION"], _scan_script(cache["LOCATION"]),
                                                     (5, *keys_args))
    if batch_s > 0:
        process_batch.confirmed(rl_key, rl, page_key if page is not None else None)
    if rl + pending > limit:
        return ScanResult(limited=True)
    if page is None:
        return ScanResult(limited=False)
    if held is not None and page == held[0]:
        head, gzipped = held
    else:
        cut = page.index(b"\n") + 1
        head, gzipped = page[:cut], page[cut:]
        if b" " in head:  # with a digest (pages stored by earlier versions have none)
            if len(held_pages) >= PAGES_HELD:
                held_pages.clear()
            held_pages[page_key] = (head, gzipped)
    plate_id = int(head.split()[0])
    # INCR is atomic: exactly one scan per minute window crosses the threshold.
    spike_check(code=code, plate_id=plate_id, before=per_minute - 1, after=per_minute)
    # A plate's counters reach the database with its first scan in each
    # minute: a quiet plate's figures at once, a busy one's once a minute
    # (not on every request).  The first scan of a day also folds in
    # yesterday's final count before its keys expire.
    if per_minute == 1:
        plate_scans_flush(codes_of={code: plate_id})
    return ScanResult(limited=False, plate_id=plate_id, gzipped=gzipped)
