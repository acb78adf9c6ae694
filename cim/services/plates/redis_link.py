"""Redis for the plate services: one client per process and the key scheme,
Lua scripts registered once, and the scan path's own connection with the
pages it has brought over from Redis.  Shared by the scan pages
(:mod:`.scan_cache`), the batched scans (:mod:`.scan_batch`), the scan
counters (:mod:`.scan_counts`) and the rate limits (:mod:`.throttle`)."""

from __future__ import annotations

import functools
import os
import threading

import redis
from django.conf import settings

try:  # the C packer of the hiredis parser (in the lock); redis-py's own otherwise
    from hiredis import pack_command as _pack
except ImportError:  # pragma: no cover
    _pack = None

__all__ = ["PAGES_HELD", "ScanLink", "held_pages", "lua_script", "redis_client", "redis_key", "scan_link"]


@functools.lru_cache(maxsize=1)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def redis_client() -> redis.Redis:
    """The Redis client of the default cache's server (one per process)."""
    return _redis_for(settings.CACHES["default"]["LOCATION"])


def redis_key(*parts) -> str:
    """``<cache prefix>:plates:<part>:<part>…``"""
    return ":".join([settings.CACHES["default"].get("KEY_PREFIX", ""), "plates", *map(str, parts)])


@functools.lru_cache(maxsize=8)
def lua_script(url: str, text: str):
    """The Lua script ``text`` registered with the Redis server at ``url`` (once per process)."""
    return _redis_for(url).register_script(text)


# The pages this process has seen, by Redis key: (first line "<plate id> <digest>\n",
# gzipped page).  The scan script answers with the first line alone when it is the
# caller's, so a page crosses Redis and the socket once per process and version,
# not on every scan.  A changed or forgotten page has another first line or none.
held_pages: dict[str, tuple[bytes, bytes]] = {}
PAGES_HELD = 1000  # ≈ 10 MB of pages per process at most

_RETRY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class ScanLink(threading.local):
    """A Redis connection of its own (per process and thread) for the scan
    scripts, used without the client's pool, retry and telemetry layers:
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


scan_link = ScanLink()
