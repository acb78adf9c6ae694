"""The street lines of the demo city, drawn in the frame of each valley.  Pure: no Django."""

from __future__ import annotations

import numpy as np
import shapely

from .. import plan
from ..geo import rng_for, to_metric
from ..rivers import Axis
from .base import SourceLine

# Old towns: (axis, lon from, lon to, side, offset from, offset to) get lanes every ~140 m.
OLD_TOWNS = [
    ("main", 105.700, 105.746, 1, 160.0, 1750.0),
    ("main", 105.886, 105.914, 1, 160.0, 950.0),
]
BASE_CROSS_SPACING = 370.0
BASE_PARALLEL_SPACING = 255.0
LANE_SPACING = 135.0


def _lon_to_x(lon: float, lat: float = 34.57) -> float:
    x, _ = to_metric(lon, lat)
    return float(x)


def _axis_line(axis: Axis, offset, mask: np.ndarray | None = None, every: int = 4):
    pts = axis.offset_points(offset)
    keep = np.ones(axis.x.size, dtype=bool) if mask is None else mask
    idx = np.flatnonzero(keep)
    if idx.size < 2:
        return None
    # Split where the mask has gaps.
    breaks = np.flatnonzero(np.diff(idx) > 1)
    parts = []
    for chunk in np.split(idx, breaks + 1):
        chunk = chunk[::every] if chunk.size > every * 2 else chunk
        if chunk.size >= 2:
            parts.append(shapely.LineString(pts[chunk]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)


def _cross_line(axis: Axis, k: int, extra: float = 30.0) -> shapely.LineString:
    a = np.array([axis.x[k] - axis.nx[k] * (axis.wr[k] + extra),
                  axis.y[k] - axis.ny[k] * (axis.wr[k] + extra)])
    b = np.array([axis.x[k] + axis.nx[k] * (axis.wl[k] + extra),
                  axis.y[k] + axis.ny[k] * (axis.wl[k] + extra)])
    return shapely.LineString([a, b])


def _split_by_lon(line, ranges: list[tuple], lat: float) -> list[tuple]:
    """Cut a roughly east-west line into the plan's named stretches."""
    out = []
    xmin, ymin, xmax, ymax = line.bounds
    for lon0, lon1, name, cls, oneway in ranges:
        x0 = -1e12 if lon0 < -180 else _lon_to_x(lon0, lat)
        x1 = 1e12 if lon1 > 180 else _lon_to_x(lon1, lat)
        piece = line.intersection(shapely.box(x0, ymin - 10000, x1, ymax + 10000))
        if not piece.is_empty:
            out.append((piece, name, cls, oneway))
    return out


def _old_town_masks(axis: Axis) -> list[tuple[np.ndarray, int, float, float]]:
    masks = []
    for key, lon0, lon1, side, t0, t1 in OLD_TOWNS:
        if key != axis.key:
            continue
        x0, x1 = _lon_to_x(lon0), _lon_to_x(lon1)
        masks.append(((axis.x >= x0) & (axis.x <= x1), side, t0, t1))
    return masks


def main_axis_lines(axis: Axis, seed: int, corridor, domain) -> list[SourceLine]:
    """Lines in the frame of a main valley (the Ji/Wei valley or the upper Wei)."""
    rng = rng_for(seed, "roads", axis.key)
    lines: list[SourceLine] = []
    lat = 34.57
    # Riverside roads (rank 0) hug the water on both banks.
    for side, side_name in ((1, "left"), (-1, "right")):
        offset = axis.meander + side * (axis.ww / 2 + 24.0)
        line = _axis_line(axis, offset)
        ranges = plan.ARTERIALS.get((axis.key, side_name, 0))
        if line is None or not ranges:
            continue
        for piece, name, cls, oneway in _split_by_lon(line, ranges, lat):
            lines.append(SourceLine(piece, name, cls, bool(oneway), "riverside", bridge_ok=True))
    # Arterial parallels (ranks 1 and 2).
    arterial_t = []
    if axis.key == "main":
        for rank, t in plan.ARTERIAL_OFFSETS.items():
            for side, side_name in ((1, "left"), (-1, "right")):
                ranges = plan.ARTERIALS.get((axis.key, side_name, rank))
                if not ranges:
                    continue
                width = axis.wl if side > 0 else axis.wr
                mask = width > t + 60
                line = _axis_line(axis, side * t, mask)
                if line is None:
                    continue
                arterial_t.append(side * t)
                for piece, name, cls, oneway in _split_by_lon(line, ranges, lat):
                    if oneway:
                        # Geometry runs in the direction of travel.
                        if oneway == "backward":
                            piece = shapely.reverse(piece)
                    lines.append(SourceLine(piece, name, cls, bool(oneway), "arterial",
                                            bridge_ok=True))
    # Ordinary parallels.
    for side in (1, -1):
        width = axis.wl if side > 0 else axis.wr
        t = 150.0 + rng.uniform(0, 60)
        index = 0
        while t < float(width.max()) - 50:
            if all(abs(side * t - a) > 110 for a in arterial_t):
                mask = width > t + 45
                line = _axis_line(axis, side * t, mask)
                if line is not None:
                    line = line.difference(corridor)
                    if not line.is_empty:
                        lines.append(SourceLine(line, "", "tertiary" if index % 3 else "secondary",
                                                kind="parallel", group=f"{axis.key}-p{side}-{index}"))
            t += BASE_PARALLEL_SPACING + rng.uniform(-30, 30)
            index += 1
    # Old-town lanes between the parallels.
    for mask, side, t0, t1 in _old_town_masks(axis):
        t = t0 + 60
        index = 0
        while t < t1:
            if all(abs(side * t - a) > 50 for a in arterial_t):
                line = _axis_line(axis, side * t, mask, every=2)
                if line is not None:
                    line = line.difference(corridor)
                    if not line.is_empty:
                        lines.append(SourceLine(line, "", "residential", kind="lane",
                                                group=f"{axis.key}-lane{side}-{index}"))
            t += LANE_SPACING + rng.uniform(-15, 15)
            index += 1
    # Cross streets along the valley normals; every third one bridges the river.
    s = 200.0 + rng.uniform(0, 150)
    index = 0
    while s < axis.length - 100:
        k = min(int(s / 5.0), axis.x.size - 1)
        line = _cross_line(axis, k)
        bridged = index % 3 == 1
        lines.append(SourceLine(line, "", "primary" if bridged else "tertiary",
                                kind="cross", bridge_ok=bridged, group=f"{axis.key}-c{index}"))
        s += BASE_CROSS_SPACING + rng.uniform(-45, 45)
        index += 1
    for mask, side, t0, t1 in _old_town_masks(axis):
        ks = np.flatnonzero(mask)
        if ks.size == 0:
            continue
        s = axis.s[ks[0]] + 70.0
        while s < axis.s[ks[-1]]:
            k = min(int(s / 5.0), axis.x.size - 1)
            a = np.array([axis.x[k] + axis.nx[k] * side * t0, axis.y[k] + axis.ny[k] * side * t0])
            b = np.array([axis.x[k] + axis.nx[k] * side * (t1 + 40),
                          axis.y[k] + axis.ny[k] * side * (t1 + 40)])
            lines.append(SourceLine(shapely.LineString([a, b]), "", "residential", kind="lane",
                                    group=f"{axis.key}-xlane-{int(s)}"))
            s += LANE_SPACING + rng.uniform(-15, 15)
    for ln in lines:
        ln.geom = ln.geom.intersection(domain) if not ln.bridge_ok or ln.kind == "cross" \
            else ln.geom
    return lines


def tributary_lines(axis: Axis, seed: int, water, domain) -> list[SourceLine]:
    rng = rng_for(seed, "roads", axis.key)
    lines = []
    road = _axis_line(axis, axis.meander + axis.ww / 2 + 16.0)
    if road is not None:
        lines.append(SourceLine(road, axis.name.rstrip("河沟") + "路", "secondary", kind="stream",
                                bridge_ok=True))
    for side in (1, -1):
        width = axis.wl if side > 0 else axis.wr
        t = float(np.median(width)) * 0.55
        line = _axis_line(axis, side * t, width > t + 50)
        if line is not None:
            lines.append(SourceLine(line.difference(water.buffer(20)), "", "tertiary",
                                    kind="parallel", group=f"{axis.key}-p{side}"))
    s = 150.0 + rng.uniform(0, 100)
    index = 0
    while s < axis.length - 100:
        k = min(int(s / 5.0), axis.x.size - 1)
        line = _cross_line(axis, k, extra=20.0)
        bridged = index % 2 == 0
        if not bridged:
            line = line.difference(water.buffer(10))
        lines.append(SourceLine(line, "", "tertiary", kind="cross", bridge_ok=bridged,
                                group=f"{axis.key}-c{index}"))
        s += 320.0 + rng.uniform(-40, 40)
        index += 1
    for ln in lines:
        if ln.kind != "stream":
            ln.geom = ln.geom.intersection(domain)
    return lines


