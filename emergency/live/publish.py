"""Publishing to the channel layer from synchronous code (gunicorn workers,
management commands, the ingestion service) without paying for a new event
loop and new Redis connections on every call.

One daemon thread per process runs an event loop that owns the channel
layer's connections; :func:`publish` hands it a ``group_send`` and returns
at once.  A lost message costs a console at most one position (the next
report of the unit replaces it), which is why positions take this path;
events keep :func:`emergency.events.emit`, and a console that missed one
finds it in the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import Future
from typing import Any

__all__ = ["publish"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid: int | None = None


def _start() -> asyncio.AbstractEventLoop:
    global _loop, _pid
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, name="live-publisher", daemon=True).start()
    ready.wait()
    _loop, _pid = loop, os.getpid()
    return loop


def _running_loop() -> asyncio.AbstractEventLoop:
    with _lock:
        if _loop is None or _pid != os.getpid():  # first use, or a forked child
            return _start()
        return _loop


async def _send(group: str, message: dict[str, Any]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, message)


def _log_failure(future: Future) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("could not publish to the channel layer: %s", exc)


def publish(group: str, message: dict[str, Any], *, wait: float | None = None) -> None:
    """Send ``message`` to ``group``; with ``wait``, block until sent (or
    that many seconds passed)."""
    future = asyncio.run_coroutine_threadsafe(_send(group, message), _running_loop())
    future.add_done_callback(_log_failure)
    if wait:
        try:
            future.result(timeout=wait)
        except Exception:  # logged by the callback; a dead Redis must not fail the caller
            pass
