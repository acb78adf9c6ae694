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

The acceleration: triangles are culled per instant by a sun-aligned strip
(their bounding circle must meet the band swept by the columns), by direction
(in front of a column) and by height (a triangle lower than the ray from the
lowest point at its nearest distance shadows nobody).  That cull runs first on
buckets of triangles (a uniform grid on their centres, each bucket's circle
holding its triangles' circles, so that a bucket culled holds no triangle the
cull would keep), then on the triangles of the buckets kept.  Everything runs
on arrays of (instant, triangle) and (instant, triangle, column) pairs, a chunk
of instants at a time, not in a Python loop per instant; the survivors are
paired with the columns their extent across the sun's azimuth covers, and a
column's blocked height intervals are laid onto its points with one binary
search and a running sum over the floors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Columns", "Obstacles", "sunlit"]

BUCKET_M = 40.0  # the side of the grid cells that bucket the triangles for the first cull
CHUNK = 48  # instants computed together (bounds the size of the pair arrays)
SLACK = 1e-6  # metres added to the buckets' circles and heights: the bucket cull stays looser


@dataclass
class Obstacles:
    tri: np.ndarray  # (T, 3, 3) float64: vertices x, y, z
    _buckets: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.tri = np.ascontiguousarray(self.tri, dtype=np.float64).reshape(-1, 3, 3)
        xy = self.tri[:, :, :2]
        self.centre = xy.mean(axis=1)
        self.radius = np.sqrt(((xy - self.centre[:, None, :]) ** 2).sum(axis=2)).max(axis=1) + 1e-9
        self.zmax = self.tri[:, :, 2].max(axis=1)

    def buckets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(triangles ordered by bucket, first of each bucket in that order, bucket centres,
        radii, top heights): a bucket's circle holds its triangles' bounding circles."""
        if self._buckets is None:
            key = np.floor(self.centre / BUCKET_M).astype(np.int64)
            key -= key.min(axis=0)
            _, of = np.unique(key[:, 0] * (int(key[:, 1].max()) + 1) + key[:, 1], return_inverse=True)
            order = np.argsort(of, kind="stable")
            counts = np.bincount(of)
            first = np.concatenate([[0], np.cumsum(counts)[:-1]])
            centre = np.column_stack([np.bincount(of, self.centre[:, 0]), np.bincount(of, self.centre[:, 1])])
            centre /= counts[:, None]
            reach = np.sqrt(((self.centre - centre[of]) ** 2).sum(axis=1)) + self.radius
            radius = np.zeros(len(counts))
            np.maximum.at(radius, of, reach)
            top = np.full(len(counts), -np.inf)
            np.maximum.at(top, of, self.zmax)
            slack = SLACK + 1e-9 * (np.abs(centre).max(axis=1) + radius)
            self._buckets = (order, first, centre, radius + slack, top + SLACK + 1e-9 * np.abs(top))
        return self._buckets


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


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, rank within owner) of ``counts.sum()`` items, ``counts[i]`` of them owned by i."""
    owner = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, rank


def _min3(x: np.ndarray) -> np.ndarray:
    """The least of each row of an (N, 3) array (as ``min(axis=1)``, without a slow short-axis reduce)."""
    return np.minimum(np.minimum(x[:, 0], x[:, 1]), x[:, 2])


def _max3(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(x[:, 0], x[:, 1]), x[:, 2])


NEXT = [1, 2, 0]  # each vertex's successor around the triangle


def _culled(along, across, r, zmax, s, box, tan_el, zmin):
    """The strip, direction and height cull of circles (centre along/across the sun's
    azimuth, radius ``r``, top ``zmax``) at instants ``s``; ``box`` the columns'
    (min along, max along, min across, max across) per instant."""
    a_min, a_max, x_min, x_max = box
    nearest = np.maximum(along - r - a_max[s], 0.0)
    return (
        (across + r >= x_min[s])
        & (across - r <= x_max[s])
        & (along + r >= a_min[s])
        & (zmax >= zmin + nearest * tan_el[s])
    )


