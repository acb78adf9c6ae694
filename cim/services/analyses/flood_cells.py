"""The array work of the flood analysis (:mod:`cim.services.analyses.flood`),
on numpy arrays and GDAL alone: no Django, no database.

The grid is north-up in longitude/latitude (so that the depth image drapes
onto the 3D globe as it is), cells addressed as (row, column) from its
north-west corner.  A flood wets a few per cent of a city's grid, so the work
is done on the wet cells' coordinates (``r``, ``c``, row-major) rather than on
whole-grid masks: the cells below the water (compared block by block against
the water's level), the ones connected edge to edge to a seed through such
cells, the windows of the grid where footprints must be burnt, the flooded
regions' outlines, the buildings beside the water and the depth image.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
import shapely
from rasterio import features
from rasterio.transform import Affine
from scipy import ndimage, sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "DEPTH_STEPS",
    "LEVEL_K",
    "POLYGON_BLOCK",
    "FloodGrid",
    "buildings_in_water",
    "cells_below",
    "components",
    "connected_flood",
    "depth_png",
    "polygons",
    "reached",
    "tile_windows",
    "water_at",
]

LEVEL_K = 4  # the river's level is looked up on a grid this many times coarser


@dataclass
class FloodGrid:
    """The inputs of the flood on one grid that do not depend on the water (the
    buildings come later, only where the water can reach).  Kept by the service for
    the next run on the same grid: read only."""

    transform: Affine  # lon/lat of cell corners
    padded: np.ndarray  # float32 ground, 1985-datum metres, NaN outside the DEMs and in the
    # padding that makes the shape a multiple of LEVEL_K (the water compares block by block)
    river: np.ndarray  # bool: river cells (the seeds)
    cell_area_m2: float

    @classmethod
    def build(cls, *, transform: Affine, ground: np.ndarray, river: np.ndarray, cell: float) -> FloodGrid:
        """The grid of ``ground`` (float32) and ``river`` (bool, same shape) with cells of
        ``cell`` metres, padded to whole blocks and made read-only."""
        rows, cols = ground.shape
        padded = np.full(
            (-(-rows // LEVEL_K) * LEVEL_K, -(-cols // LEVEL_K) * LEVEL_K), np.nan, dtype=np.float32
        )
        padded[:rows, :cols] = ground
        padded.flags.writeable = river.flags.writeable = False
        return cls(transform=transform, padded=padded, river=river, cell_area_m2=cell * cell)

    @property
    def ground(self) -> np.ndarray:
        return self.padded[: self.river.shape[0], : self.river.shape[1]]

    @functools.cached_property
    def river_ground_min(self) -> float | None:
        """The lowest ground of a river cell (None: the river lies outside the DEMs)."""
        values = self.ground[self.river & np.isfinite(self.ground)]
        return float(values.min()) if values.size else None

    @functools.cached_property
    def river_level(self) -> np.ndarray:
        """The river's current level at the nearest river cell, on a grid ``LEVEL_K``
        times coarser (the level changes by centimetres over 20 m), found from the river
        cells alone (a few per cent of the grid)."""
        k = LEVEL_K
        rows, cols = self.river.shape
        r, c = np.nonzero(self.river & np.isfinite(self.ground))
        coarse_level = np.full((-(-rows // k), -(-cols // k)), np.inf, dtype=np.float32)
        np.minimum.at(coarse_level, (r // k, c // k), self.ground[r, c])
        _, (ri, rj) = ndimage.distance_transform_edt(~np.isfinite(coarse_level), return_indices=True)
        level = coarse_level[ri, rj]
        level.flags.writeable = False
        return level


def connected_flood(
    ground: np.ndarray, water: np.ndarray | float, seeds: np.ndarray, obstacle: np.ndarray | None = None
) -> np.ndarray:
    """Cells below ``water`` connected edge-to-edge to a seed cell through such cells."""
    wet = np.isfinite(ground) & (ground < water)
    if obstacle is not None:
        wet &= ~obstacle
    r, c = np.nonzero(wet)
    keep = reached(r, c, wet.shape[1], seeds[r, c])
    out = np.zeros(wet.shape, dtype=bool)
    out[r[keep], c[keep]] = True
    return out


def reached(r: np.ndarray, c: np.ndarray, cols: int, seed: np.ndarray) -> np.ndarray:
    """Which of the wet cells (``r``, ``c``), in row-major order on a grid of ``cols``
    columns, are connected edge-to-edge to a wet ``seed`` cell through wet cells."""
    if r.size == 0 or not seed.any():
        return np.zeros(r.size, dtype=bool)
    label = components(r, c, cols)
    keep = np.zeros(label.max() + 1, dtype=bool)
    keep[label[seed]] = True
    return keep[label]


def components(r: np.ndarray, c: np.ndarray, cols: int) -> np.ndarray:
    """The edge-connected component of each of the cells (``r``, ``c``), in row-major
    order on a grid of ``cols`` columns: the connected components of the graph of the
    cells and their right and lower neighbours among them.  A flood wets a few per cent
    of a city's grid: the graph is that small, where labelling the grid would visit
    every cell (water does not leak through corners)."""
    n = r.size
    at = r.astype(np.int64) * cols + c
    pairs = []
    for step, allowed in ((1, c + 1 < cols), (cols, None)):
        j = np.searchsorted(at, at + step)
        j[j == n] = 0  # no such cell: compared (and refused) below
        edge = at[j] == at + step
        if allowed is not None:
            edge &= allowed  # the right neighbour of the last column is the next row's first
        pairs.append((np.flatnonzero(edge), j[edge]))
    i = np.concatenate([p[0] for p in pairs])
    j = np.concatenate([p[1] for p in pairs])
    graph = sparse.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def cells_below(grid: FloodGrid, water: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the cells whose ground lies below the water (one level, or the
    level of each block of ``LEVEL_K`` × ``LEVEL_K`` cells), row by row: one comparison
    over the grid, block by block against the blocks' levels (the water is never spread
    over the whole grid)."""
    if np.isscalar(water):
        return np.nonzero(grid.ground < water)  # NaN (no DEM) compares False
    k = LEVEL_K
    blocks = grid.padded.reshape(water.shape[0], k, water.shape[1], k)
    below = (blocks < water[:, None, :, None]).reshape(grid.padded.shape)
    return np.nonzero(below)  # the padding is NaN: never below


