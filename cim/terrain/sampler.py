"""Bilinear, void-filled sampling of a DEM held in memory.

The same sampler gives the ground height to the API, the building bases and
the terrain tiles, so that buildings stand exactly on the terrain Cesium
draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.transform import Affine


@dataclass
class DemGrid:
    """A north-up DEM in geographic coordinates (lon/lat degrees)."""

    data: np.ndarray  # float32, rows from north to south, NaN where void
    transform: Affine

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        rows, cols = self.data.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def sample(self, lon, lat) -> np.ndarray:
        """Heights at the given points (arrays or scalars); NaN outside.

        Pixel-is-area: a pixel's value sits at its centre; between centres
        the height is bilinear.  Points in the outer half pixel take the edge.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        inv = ~self.transform
        col = inv.a * lon + inv.b * lat + inv.c - 0.5
        row = inv.d * lon + inv.e * lat + inv.f - 0.5
        rows, cols = self.data.shape
        inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
        col = np.clip(col, 0, cols - 1)
        row = np.clip(row, 0, rows - 1)
        c0 = np.minimum(np.floor(col).astype(np.int64), cols - 2 if cols > 1 else 0)
        r0 = np.minimum(np.floor(row).astype(np.int64), rows - 2 if rows > 1 else 0)
        c1 = np.minimum(c0 + 1, cols - 1)
        r1 = np.minimum(r0 + 1, rows - 1)
        fx = col - c0
        fy = row - r0
        d = self.data
        top = d[r0, c0] * (1 - fx) + d[r0, c1] * fx
        bottom = d[r1, c0] * (1 - fx) + d[r1, c1] * fx
        out = top * (1 - fy) + bottom * fy
        return np.where(inside, out, np.nan)


def fill_voids(data: np.ndarray, *, max_iterations: int = 200) -> np.ndarray:
    """Fill NaN holes by repeatedly averaging valid 4-neighbours (SRTM voids)."""
    out = data.astype(np.float32, copy=True)
    for _ in range(max_iterations):
        holes = np.isnan(out)
        if not holes.any():
            break
        padded = np.pad(out, 1, mode="edge")
        neigh = np.stack([padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]])
        valid = ~np.isnan(neigh)
        counts = valid.sum(axis=0)
        sums = np.where(valid, neigh, 0).sum(axis=0)
        fillable = holes & (counts > 0)
        if not fillable.any():
            break
        out[fillable] = sums[fillable] / counts[fillable]
    return out


def load_grid(path: str) -> DemGrid:
    """Read a single-band DEM (any GDAL path) into a void-filled grid in EPSG:4326."""
    with rasterio.open(path) as src:
        if src.crs is None:
            raise ValueError(f"{path}: the raster has no coordinate reference system")
        if src.crs.to_epsg() != 4326:
            raise ValueError(f"{path}: expected a geographic (EPSG:4326) raster, got {src.crs}")
        data = src.read(1, masked=True).astype(np.float32)
        grid = np.where(np.ma.getmaskarray(data), np.nan, data.filled(np.nan))
        # SRTM voids that were not declared as nodata.
        grid[grid <= -1000] = np.nan
        return DemGrid(fill_voids(grid), src.transform)
