"""Which calculation points see the sun at which instants: rays against
triangles, fast (pure numpy; no database).

Scene, in a local metric frame (x east, y north, z up, metres):

* obstacles: triangles (LoD1 prisms are meshed into walls, roof and floor;
  LoD2 solids keep their faces);
* points: stacked in *columns* — the window sills of one façade position on
  every floor share x and y and differ in z only.

The ray from a point towards the sun rises along ``z = z_p + d·tan(el)`` over the
horizontal distance ``d`` in the sun's azimuth.  For one instant and one column,
all rays lie in one vertical plane.  A triangle meets that plane in a segment;
the ray of a point at height ``z_p`` hits the segment exactly when
``z_p = z(d) − d·tan(el)`` somewhere along it, and that function is linear along
the segment: every (column, triangle) pair gives one interval of blocked point
heights, whatever the number of floors.  That is the exact ray/triangle test
(the reference test compares it with Möller–Trumbore, ray by ray).

The acceleration, per instant: triangles are culled by a sun-aligned strip
(their bounding circle must meet the band swept by the columns), by direction
(in front of a column) and by height (a triangle lower than the ray from the
lowest point at its nearest distance shadows nobody).  The survivors are paired
with the columns their extent across the sun's azimuth covers by a binary
search over the columns sorted in that direction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Columns", "Obstacles", "sunlit"]


@dataclass
class Obstacles:
    tri: np.ndarray  # (T, 3, 3) float64: vertices x, y, z

    def __post_init__(self):
        self.tri = np.ascontiguousarray(self.tri, dtype=np.float64).reshape(-1, 3, 3)
        xy = self.tri[:, :, :2]
        self.centre = xy.mean(axis=1)
        self.radius = np.sqrt(((xy - self.centre[:, None, :]) ** 2).sum(axis=2)).max(axis=1) + 1e-9
        self.zmax = self.tri[:, :, 2].max(axis=1)


@dataclass
class Columns:
    xy: np.ndarray  # (C, 2) façade positions
    z: list[np.ndarray]  # per column: the heights of its points

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(column of each point, z of each point, first point index of each column)."""
        counts = np.array([len(z) for z in self.z], dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        col = np.repeat(np.arange(len(self.z)), counts)
        z = np.concatenate(self.z) if self.z else np.zeros(0)
        return col, z.astype(np.float64), first


def _blocked_intervals(obs: Obstacles, cxy: np.ndarray, az: float, tan_el: float, zmin: float):
    """(column, low, high) of the point heights shadowed at one instant."""
    ux, uy = np.sin(az), np.cos(az)  # along the sun's azimuth
    c_along = cxy[:, 0] * ux + cxy[:, 1] * uy
    c_across = -cxy[:, 0] * uy + cxy[:, 1] * ux
    # strip, direction and height culling on bounding circles
    t_along = obs.centre[:, 0] * ux + obs.centre[:, 1] * uy
    t_across = -obs.centre[:, 0] * uy + obs.centre[:, 1] * ux
    r = obs.radius
    nearest = np.maximum(t_along - r - c_along.max(), 0.0)
    keep = ((t_across + r >= c_across.min()) & (t_across - r <= c_across.max())
            & (t_along + r >= c_along.min()) & (obs.zmax >= zmin + nearest * tan_el))
    idx = np.flatnonzero(keep)
    if not idx.size:
        return None
    v = obs.tri[idx]
    along = v[:, :, 0] * ux + v[:, :, 1] * uy
    across = -v[:, :, 0] * uy + v[:, :, 1] * ux
    order = np.argsort(c_across, kind="stable")
    sorted_across = c_across[order]
    lo = np.searchsorted(sorted_across, across.min(axis=1), "left")
    hi = np.searchsorted(sorted_across, across.max(axis=1), "right")
    n = hi - lo
    if not n.sum():
        return None
    tri_of = np.repeat(np.arange(len(idx)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    col = order[np.repeat(lo, n) + offset]
    y = c_across[col]
    a, p, z = along[tri_of], across[tri_of], v[tri_of][:, :, 2]
    # where each edge of the triangle crosses the plane of the column's rays
    pa, pb = p, np.roll(p, -1, axis=1)
    denom = pb - pa
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (y[:, None] - pa) / denom
        ok = (denom != 0) & (s >= 0) & (s <= 1)
        s = np.where(ok, s, 0.0)
    d = a + s * (np.roll(a, -1, axis=1) - a) - c_along[col][:, None]
    zz = z + s * (np.roll(z, -1, axis=1) - z)
    inf = np.inf
    dmin = np.where(ok, d, inf).min(axis=1)
    dmax = np.where(ok, d, -inf).max(axis=1)
    use = np.isfinite(dmin) & (dmax >= 0)
    g = zz - d * tan_el  # the point height whose ray passes through this section point
    glo = np.where(ok, g, inf).min(axis=1)
    ghi = np.where(ok, g, -inf).max(axis=1)
    # a section straddling the point's vertical (an overhang): keep the part ahead (d ≥ 0)
    straddle = use & (dmin < 0)
    if straddle.any():
        k = np.flatnonzero(straddle)
        i_min = np.where(ok[k], d[k], inf).argmin(axis=1)
        i_max = np.where(ok[k], d[k], -inf).argmax(axis=1)
        d0, d1 = d[k, i_min], d[k, i_max]
        g0, g1 = g[k, i_min], g[k, i_max]
        g_at0 = g0 + (0.0 - d0) * (g1 - g0) / (d1 - d0)
        glo[k] = np.minimum(g_at0, g1)
        ghi[k] = np.maximum(g_at0, g1)
    return col[use], glo[use], ghi[use]


def sunlit(columns: Columns, obstacles: Obstacles, azimuth_deg: np.ndarray, elevation_deg: np.ndarray, *,
           terrain: np.ndarray | None = None,
           progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(points, instants) bool: the point sees the sun.  ``terrain`` (columns,
    instants), optional: the height below which the terrain hides the sun."""
    col, z, first = columns.flat()
    counts = np.diff(np.append(first, len(z)))
    cxy = np.asarray(columns.xy, dtype=np.float64).reshape(-1, 2)
    steps = len(azimuth_deg)
    out = np.zeros((len(z), steps), dtype=bool)
    if not len(z):
        return out
    zmin = float(z.min())
    for s in range(steps):
        if progress is not None and s % 16 == 0:
            progress(s, steps)
        el = float(elevation_deg[s])
        if el <= 0:
            continue
        lit = np.ones(len(z), dtype=bool)
        if terrain is not None:
            lit &= z >= terrain[col, s]
        if len(obstacles.tri):
            found = _blocked_intervals(obstacles, cxy, np.radians(float(azimuth_deg[s])),
                                       np.tan(np.radians(el)), zmin)
            if found is not None:
                c, glo, ghi = found
                m = counts[c]
                pt = np.repeat(first[c], m) + (np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m))
                hit = (z[pt] >= np.repeat(glo, m)) & (z[pt] <= np.repeat(ghi, m))
                lit[pt[hit]] = False
        out[:, s] = lit
    if progress is not None:
        progress(steps, steps)
    return out
