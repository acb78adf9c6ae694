"""Turn-by-turn steps of a road route (pure: no Django).

A route is the ordered road segments it runs along, each given with its
name, its length and its geometry as stored (either direction).
:func:`turn_steps` orients the segments along the route, joins consecutive
ones of the same road, and names the turn at each change of road from the
angle between the way in and the way out (spherical bearings, no metre
approximation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emergency.live.simulation import bearing_deg as bearing
from emergency.live.simulation import haversine_m

__all__ = ["Leg", "Step", "bearing", "turn_kind", "turn_steps"]

Coord = tuple[float, float]
MIN_STEP_M = 1.0  # a segment driven for less than this adds no step


@dataclass(frozen=True)
class Leg:
    """One road segment of a route."""

    name: str
    length_m: float
    coords: list[Coord]


@dataclass(frozen=True)
class Step:
    """Drive ``distance_m`` along ``road`` after turning ``turn`` at ``at``."""

    turn: str  # depart, straight, slight_left, left, sharp_left, slight_right, right, sharp_right, uturn
    road: str
    distance_m: float
    at: Coord

    def as_dict(self) -> dict:
        return {"turn": self.turn, "road": self.road, "distance_m": round(self.distance_m, 1),
                "lon": self.at[0], "lat": self.at[1]}


def turn_kind(bearing_in: float, bearing_out: float) -> str:
    """The manoeuvre between two headings (positive change: to the right)."""
    change = (bearing_out - bearing_in + 540.0) % 360.0 - 180.0
    size = abs(change)
    if size < 20:
        return "straight"
    if size > 165:
        return "uturn"
    side = "right" if change > 0 else "left"
    if size < 45:
        return f"slight_{side}"
    if size < 120:
        return side
    return f"sharp_{side}"


def _oriented(legs: list[Leg]) -> list[list[Coord]]:
    """Each leg's coordinates in the direction of travel: a leg runs from the
    end it shares with the leg before it (the first, towards the next)."""
    out: list[list[Coord]] = []
    for i, leg in enumerate(legs):
        coords = list(leg.coords)
        if len(coords) < 2:
            out.append(coords)
            continue
        if out and out[-1]:
            prev_end = out[-1][-1]
            if _dist2(coords[-1], prev_end) < _dist2(coords[0], prev_end):
                coords.reverse()
        elif i + 1 < len(legs) and len(legs[i + 1].coords) >= 2:
            nxt = legs[i + 1].coords
            if min(_dist2(coords[0], nxt[0]), _dist2(coords[0], nxt[-1])) < \
                    min(_dist2(coords[-1], nxt[0]), _dist2(coords[-1], nxt[-1])):
                coords.reverse()
        out.append(coords)
    return out


def _dist2(a: Coord, b: Coord) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def _heading(coords: list[Coord], *, at_end: bool) -> float | None:
    """Bearing of the first (or last) non-degenerate piece of a line."""
    pairs = zip(coords[:-1], coords[1:], strict=True)
    pieces = [(a, b) for a, b in pairs if a != b]
    if not pieces:
        return None
    a, b = pieces[-1] if at_end else pieces[0]
    return bearing(a, b)


def _fraction_at(coords: list[Coord], p: Coord) -> float:
    """How far along the line (0 at its start, 1 at its end) the point
    nearest to ``p`` lies, by length on the sphere."""
    pieces = [haversine_m(a, b) for a, b in zip(coords[:-1], coords[1:], strict=True)]
    total = sum(pieces)
    if total <= 0:
        return 0.0
    best, best_d, done = 0.0, math.inf, 0.0
    for (a, b), length in zip(zip(coords[:-1], coords[1:], strict=True), pieces, strict=True):
        # the nearest point of the piece, found in a plane scaled to the piece's latitude
        k = math.cos(math.radians((a[1] + b[1]) / 2))
        ax, ay, bx, by, px, py = a[0] * k, a[1], b[0] * k, b[1], p[0] * k, p[1]
        span = (bx - ax) ** 2 + (by - ay) ** 2
        t = 0.0 if span == 0 else min(1.0, max(0.0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / span))
        d = (ax + t * (bx - ax) - px) ** 2 + (ay + t * (by - ay) - py) ** 2
        if d < best_d:
            best, best_d = (done + t * length) / total, d
        done += length
    return best


def turn_steps(legs: list[Leg], *, start: Coord | None = None, end: Coord | None = None,
               unnamed: str = "") -> list[Step]:
    """The steps of a route: depart on the first road, then one step per
    change of road (or a turn of 45° or more on the same road), with the
    distance driven on it.  ``start`` and ``end`` (where the route leaves
    its first segment and ends on its last) shorten those two segments to
    the part driven.  An empty route has no steps."""
    legs = [leg for leg in legs if len(leg.coords) >= 2]
    if not legs:
        return []
    oriented = _oriented(legs)
    first, last = 0.0, 1.0
    if start is not None:
        first = _fraction_at(oriented[0], start)
    if end is not None:
        last = _fraction_at(oriented[-1], end)
    if len(legs) == 1:
        legs = [Leg(legs[0].name, legs[0].length_m * abs(last - first), legs[0].coords)]
    else:
        legs = [Leg(legs[0].name, legs[0].length_m * (1 - first), legs[0].coords), *legs[1:-1],
                Leg(legs[-1].name, legs[-1].length_m * last, legs[-1].coords)]
    steps: list[Step] = []
    while len(legs) > 1 and legs[0].length_m < MIN_STEP_M:  # starting on a junction
        legs, oriented = legs[1:], oriented[1:]
    current = {"turn": "depart", "road": legs[0].name or unnamed, "distance": 0.0, "at": oriented[0][0]}
    for i, (leg, coords) in enumerate(zip(legs, oriented, strict=True)):
        if i and leg.length_m < MIN_STEP_M:
            continue  # the route only touches this segment (it ends at its junction)
        if i:
            before = _heading(oriented[i - 1], at_end=True)
            after = _heading(coords, at_end=False)
            kind = turn_kind(before, after) if before is not None and after is not None else "straight"
            name = leg.name or unnamed
            big_turn = kind not in ("straight", "slight_left", "slight_right")
            if name != current["road"] or big_turn:
                steps.append(Step(current["turn"], current["road"], current["distance"], current["at"]))
                current = {"turn": kind, "road": name, "distance": 0.0, "at": coords[0]}
        current["distance"] += leg.length_m
    steps.append(Step(current["turn"], current["road"], current["distance"], current["at"]))
    return steps