def water_at(water: np.ndarray | float, r: np.ndarray, c: np.ndarray) -> np.ndarray | float:
    """The water's level at the cells (``r``, ``c``)."""
    return water if np.isscalar(water) else water[r // LEVEL_K, c // LEVEL_K]


def tile_windows(
    shape: tuple[int, int], r: np.ndarray, c: np.ndarray, tile: int
) -> list[tuple[int, int, int, int]]:
    """The windows (row from, row to, column from, column to) of a grid of ``shape``
    that cover the ``tile`` × ``tile`` tiles holding one of the cells (``r``, ``c``),
    one cell wider all round: one window per run of neighbouring tiles in a tile row."""
    rows, cols = shape
    tiles = np.zeros((-(-rows // tile), -(-cols // tile)), dtype=bool)
    tiles[r // tile, c // tile] = True
    windows = []
    for tr in np.flatnonzero(tiles.any(axis=1)):
        edges = np.diff(np.concatenate([[0], tiles[tr].view(np.int8), [0]]))
        for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            windows.append(
                (
                    max(tr * tile - 1, 0),
                    min((tr + 1) * tile + 1, rows),
                    max(start * tile - 1, 0),
                    min(stop * tile + 1, cols),
                )
            )
    return windows


POLYGON_BLOCK = 512  # cells: flooded regions starting in one block are polygonised together


def polygons(r: np.ndarray, c: np.ndarray, cols: int, transform: Affine, cell_deg: float):
    """The outline of the cells (``r``, ``c``, row-major on a grid of ``cols`` columns)
    as a shapely MultiPolygon (None: no cell)."""
    if r.size == 0:
        return None
    # GDAL's polygonize gives one polygon (with its holes) per edge-connected region, and
    # a region's polygon depends on its own cells alone.  A flood is thin strips along
    # the rivers, whose bounding box is most of the city: the regions are grouped by the
    # block where they start and each group is polygonised in its own bounding box,
    # with only its cells in the mask (the polygons do not overlap: no union is needed,
    # only the simplification of the cell steps).
    label = components(r, c, cols)
    n = label.max() + 1
    top, left = np.full(n, r.max(), dtype=np.int64), np.full(n, c.max(), dtype=np.int64)
    np.minimum.at(top, label, r)
    np.minimum.at(left, label, c)
    group = (top // POLYGON_BLOCK * (cols // POLYGON_BLOCK + 1) + left // POLYGON_BLOCK)[label]
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    parts = np.array(
        [p for cells in np.split(order, bounds) for p in _polygonize(r[cells], c[cells])], dtype=object
    )
    # One order whatever the grouping (GDAL's on the whole grid is its own): by the
    # bottom row, then the top row, then the left column (cell numbers: y runs down).
    left, top, _, bottom = shapely.bounds(parts).T
    parts = parts[np.lexsort((left, top, bottom))]
    t = transform
    parts = shapely.transform(parts, lambda xy: np.column_stack([t.c + xy[:, 0] * t.a, t.f + xy[:, 1] * t.e]))
    simple = shapely.simplify(parts, cell_deg * 0.5, preserve_topology=True)
    geoms = [g for g in simple if g.geom_type == "Polygon" and not g.is_empty]
    return shapely.MultiPolygon(geoms) if geoms else None


def _polygonize(r: np.ndarray, c: np.ndarray) -> list:
    """GDAL's polygons of the cells (``r``, ``c``) in whole cell numbers (exact), from
    their bounding box alone."""
    from shapely.geometry import shape

    r0, c0 = int(r.min()), int(c.min())
    window = np.zeros((int(r.max()) + 1 - r0, int(c.max()) + 1 - c0), dtype=bool)
    window[r - r0, c - c0] = True
    cells = features.shapes(window.view(np.uint8), mask=window, transform=Affine(1, 0, c0, 0, 1, r0))
    return [shape(geom) for geom, value in cells if value == 1]


DEPTH_STEPS = 255  # depths 0–3 m in 254 steps (about 1.2 cm), deeper the last colour


def depth_png(shape: tuple[int, int], r: np.ndarray, c: np.ndarray, depth: np.ndarray) -> bytes:
    """The depths ``depth`` of the cells (``r``, ``c``) of a grid of ``shape`` as a blue
    ramp with alpha (transparent where dry), for draping: a palette image (one byte a
    cell) with the ramp in its palette."""
    from PIL import Image

    stops = np.array([0.0, 0.5, 1.5, 3.0])
    colours = np.array([[166, 219, 255], [82, 164, 235], [30, 104, 200], [8, 48, 120]], dtype=float)
    levels = np.linspace(0.0, 3.0, DEPTH_STEPS - 1)
    palette = np.zeros((256, 3), dtype=np.uint8)
    for i in range(3):
        palette[1:DEPTH_STEPS, i] = np.interp(levels, stops, colours[:, i]).astype(np.uint8)
    index = np.zeros(shape, dtype=np.uint8)  # 0: dry
    wet = depth > 0
    step = np.minimum(depth[wet] * ((DEPTH_STEPS - 2) / 3.0), DEPTH_STEPS - 2)
    index[r[wet], c[wet]] = 1 + step.astype(np.uint8)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.ravel().tolist())
    alpha = bytes([0] + [190] * 255)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=1, transparency=alpha)
    return out.getvalue()


def buildings_in_water(r: np.ndarray, c: np.ndarray, depth: np.ndarray, ids: np.ndarray) -> dict[int, float]:
    """{building id: deepest flooded neighbour (m)} of the building cells with a flooded
    edge neighbour, from the flooded cells (``r``, ``c``, their ``depth``) and their
    neighbours alone (no full-grid filters)."""
    rows, cols = ids.shape
    best: dict[int, float] = {}
    for dr, dc in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)):  # itself too (without obstacles)
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        bid = ids[rr[inside], cc[inside]]
        on = bid > 0
        if not on.any():
            continue
        owners, at = np.unique(bid[on], return_inverse=True)
        deepest = np.zeros(owners.size, dtype=np.float64)
        np.maximum.at(deepest, at, depth[inside][on])
        for owner, value in zip(owners.tolist(), deepest.tolist(), strict=True):
            if value > best.get(owner, 0.0):
                best[owner] = value
    return best
