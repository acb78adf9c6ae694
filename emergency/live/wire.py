"""The form a unit position takes on the live path (pure: no Django).

Ingestion publishes it to the hubs through the channel layer and the
positions snapshot reads it from the database.  On the wire it stays a
plain array (msgpack has no named tuples, and ten fields per unit per fix
add up); in code it is read by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["PositionWire"]


class PositionWire(NamedTuple):
    """One unit at one fix."""

    unit: int
    code: str
    lon: float
    lat: float
    at: str  # ISO 8601 with offset, as the consoles get it
    at_epoch: float  # the same instant in seconds since the epoch, to compare
    speed_kmh: float | None
    heading: float | None
    status: str
    # Whether the unit's row holds this fix; else a hub stores it later
    # (:func:`emergency.live.ingest.positions_settle`).
    written: bool

    @classmethod
    def of(cls, row: Sequence[Any]) -> PositionWire:
        """A wire row as received (an array after the channel layer)."""
        return row if isinstance(row, cls) else cls(*row)
