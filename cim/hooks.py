"""Announcements from the city model to the apps built on it.

The emergency app builds on ``cim`` (never the other way round), yet it must
hear when a resident files a report so that the operations consoles see it.
Services here call :func:`notify` inside their transaction; listeners that
other apps register in ``AppConfig.ready`` run in that same transaction, so a
rolled-back write announces nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

REPORT_CREATED = "report.created"
REPORT_UPDATED = "report.updated"

_listeners: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(kind: str, listener: Callable[..., Any]) -> None:
    """Register ``listener(**payload)`` for ``kind`` (idempotent)."""
    if listener not in _listeners[kind]:
        _listeners[kind].append(listener)


def notify(kind: str, **payload: Any) -> None:
    """Call every listener of ``kind`` now, inside the caller's transaction."""
    for listener in list(_listeners.get(kind, ())):
        listener(**payload)
