"""Movement of simulated units along a route (pure: no Django).

A :class:`Trip` is a polyline with the road speed of each of its segments;
:meth:`Trip.at` gives where a vehicle that left at time 0 is after
``elapsed`` seconds, heading towards the next vertex at that segment's
speed.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Trip", "TripPoint", "bearing_deg", "haversine_m"]

EARTH_RADIUS_M = 6371008.8


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Initial bearing from ``a`` to ``b``, degrees clockwise from north in [0, 360)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(y, x)) % 360.0


@dataclass(frozen=True)
class TripPoint:
    lon: float
    lat: float
    heading: float | None
    speed_kmh: float
    arrived: bool


class Trip:
    """A route with a speed (m/s) per segment."""

    def __init__(self, coords: Sequence[tuple[float, float]], speeds_ms: Sequence[float]) -> None:
        if len(coords) < 1:
            raise ValueError("a trip needs at least one point")
        if len(speeds_ms) != max(len(coords) - 1, 0):
            raise ValueError("one speed per segment")
        if any(not (s > 0 and math.isfinite(s)) for s in speeds_ms):
            raise ValueError("speeds must be positive")
        self.coords = [(float(x), float(y)) for x, y in coords]
        self.speeds = [float(s) for s in speeds_ms]
        self.lengths = [haversine_m(a, b) for a, b in zip(self.coords[:-1], self.coords[1:], strict=True)]
        self.cum_s = [0.0]
        for length, speed in zip(self.lengths, self.speeds, strict=True):
            self.cum_s.append(self.cum_s[-1] + length / speed)

    @property
    def seconds(self) -> float:
        return self.cum_s[-1]

    @property
    def meters(self) -> float:
        return sum(self.lengths)

    def at(self, elapsed: float) -> TripPoint:
        """Where the vehicle is ``elapsed`` seconds after leaving."""
        if len(self.coords) == 1 or elapsed >= self.seconds:
            last = self.coords[-1]
            heading = bearing_deg(self.coords[-2], last) if len(self.coords) > 1 else None
            return TripPoint(last[0], last[1], heading, 0.0, True)
        elapsed = max(elapsed, 0.0)
        i = min(bisect.bisect_right(self.cum_s, elapsed) - 1, len(self.lengths) - 1)
        span = self.cum_s[i + 1] - self.cum_s[i]
        f = 0.0 if span <= 0 else (elapsed - self.cum_s[i]) / span
        (x0, y0), (x1, y1) = self.coords[i], self.coords[i + 1]
        heading = bearing_deg(self.coords[i], self.coords[i + 1])
        return TripPoint(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, heading,
                         round(self.speeds[i] * 3.6, 1), False)
