"""Building Cesium terrain (quantized-mesh 1.0) from the registered DEMs.

Heights come from the same void-filled bilinear grids (:func:`grid_for`) and
the same EGM96 undulation as the building bases of the 3D Tiles, in the same
priority order as :func:`cim.services.terrain.ground_heights`, so that the
buildings stand on what Cesium draws.  Beyond every DEM the ground slopes to
mean sea level over 15 km (:mod:`cim.terrain.heights`).

Output: ``cim_settings.TERRAIN_DIR`` (a symbolic link to the current
build) with ``layer.json`` and gzipped ``{z}/{x}/{y}.terrain`` tiles, published
atomically like the 3D Tiles.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import connection, transaction

from cim.conf import cim_settings
from cim.errors import Conflict, DomainError
from cim.models import DemRaster
from cim.progress import Progress, track
from cim.services.audit import audit_record
from cim.services.terrain import grid_for
from cim.terrain import quantized_mesh as qm
from cim.terrain import tms
from cim.terrain.geoid import undulation
from cim.terrain.heights import FADE_M, M_PER_DEG, compose
from cim.tiling.publish import discard, new_build_dir, publish, write_atomic

DEFAULT_MAX_LEVEL = 13  # ≈ 38 m north-south, ≈ 31 m east-west sample spacing at 35° N
GRID_LEVELS = 5  # levels below this are regular grids (the globe's curvature)
LEVEL0_GE_M = 77_067.0  # Cesium's estimate for a 65-sample level-0 tile on WGS 84
LOCK_KEY = 0x7465_7272
APRON_MAX_LEVEL = 10  # tiles over the fade around the DEMs down to this level (≈ 300 m samples)


def _widened(bounds: tuple[float, float, float, float], metres: float) -> tuple[float, ...]:
    west, south, east, north = bounds
    dlat = metres / M_PER_DEG
    dlon = dlat / max(math.cos(math.radians(max(abs(south), abs(north)))), 0.01)
    return (max(west - dlon, -180.0), max(south - dlat, -90.0),
            min(east + dlon, 180.0), min(north + dlat, 90.0))


def max_error_for(level: int) -> float:
    """TIN tolerance: a tenth of the error Cesium expects of the level, ≥ 0.5 m."""
    return max(0.5, LEVEL0_GE_M / (1 << level) / 10)


@dataclass
class TerrainBuildResult:
    """What a terrain build did."""

    path: Path
    version: str
    tiles: int
    levels: int
    bytes: int  # gzipped, as stored and served
    raw_bytes: int
    seconds: float

    def summary(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


class DemSampler:
    """Orthometric ground height from the registered DEMs, best first, fading
    to sea level beyond them (:func:`cim.terrain.heights.compose`)."""

    def __init__(self, dems: list[DemRaster]):
        self.layers = [(grid_for(d), d.vertical_datum == "ellipsoid") for d in dems]

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return compose(self.layers, lon, lat, undulation=undulation)


def _tile(z: int, x: int, y: int, sampler: DemSampler) -> bytes:
    bounds = tms.tile_bounds(z, x, y)
    west, south, east, north = bounds

    def ellipsoidal(lon, lat):
        return sampler(lon, lat) + undulation(lon, lat)

    if z < GRID_LEVELS:
        u, v, tris = qm.grid_mesh(qm.SAMPLES)
    else:
        lon = np.linspace(west, east, qm.SAMPLES)
        lat = np.linspace(north, south, qm.SAMPLES)
        glon, glat = np.meshgrid(lon, lat)
        heights = sampler(glon.reshape(-1), glat.reshape(-1)).reshape(glon.shape)
        u, v, tris = qm.tin_mesh(heights, bounds=bounds, max_error=max_error_for(z))
    return qm.encode(qm.make_tile(u, v, tris, bounds=bounds, height_at=ellipsoidal))


def terrain_build(
    *,
    by=None,
    progress: Progress = False,
    out_dir: Path | None = None,
    max_level: int = DEFAULT_MAX_LEVEL,
) -> TerrainBuildResult:
    """Build every terrain tile of levels 0…``max_level`` over the registered
    DEMs (level 0: the whole globe).  Raises :class:`DomainError` when no DEM
    is registered; the published terrain is then left as it was."""
    if not 0 <= max_level <= 18:
        raise DomainError(f"max_level must be 0…18, got {max_level}", field="max_level")
    started = time.perf_counter()
    served = Path(out_dir or cim_settings.TERRAIN_DIR)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cur.fetchone()[0]:
            raise Conflict("another build_terrain is running; try again when it has finished")
    try:
        dems = list(DemRaster.objects.all())
        if not dems:
            raise DomainError("no DEM is registered; register one first (import_dem)", field="dem",
                              code="no_dem")
        sampler = DemSampler(dems)
        levels: dict[int, list[tuple[int, int]]] = {0: [(0, 0), (1, 0)]}
        for z in range(1, max_level + 1):
            found: set[tuple[int, int]] = set()
            for dem in dems:
                bounds = dem.bounds.extent
                if z <= APRON_MAX_LEVEL:  # the slope down to sea level around the DEM
                    bounds = _widened(bounds, FADE_M)
                found.update(tms.tiles_covering(z, bounds))
            levels[z] = sorted(found, key=lambda t: (t[1], t[0]))
        jobs = [(z, x, y) for z in sorted(levels) for x, y in levels[z]]
        version, build_dir = new_build_dir(served)
        raw = packed = 0
        try:
            for z, x, y in track(jobs, progress, desc="terrain", unit="tile", leave=False):
                data = _tile(z, x, y, sampler)
                gz = gzip.compress(data, compresslevel=6, mtime=0)
                raw += len(data)
                packed += len(gz)
                path = build_dir / str(z) / str(x) / f"{y}.terrain"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(gz)
            attribution = "; ".join(sorted({d.name for d in dems}))
            doc = tms.layer_json(levels=levels, version=version, attribution=attribution)
            write_atomic(build_dir / "layer.json", json.dumps(doc, ensure_ascii=False).encode())
            publish(served, build_dir)
        except BaseException:
            discard(build_dir)
            raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    result = TerrainBuildResult(path=served, version=version, tiles=len(jobs), levels=max_level + 1,
                                bytes=packed, raw_bytes=raw, seconds=time.perf_counter() - started)
    with transaction.atomic():
        audit_record(actor=by or "system", action="terrain.build", object_type="cim.terrain",
                     object_id=version, after=result.summary())
    return result


def spacing_at(level: int, lat: float) -> tuple[float, float]:
    """Sample spacing (east-west, north-south) in metres of a level at a latitude."""
    return tms.grid_spacing_m(level, qm.SAMPLES, lat)


__all__ = ["DEFAULT_MAX_LEVEL", "DemSampler", "TerrainBuildResult", "max_error_for", "spacing_at",
           "terrain_build"]