def _blocked_intervals(
    obs: Obstacles, cxy: np.ndarray, ux: np.ndarray, uy: np.ndarray, tan_el: np.ndarray, zmin: float
):
    """(instant, column, low, high) of the point heights shadowed at the instants whose
    sun direction is (``ux``, ``uy``) and slope ``tan_el`` (arrays over the instants)."""
    # the columns along and across the sun's azimuth: (instants, columns)
    c_along = cxy[None, :, 0] * ux[:, None] + cxy[None, :, 1] * uy[:, None]
    c_across = -cxy[None, :, 0] * uy[:, None] + cxy[None, :, 1] * ux[:, None]
    box = (c_along.min(axis=1), c_along.max(axis=1), c_across.min(axis=1), c_across.max(axis=1))
    # first the buckets, then the triangles of the buckets kept: the same cull
    order, first, centre, radius, top = obs.buckets()
    b_along = centre[None, :, 0] * ux[:, None] + centre[None, :, 1] * uy[:, None]
    b_across = -centre[None, :, 0] * uy[:, None] + centre[None, :, 1] * ux[:, None]
    steps = np.arange(len(ux))[:, None]
    s_b, b = np.nonzero(_culled(b_along, b_across, radius[None, :], top[None, :], steps, box, tan_el, zmin))
    counts = np.diff(np.append(first, len(order)))[b]
    owner, rank = _expand(counts)
    s, t = s_b[owner], order[first[b][owner] + rank]
    cx, cy = obs.centre[t, 0], obs.centre[t, 1]
    t_along = cx * ux[s] + cy * uy[s]
    t_across = -cx * uy[s] + cy * ux[s]
    keep = _culled(t_along, t_across, obs.radius[t], obs.zmax[t], s, box, tan_el, zmin)
    s, t = s[keep], t[keep]
    if not len(t):
        return None
    v = obs.tri[t]
    along = v[:, :, 0] * ux[s][:, None] + v[:, :, 1] * uy[s][:, None]
    across = -v[:, :, 0] * uy[s][:, None] + v[:, :, 1] * ux[s][:, None]
    # the columns each triangle's extent across the azimuth covers
    row = c_across[s]
    k, col = np.nonzero((row >= _min3(across)[:, None]) & (row <= _max3(across)[:, None]))
    if not len(k):
        return None
    s_of = s[k]
    y = c_across[s_of, col]
    a, p, z = along[k], across[k], v[k][:, :, 2]
    # where each edge of the triangle crosses the plane of the column's rays
    pa, pb = p, p[:, NEXT]
    denom = pb - pa
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (y[:, None] - pa) / denom
        ok = (denom != 0) & (f >= 0) & (f <= 1)
        f = np.where(ok, f, 0.0)
    d = a + f * (a[:, NEXT] - a) - c_along[s_of, col][:, None]
    zz = z + f * (z[:, NEXT] - z)
    inf = np.inf
    dmin = _min3(np.where(ok, d, inf))
    dmax = _max3(np.where(ok, d, -inf))
    use = np.isfinite(dmin) & (dmax >= 0)
    g = zz - d * tan_el[s_of][:, None]  # the point height whose ray passes through this section point
    glo = _min3(np.where(ok, g, inf))
    ghi = _max3(np.where(ok, g, -inf))
    # a section straddling the point's vertical (an overhang): keep the part ahead (d ≥ 0)
    straddle = use & (dmin < 0)
    if straddle.any():
        j = np.flatnonzero(straddle)
        i_min = np.where(ok[j], d[j], inf).argmin(axis=1)
        i_max = np.where(ok[j], d[j], -inf).argmax(axis=1)
        d0, d1 = d[j, i_min], d[j, i_max]
        g0, g1 = g[j, i_min], g[j, i_max]
        g_at0 = g0 + (0.0 - d0) * (g1 - g0) / (d1 - d0)
        glo[j] = np.minimum(g_at0, g1)
        ghi[j] = np.maximum(g_at0, g1)
    return s_of[use], col[use], glo[use], ghi[use]


def _shade(
    out: np.ndarray,
    steps: np.ndarray,
    found,
    columns: Columns,
    z: np.ndarray,
    first: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Points whose height lies within a blocked interval (low ≤ z ≤ high) of their
    column at an instant: False in ``out`` (points, instants)."""
    s, c, glo, ghi = found
    z0 = np.asarray(columns.z[0], dtype=np.float64) if columns.z else np.zeros(0)
    if all(len(zc) == len(z0) and np.array_equal(np.asarray(zc, dtype=np.float64), z0) for zc in columns.z):
        # every column has the same heights: one binary search, then a running sum over the floors
        valid = ~(np.isnan(glo) | np.isnan(ghi))
        s, c, glo, ghi = s[valid], c[valid], glo[valid], ghi[valid]
        rank = np.argsort(z0, kind="stable")
        zs = z0[rank]
        lo = np.searchsorted(zs, glo, "left")  # the first floor with z ≥ low
        hi = np.searchsorted(zs, ghi, "right")  # past the last floor with z ≤ high
        shape = (len(columns.z), len(steps), len(zs) + 1)
        size = int(np.prod(shape))
        cover = (
            np.bincount(np.ravel_multi_index((c, s, lo), shape), minlength=size)
            - np.bincount(np.ravel_multi_index((c, s, hi), shape), minlength=size)
        ).reshape(shape)
        shaded = np.cumsum(cover[:, :, :-1], axis=2) > 0  # (columns, instants, sorted floors)
        block = np.zeros((len(columns.z), len(z0), len(steps)), dtype=bool)
        block[:, rank, :] = shaded.transpose(0, 2, 1)
        out[:, steps] &= ~block.reshape(len(z), len(steps))
        return
    m = counts[c]
    owner, rank = _expand(m)
    pt = first[c][owner] + rank
    hit = (z[pt] >= glo[owner]) & (z[pt] <= ghi[owner])
    out[pt[hit], steps[s[owner[hit]]]] = False


def sunlit(
    columns: Columns,
    obstacles: Obstacles,
    azimuth_deg: np.ndarray,
    elevation_deg: np.ndarray,
    *,
    terrain: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
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
    up = np.flatnonzero([not float(e) <= 0 for e in elevation_deg])  # the sun above the horizon
    out[:, up] = True
    if terrain is not None:
        out[:, up] &= z[:, None] >= terrain[col][:, up]
    if not len(obstacles.tri) or not len(up):
        if progress is not None:
            progress(steps, steps)
        return out
    # the sun's direction per instant, as scalars (the exact values of the per-instant formulas)
    az = [np.radians(float(azimuth_deg[s])) for s in up]
    ux = np.array([np.sin(a) for a in az])
    uy = np.array([np.cos(a) for a in az])
    tan_el = np.array([np.tan(np.radians(float(elevation_deg[s]))) for s in up])
    for start in range(0, len(up), CHUNK):
        if progress is not None:
            progress(int(up[start]), steps)
        part = slice(start, start + CHUNK)
        found = _blocked_intervals(obstacles, cxy, ux[part], uy[part], tan_el[part], zmin)
        if found is not None:
            _shade(out, up[part], found, columns, z, first, counts)
    if progress is not None:
        progress(steps, steps)
    return out
