"""One build of a kind at a time: a session-level PostgreSQL advisory lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from cim.errors import Conflict


@contextmanager
def build_lock(key: int, command: str) -> Iterator[None]:
    """Hold advisory lock ``key`` for the block; :class:`Conflict` naming
    ``command`` when another build holds it."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cur.fetchone()[0]:
            raise Conflict(f"another {command} is running; try again when it has finished")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [key])


__all__ = ["build_lock"]
