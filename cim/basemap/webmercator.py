"""Web Mercator (EPSG:3857) XYZ tile arithmetic in global pixel coordinates:
at zoom z the world is ``256 × 2**z`` pixels wide, x east from 180° W and y
south from 85.0511° N (the scheme of XYZ tiles, 天地图 and OGC WMTS
``GoogleMapsCompatible``)."""

from __future__ import annotations

import math

import numpy as np

TILE = 256
EARTH_RADIUS_M = 6_378_137.0
MAX_LAT = 85.05112878


def world_px(z: int) -> float:
    return TILE * float(1 << z)


def to_px(lon, lat, z: int):
    """Global pixel coordinates of lon/lat (arrays or scalars) at zoom ``z``."""
    n = world_px(z)
    lat = np.clip(lat, -MAX_LAT, MAX_LAT)
    s = np.sin(np.radians(lat))
    x = (np.asarray(lon) + 180.0) / 360.0 * n
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * n
    return x, y


def to_lonlat(x, y, z: int):
    """Inverse of :func:`to_px`."""
    n = world_px(z)
    lon = np.asarray(x) / n * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1 - 2 * np.asarray(y) / n))))
    return lon, lat


def tiles_covering(z: int, bounds: tuple[float, float, float, float]) -> list[tuple[int, int]]:
    """Tiles (x, y) of zoom ``z`` that intersect the lon/lat box, row by row."""
    west, south, east, north = bounds
    x0, y0 = to_px(west, north, z)
    x1, y1 = to_px(east, south, z)
    last = (1 << z) - 1
    xs = range(max(0, int(x0 // TILE)), min(last, int(x1 // TILE)) + 1)
    ys = range(max(0, int(y0 // TILE)), min(last, int(y1 // TILE)) + 1)
    return [(x, y) for y in ys for x in xs]


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east, north of a tile in degrees."""
    west, north = to_lonlat(x * TILE, y * TILE, z)
    east, south = to_lonlat((x + 1) * TILE, (y + 1) * TILE, z)
    return float(west), float(south), float(east), float(north)


def metres_per_px(z: int, lat: float) -> float:
    """Ground size of one pixel at a latitude."""
    return 2 * math.pi * EARTH_RADIUS_M * math.cos(math.radians(lat)) / world_px(z)
