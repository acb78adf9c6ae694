"""Door numbering along a road, units from a footprint, rooms from floors.

Convention: numbers increase along the road's numbering direction; facing
that direction, odd numbers lie on the left, even numbers on the right
(左单右双).  The direction runs away from the city: from the road end nearer
the given centre point to the far end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely


def orient_away_from(line: shapely.LineString | shapely.MultiLineString, centre: tuple[float, float]):
    """The line, reversed if its end is nearer ``centre`` than its start."""
    coords = _endpoints(line)
    d0 = math.dist(coords[0], centre)
    d1 = math.dist(coords[1], centre)
    return shapely.reverse(line) if d1 < d0 else line


def _endpoints(line) -> tuple[tuple[float, float], tuple[float, float]]:
    if isinstance(line, shapely.MultiLineString):
        first, last = line.geoms[0], line.geoms[-1]
        return tuple(first.coords[0])[:2], tuple(last.coords[-1])[:2]
    return tuple(line.coords[0])[:2], tuple(line.coords[-1])[:2]


def along_and_side(line, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For points (metric CRS): distance along ``line`` of their projection, and
    the side (+1 left, −1 right) relative to the line's direction there."""
    pts = shapely.points(xs, ys)
    along = shapely.line_locate_point(line, pts)
    length = line.length
    step = max(min(1.0, length / 100), 1e-6)
    a = shapely.line_interpolate_point(line, np.clip(along - step, 0, length))
    b = shapely.line_interpolate_point(line, np.clip(along + step, 0, length))
    ax, ay = shapely.get_x(a), shapely.get_y(a)
    bx, by = shapely.get_x(b), shapely.get_y(b)
    cross = (bx - ax) * (ys - ay) - (by - ay) * (xs - ax)
    side = np.where(cross >= 0, 1, -1)
    return along, side


@dataclass(frozen=True)
class NumberingStart:
    """The highest number already used on each side (0 when none)."""

    odd: int = 0
    even: int = 0


def assign_numbers(along: np.ndarray, side: np.ndarray,
                   start: NumberingStart = NumberingStart()) -> np.ndarray:
    """Door numbers: left side 1, 3, 5…, right side 2, 4, 6…, each in order of
    distance along the road, continuing after the numbers already taken."""
    numbers = np.zeros(len(along), dtype=np.int64)
    next_odd = start.odd + 1 if start.odd % 2 == 0 else start.odd + 2
    next_odd = max(next_odd, 1)
    next_even = start.even + 2 if start.even else 2
    if start.even % 2:
        next_even = start.even + 1
    order = np.lexsort((np.arange(len(along)), along))
    for i in order:
        if side[i] > 0:
            numbers[i], next_odd = next_odd, next_odd + 2
        else:
            numbers[i], next_even = next_even, next_even + 2
    return numbers


def unit_count(long_side_m: float, *, unit_width_m: float = 13.0, max_units: int = 12) -> int:
    """Stairwell units along a residential block: one per ~13 m of its long side."""
    if not math.isfinite(long_side_m) or long_side_m <= 0:
        return 1
    return int(min(max_units, max(1, round(long_side_m / unit_width_m))))


def households_per_floor(short_side_m: float) -> int:
    """Two flats per floor and stairwell, four in deep (>16 m) tower blocks."""
    return 4 if math.isfinite(short_side_m) and short_side_m > 16 else 2


def floors_of(floors: int | None, height_m: float, storey_m: float = 3.0) -> int:
    if floors:
        return max(1, min(99, int(floors)))
    return max(1, min(99, int(round(height_m / storey_m))))
