"""The ground the terrain tiles draw: the registered DEMs, best first, and
beyond them a slope down to sea level.

Inside a DEM the height is its bilinear, void-filled sample (the same as the
building bases).  Outside every DEM the height of the nearest DEM's edge
fades linearly to 0 (mean sea level) over ``FADE_M``: a city DEM ends in a
hillside rather than a 1,000 m cliff, and the rest of the globe stays at sea
level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cim.terrain.sampler import DemGrid

FADE_M = 15_000.0
M_PER_DEG = 111_320.0


def compose(
    layers: Sequence[tuple[DemGrid, bool]],
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    undulation: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fade_m: float = FADE_M,
) -> np.ndarray:
    """Orthometric heights; ``layers`` are (grid, heights are ellipsoidal)
    pairs in priority order."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    out = np.full(lon.shape, np.nan)
    for grid, ellipsoidal in layers:
        todo = np.isnan(out)
        if not todo.any():
            break
        values = grid.sample(lon[todo], lat[todo])
        if ellipsoidal:
            values = values - undulation(lon[todo], lat[todo])
        out[todo] = values
    outside = np.isnan(out)
    if not outside.any() or not layers:
        return np.where(outside, 0.0, out)
    olon, olat = lon[outside], lat[outside]
    best_d = np.full(olon.shape, np.inf)
    best_h = np.zeros(olon.shape)
    for grid, ellipsoidal in layers:
        west, south, east, north = grid.bounds
        cols, rows = grid.shape[1], grid.shape[0]
        hx, hy = (east - west) / cols / 2, (north - south) / rows / 2  # stay on pixel centres
        clon = np.clip(olon, west + hx, east - hx)
        clat = np.clip(olat, south + hy, north - hy)
        # Distance from the DEM's box (not from the pixel centre): continuous at the edge.
        dx = (olon - np.clip(olon, west, east)) * M_PER_DEG * np.cos(np.radians(olat))
        dy = (olat - np.clip(olat, south, north)) * M_PER_DEG
        d = np.hypot(dx, dy)
        edge = grid.sample(clon, clat)
        if ellipsoidal:
            edge = edge - undulation(clon, clat)
        closer = (d < best_d) & np.isfinite(edge)
        best_d = np.where(closer, d, best_d)
        best_h = np.where(closer, edge, best_h)
    out[outside] = best_h * np.clip(1.0 - best_d / fade_m, 0.0, 1.0)
    return out
