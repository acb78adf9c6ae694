"""Scan pages and scan counters in Redis.

A rendered scan page is kept gzip-compressed per plate and language.  One
scan is one Redis round trip (a Lua script): the client's rate-limit window,
the cached page, the plate's day counter, a HyperLogLog of salted client
hashes and a per-minute spike window.  The counters reach
:class:`PlateScanDay` with a plate's first scan in each minute, so a busy
plate never serialises requests on one database row.

Batched scans (``CIM["SCAN_BATCH_S"]`` > 0, the default): a process that
holds a page which Redis confirmed within the last ``SCAN_BATCH_S`` seconds
answers its scans without waiting for Redis, and sends their counts (rate
limit windows, day totals, client hashes, minute windows) in one script call
at most ``SCAN_BATCH_S`` later, which also confirms the pages it served (a
page stored anew or forgotten is dropped then).  What that bounds:

* a page that changed is served for at most ``SCAN_BATCH_S`` longer;
* a client's rate limit is exact within a process (Redis's total plus what
  the process has not sent yet); across the P processes of the web service a
  client can get past it by at most what the other processes admitted for it
  and had not sent yet, at most P − 1 batches of ``SCAN_BATCH_S``;
* no scan is lost: counts are sent by the scan that makes a batch due, by a
  timer thread of the process when no scan follows, and at the process's
  exit; a Redis error keeps them for the next send.  A process killed
  outright (SIGKILL) loses at most its last ``SCAN_BATCH_S`` of scans;
* the spike alert and a plate's first counts of a minute in the database
  come with the send, at most ``SCAN_BATCH_S`` late.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import logging
import os
import threading
import time
from collections import Counter

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
    "scans_send",
]

logger = logging.getLogger(__name__)

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


@functools.lru_cache(maxsize=8)
def _script(url: str, text: str):
    return _redis_for(url).register_script(text)


def _scan_script(url: str):
    return _script(url, _SCAN_LUA)


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
    rl_key = f"{p}rl:scan:{client}:{minute}"
    batch_s = float(cim_settings.SCAN_BATCH_S)
    if batch_s > 0 and count_limit and held is not None:
        answered = _batch.scan(page_key=page_key, held=held, code=code, client=client, rl_key=rl_key,
                               day_keys=(f"{p}scans:{code}:{day}", f"{p}clients:{code}:{day}"),
                               spike_key=f"{p}spike:{code}:{minute}", limit=limit, batch_s=batch_s)
        if answered is not None:
            return answered
    # The client's scans this process answered and has not sent count against its limit too.
    pending = _batch.pending(rl_key) if batch_s > 0 else 0
    keys_args = (page_key, rl_key, f"{p}scans:{code}:{day}",
                 f"{p}clients:{code}:{day}", f"{p}spike:{code}:{minute}",
                 client, limit - pending, SCAN_KEEP_S, "0" if count_limit else "1", held[0] if held else "")
    page, rl, _total, per_minute = _link.evalsha(cache["LOCATION"], _scan_script(cache["LOCATION"]),
                                                 (5, *keys_args))
    if batch_s > 0:
        _batch.confirmed(rl_key, rl, page_key if page is not None else None)
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
            if len(_pages) >= _PAGES_HELD:
                _pages.clear()
            _pages[page_key] = (head, gzipped)
    plate_id = int(head.split()[0])
    # INCR is atomic: exactly one scan per minute window crosses the threshold.
    _spike_check(code=code, plate_id=plate_id, before=per_minute - 1, after=per_minute)
    # A plate's counters reach the database with its first scan in each
    # minute: a quiet plate's figures at once, a busy one's once a minute
    # (not on every request).  The first scan of a day also folds in
    # yesterday's final count before its keys expire.
    if per_minute == 1:
        plate_scans_flush(codes_of={code: plate_id})
    return ScanResult(limited=False, plate_id=plate_id, gzipped=gzipped)


def _spike_check(*, code: str, plate_id: int, before: int, after: int) -> None:
    """Raise the spike alert when a plate's scans in a minute went past the
    threshold from ``before`` to ``after`` (INCR/INCRBY are atomic: exactly one
    caller sees the crossing), at most once an hour per plate."""
    threshold = int(cim_settings.SCAN_SPIKE_PER_MIN)
    if before <= threshold < after:
        if redis_client().set(redis_key("spike-alerted", code), 1, nx=True, ex=3600):
            scan_spike_alert(plate_id=plate_id, per_minute=after, threshold=threshold)


_BATCH_LUA = """
-- ARGV[1]: seconds to keep day counters; then four sections, each led by its entry count:
--   rate-limit windows (key, n); days (scans key, clients key, n, k, k client hashes);
--   minute windows (key, n); held pages (key, first line)
-- Returns the windows' totals, the minute windows' totals, then 1 or 0 per page (still current)
local out, i = {}, 2
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local key, by = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2
  local total = redis.call('INCRBY', key, by)
  if total == by then redis.call('EXPIRE', key, 65) end
  out[#out + 1] = total
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local scans, clients, by, k = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
  local total = redis.call('INCRBY', scans, by)
  redis.call('PFADD', clients, unpack(ARGV, i, i + k - 1)); i = i + k
  if total == by then
    redis.call('EXPIRE', scans, ARGV[1])
    redis.call('EXPIRE', clients, ARGV[1])
  end
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local key, by = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2
  local total = redis.call('INCRBY', key, by)
  if total == by then redis.call('EXPIRE', key, 120) end
  out[#out + 1] = total
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local key, head = ARGV[i], ARGV[i + 1]; i = i + 2
  out[#out + 1] = (redis.call('GETRANGE', key, 0, #head - 1) == head) and 1 or 0
end
return out
"""
_BATCH_MAX = 256  # scans per send at most (and client hashes per PFADD)


class _ScanBatch:
    """The scans this process answered from its pages and has not sent to
    Redis yet, what Redis said of its clients' windows, and when it last
    confirmed each page (see the module docstring).  Shared by the process's
    threads (one lock, never held across a round trip)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = -1

    def _own(self) -> None:
        """Fresh state in a new process (a fork does not inherit a batch to send)."""
        if self.pid == os.getpid():
            return
        self.pid = os.getpid()
        self.windows: Counter[str] = Counter()  # rate-limit window → scans not sent
        self.sending: Counter[str] = Counter()  # … being sent
        self.known: dict[str, int] = {}  # rate-limit window → Redis's total when last heard
        self.days: dict[tuple[str, str], list] = {}  # (scans key, clients key) → [n, {client hash}]
        self.minutes: Counter[str] = Counter()  # spike window → scans not sent
        self.plates: dict[str, tuple[str, int]] = {}  # spike window → (code, plate id)
        self.pages: dict[str, bytes] = {}  # page key → first line of the page served
        self.checked: dict[str, float] = {}  # page key → when Redis last confirmed it (monotonic)
        self.oldest: float | None = None  # when the oldest scan not sent was answered
        self.count = 0
        self.timer: threading.Thread | None = None
        atexit.register(_send_at_exit)

    def scan(self, *, page_key: str, held: tuple[bytes, bytes], code: str, client: str, rl_key: str,
             day_keys: tuple[str, str], spike_key: str, limit: int, batch_s: float) -> ScanResult | None:
        """Answer a scan of a held page without Redis, or None when the page
        was not confirmed within ``batch_s`` (the caller asks Redis)."""
        now = time.monotonic()
        with self.lock:
            self._own()
            checked = self.checked.get(page_key)
            if checked is None or now - checked > batch_s:
                return None
            head, gzipped = held
            self.windows[rl_key] += 1
            seen = self.known.get(rl_key, 0) + self.sending[rl_key] + self.windows[rl_key]
            limited = seen > limit
            if not limited:
                day = self.days.setdefault(day_keys, [0, set()])
                day[0] += 1
                day[1].add(client)
                self.minutes[spike_key] += 1
                self.plates[spike_key] = (code, int(head.split()[0]))
                self.pages[page_key] = head
            if self.oldest is None:
                self.oldest = now
            self.count += 1
            due = now - self.oldest >= batch_s or self.count >= _BATCH_MAX
            if self.timer is None:
                self.timer = threading.Thread(target=self._send_late, name="cim-scan-batch", daemon=True)
                self.timer.start()
        if due:
            scans_send()
        if limited:
            return ScanResult(limited=True)
        return ScanResult(limited=False, plate_id=int(head.split()[0]), gzipped=gzipped)

    def pending(self, rl_key: str) -> int:
        """The scans of a client's window that this process has not sent (or is sending)."""
        with self.lock:
            self._own()
            return self.sending[rl_key] + self.windows[rl_key]

    def confirmed(self, rl_key: str, rl: int, page_key: str | None) -> None:
        """After a scan's own round trip: Redis's total for the client's
        window, and the page confirmed now when Redis had it."""
        with self.lock:
            self._own()
            self.known[rl_key] = rl
            if page_key is not None:
                self.checked[page_key] = time.monotonic()

    def take(self) -> tuple | None:
        with self.lock:
            self._own()
            if not self.count:
                return None
            taken = (self.windows, self.days, self.minutes, self.plates, self.pages)
            self.sending.update(self.windows)
            self.windows, self.days, self.minutes, self.plates, self.pages = Counter(), {}, Counter(), {}, {}
            self.oldest, self.count = None, 0
            return taken

    def settle(self, taken: tuple, result: list | None) -> None:
        """Record what Redis answered for a batch (``result``), or put the
        batch back to be sent again (None: Redis did not take it)."""
        windows, days, minutes, plates, pages = taken
        with self.lock:
            self.sending.subtract(windows)
            self.sending = +self.sending
            if result is None:
                self.windows.update(windows)
                for key, (n, clients) in days.items():
                    day = self.days.setdefault(key, [0, set()])
                    day[0] += n
                    day[1] |= clients
                self.minutes.update(minutes)
                self.plates.update(plates)
                self.pages.update(pages)
                self.count += sum(windows.values())
                self.oldest = self.oldest or time.monotonic()
                return
            self.known.update(zip(windows, result, strict=False))
            now = time.monotonic()
            for (page_key, _head), current in zip(pages.items(), result[len(windows) + len(minutes):],
                                                  strict=True):
                if current:
                    self.checked[page_key] = now
                else:  # stored anew or forgotten: asked from Redis again
                    self.checked.pop(page_key, None)
                    _pages.pop(page_key, None)
            if len(self.known) > 4 * _BATCH_MAX:  # windows of past minutes
                minute = f":{int(time.time()) // 60}"
                self.known = {k: v for k, v in self.known.items() if k.endswith(minute)}

    def _send_late(self) -> None:
        """The timer thread: sends a batch that no scan made due."""
        while True:
            batch_s = float(cim_settings.SCAN_BATCH_S) or 1.0
            time.sleep(batch_s)
            with self.lock:
                late = self.pid == os.getpid() and self.oldest is not None and (
                    time.monotonic() - self.oldest >= batch_s)
            if late:
                try:
                    scans_send()
                except Exception:  # noqa: BLE001 - kept for the next send; the thread goes on
                    logger.exception("sending batched scan counts failed")
                finally:
                    connection.close()  # this thread's own, if the send folded counts into the database


_batch = _ScanBatch()


def _send_at_exit() -> None:
    try:
        scans_send()
    except Exception:  # noqa: BLE001 - the process is ending: say so, nothing else to do
        logger.exception("sending batched scan counts at exit failed")


def scans_send() -> int:
    """Send this process's batched scans to Redis in one round trip (see the
    module docstring); then the spike alerts and first counts of a minute they
    call for.  Returns how many scans were sent (0: none waiting)."""
    taken = _batch.take()
    if taken is None:
        return 0
    windows, days, minutes, plates, pages = taken
    args: list = [SCAN_KEEP_S, len(windows)]
    for key, n in windows.items():
        args += (key, n)
    args.append(len(days))
    for (scans, clients), (n, hashes) in days.items():
        args += (scans, clients, n, len(hashes), *hashes)
    args.append(len(minutes))
    for key, n in minutes.items():
        args += (key, n)
    args.append(len(pages))
    for key, head in pages.items():
        args += (key, head)
    url = settings.CACHES["default"]["LOCATION"]
    try:
        result = _link.evalsha(url, _script(url, _BATCH_LUA), (0, *args))
    except Exception:
        _batch.settle(taken, None)
        raise
    _batch.settle(taken, result)
    totals = result[len(windows):len(windows) + len(minutes)]
    first = {}
    for (key, n), total in zip(minutes.items(), totals, strict=True):
        code, plate_id = plates[key]
        _spike_check(code=code, plate_id=plate_id, before=total - n, after=total)
        if total == n:  # the plate's first scans in this minute
            first[code] = plate_id
    if first:
        plate_scans_flush(codes_of=first)
    return sum(windows.values())


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
