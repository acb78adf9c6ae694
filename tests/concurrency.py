"""Races for tests of locking: calls released together, each in a thread with a database
connection of its own (as two requests in two server threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def race(fn: Callable[..., object], calls: list[tuple], timeout_s: float = 30) -> None:
    """``fn(*args)`` for every ``args`` in ``calls``, each in its own thread, all let go at
    once by a barrier; returns when every thread is done (or after ``timeout_s`` each).
    ``fn`` records its own outcome; its thread's connection is closed after it."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))

    def run(*args) -> None:
        try:
            barrier.wait(timeout_s)
            fn(*args)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
