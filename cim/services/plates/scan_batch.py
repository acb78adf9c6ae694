"""Batched scans (``CIM["SCAN_BATCH_S"]`` > 0, the default): a process that
holds a page which Redis confirmed within the last ``SCAN_BATCH_S`` seconds
answers its scans without waiting for Redis (:func:`.scan_cache.plate_scan_record`
asks :data:`process_batch` first), and sends their counts (rate limit
windows, day totals, client hashes, minute windows) in one script call at
most ``SCAN_BATCH_S`` later, which also confirms the pages it served (a page
stored anew or forgotten is dropped then).  What that bounds:

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
import logging
import os
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import connection

from cim.conf import cim_settings
from cim.services.plates.redis_link import held_pages, lua_script, scan_link
from cim.services.plates.scan_counts import SCAN_KEEP_S, plate_scans_flush, spike_check

__all__ = ["ScanBatch", "process_batch", "scans_send"]

logger = logging.getLogger(__name__)

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


class ScanBatch:
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

    def scan(
        self,
        *,
        page_key: str,
        held: tuple[bytes, bytes],
        code: str,
        client: str,
        rl_key: str,
        day_keys: tuple[str, str],
        spike_key: str,
        limit: int,
        batch_s: float,
    ) -> bool | None:
        """Answer a scan of a held page without Redis: whether the client is
        past its limit (False: the caller serves ``held``), or None when the page
        was not confirmed within ``batch_s`` (the caller asks Redis)."""
        now = time.monotonic()
        with self.lock:
            self._own()
            checked = self.checked.get(page_key)
            if checked is None or now - checked > batch_s:
                return None
            head = held[0]
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
        return limited

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
            for (page_key, _head), current in zip(
                pages.items(), result[len(windows) + len(minutes) :], strict=True
            ):
                if current:
                    self.checked[page_key] = now
                else:  # stored anew or forgotten: asked from Redis again
                    self.checked.pop(page_key, None)
                    held_pages.pop(page_key, None)
            if len(self.known) > 4 * _BATCH_MAX:  # windows of past minutes
                minute = f":{int(time.time()) // 60}"
                self.known = {k: v for k, v in self.known.items() if k.endswith(minute)}

    def _send_late(self) -> None:
        """The timer thread: sends a batch that no scan made due."""
        while True:
            batch_s = float(cim_settings.SCAN_BATCH_S) or 1.0
            time.sleep(batch_s)
            with self.lock:
                late = (
                    self.pid == os.getpid()
                    and self.oldest is not None
                    and (time.monotonic() - self.oldest >= batch_s)
                )
            if late:
                try:
                    scans_send()
                except Exception:  # noqa: BLE001 - kept for the next send; the thread goes on
                    logger.exception("sending batched scan counts failed")
                finally:
                    connection.close()  # this thread's own, if the send folded counts into the database


process_batch = ScanBatch()


def _send_at_exit() -> None:
    try:
        scans_send()
    except Exception:  # noqa: BLE001 - the process is ending: say so, nothing else to do
        logger.exception("sending batched scan counts at exit failed")


def scans_send() -> int:
    """Send this process's batched scans to Redis in one round trip (see the
    module docstring); then the spike alerts and first counts of a minute they
    call for.  Returns how many scans were sent (0: none waiting)."""
    taken = process_batch.take()
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
        result = scan_link.evalsha(url, lua_script(url, _BATCH_LUA), (0, *args))
    except Exception:
        process_batch.settle(taken, None)
        raise
    process_batch.settle(taken, result)
    totals = result[len(windows) : len(windows) + len(minutes)]
    first = {}
    for (key, n), total in zip(minutes.items(), totals, strict=True):
        code, plate_id = plates[key]
        spike_check(code=code, plate_id=plate_id, before=total - n, after=total)
        if total == n:  # the plate's first scans in this minute
            first[code] = plate_id
    if first:
        plate_scans_flush(codes_of=first)
    return sum(windows.values())
