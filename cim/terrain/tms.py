"""The geographic tiling scheme of Cesium terrain (TMS, EPSG:4326).

Level z has 2^(z+1) × 2^z tiles of 180 / 2^z degrees; x runs from the
antimeridian eastwards, y from the south pole northwards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

WGS84_CIRCUMFERENCE_M = 40_075_016.686


def tile_size_deg(z: int) -> float:
    return 180.0 / (1 << z)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees."""
    size = tile_size_deg(z)
    return -180.0 + x * size, -90.0 + y * size, -180.0 + (x + 1) * size, -90.0 + (y + 1) * size


def tiles_covering(z: int, bounds: tuple[float, float, float, float]) -> list[tuple[int, int]]:
    """Tiles of level z that intersect the (west, south, east, north) box."""
    west, south, east, north = bounds
    size = tile_size_deg(z)
    nx, ny = 1 << (z + 1), 1 << z
    x0 = max(0, min(nx - 1, math.floor((west + 180.0) / size)))
    x1 = max(0, min(nx - 1, math.ceil((east + 180.0) / size) - 1))
    y0 = max(0, min(ny - 1, math.floor((south + 90.0) / size)))
    y1 = max(0, min(ny - 1, math.ceil((north + 90.0) / size) - 1))
    return [(x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]


def grid_spacing_m(z: int, samples: int, lat: float) -> tuple[float, float]:
    """(east-west, north-south) distance between grid samples of a tile, metres."""
    step = tile_size_deg(z) / (samples - 1)
    ns = step / 360.0 * WGS84_CIRCUMFERENCE_M
    return ns * math.cos(math.radians(lat)), ns


def level_for_spacing(spacing_m: float, samples: int) -> int:
    """The first level whose north-south sample spacing is at most ``spacing_m``."""
    z = 0
    while grid_spacing_m(z, samples, 0.0)[1] > spacing_m and z < 22:
        z += 1
    return z


def available_ranges(tiles: Iterable[tuple[int, int]]) -> list[dict]:
    """``layer.json`` availability of one level: rectangles covering exactly
    the given (x, y) tiles (runs along x, merged across consecutive rows)."""
    rows: dict[int, list[int]] = {}
    for x, y in tiles:
        rows.setdefault(y, []).append(x)
    runs: list[tuple[int, int, int]] = []  # (startX, endX, y)
    for y in sorted(rows):
        xs = sorted(set(rows[y]))
        start = prev = xs[0]
        for x in xs[1:]:
            if x != prev + 1:
                runs.append((start, prev, y))
                start = x
            prev = x
        runs.append((start, prev, y))
    rects: list[dict] = []
    open_: dict[tuple[int, int], dict] = {}
    for start, end, y in runs:
        rect = open_.get((start, end))
        if rect is not None and rect["endY"] == y - 1:
            rect["endY"] = y
        else:
            rect = {"startX": start, "startY": y, "endX": end, "endY": y}
            rects.append(rect)
            open_[(start, end)] = rect
    return rects


def layer_json(*, levels: dict[int, list[tuple[int, int]]], version: str, attribution: str,
               name: str = "tianshui-cim terrain") -> dict:
    """Cesium's ``layer.json`` for quantized-mesh tiles with vertex normals."""
    max_level = max(levels)
    return {
        "tilejson": "2.1.0",
        "name": name,
        "description": "Quantized-mesh terrain from the registered DEMs (ellipsoidal heights).",
        "version": version,
        "format": "quantized-mesh-1.0",
        "scheme": "tms",
        "projection": "EPSG:4326",
        "bounds": [-180.0, -90.0, 180.0, 90.0],
        "minzoom": 0,
        "maxzoom": max_level,
        "tiles": ["{z}/{x}/{y}.terrain?v={version}"],
        "extensions": ["octvertexnormals"],
        "attribution": attribution,
        "available": [available_ranges(levels.get(z, [])) for z in range(max_level + 1)],
    }
