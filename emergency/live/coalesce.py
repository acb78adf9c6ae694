"""Coalescing of unit positions for the consoles (pure: no Django).

Only the newest pending position of each unit is kept, and a unit's
position is handed out at most once per ``min_interval`` (0.25 s: at most
4 updates per unit per second) however often the unit reports; the flush
runs more often than that (e.g. every 0.1 s), so an update waits at most one
flush tick unless its unit was just sent.  A report older than one already
taken never moves a unit backwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["Coalescer", "StaleSet"]

T = TypeVar("T")


class Coalescer(Generic[T]):
    """Latest-wins buffer of items keyed by unit, ordered by fix time."""

    def __init__(self, min_interval: float = 0.0) -> None:
        self.min_interval = min_interval
        self._pending: dict[int, T] = {}
        self._last_at: dict[int, float] = {}
        self._sent_at: dict[int, float] = {}

    def offer(self, unit: int, at: float, item: T) -> bool:
        """Keep ``item`` unless the unit already has one at least as new."""
        if at <= self._last_at.get(unit, float("-inf")):
            return False
        self._pending[unit] = item
        self._last_at[unit] = at
        return True

    def take(self, now: float | None = None) -> list[T]:
        """The pending items (one per unit) whose unit was not handed out in
        the last ``min_interval`` before ``now``; all of them without ``now``."""
        if now is None or self.min_interval <= 0:
            items = list(self._pending.values())
            self._pending.clear()
            return items
        ready = [u for u in self._pending if now - self._sent_at.get(u, float("-inf")) >= self.min_interval]
        for unit in ready:
            self._sent_at[unit] = now
        return [self._pending.pop(unit) for unit in ready]

    def last_at(self, unit: int) -> float | None:
        return self._last_at.get(unit)

    def forget(self, units: Iterable[int]) -> None:
        for unit in units:
            self._pending.pop(unit, None)
            self._last_at.pop(unit, None)
            self._sent_at.pop(unit, None)

    def __len__(self) -> int:
        return len(self._pending)


class StaleSet:
    """The set of stale units, telling when it changed."""

    def __init__(self) -> None:
        self.units: frozenset[int] = frozenset()

    def update(self, units: Iterable[int]) -> bool:
        new = frozenset(units)
        changed = new != self.units
        self.units = new
        return changed
