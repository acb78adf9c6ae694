"""Ground height from the registered DEMs (read side of terrain)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Point

from cim.models import DemRaster
from cim.terrain.geoid import undulation
from cim.terrain.sampler import DemGrid, load_grid

_cache: dict[tuple[str, float], DemGrid] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class HeightSample:
    height: float  # orthometric (EGM96), metres
    ellipsoidal_height: float  # WGS 84 ellipsoid, as Cesium draws it
    dem_name: str


def dem_path(dem: DemRaster) -> Path:
    return Path(settings.MEDIA_ROOT) / dem.path


def grid_for(dem: DemRaster) -> DemGrid:
    """The DEM's void-filled grid, loaded once per file version."""
    path = dem_path(dem)
    key = (str(path), path.stat().st_mtime)
    with _lock:
        grid = _cache.get(key)
        if grid is None:
            for stale in [k for k in _cache if k[0] == key[0]]:
                del _cache[stale]
            grid = _cache[key] = load_grid(str(path))
    return grid


def dems_covering(lon: float, lat: float) -> list[DemRaster]:
    return list(DemRaster.objects.filter(bounds__intersects=Point(lon, lat, srid=4326)))


def ground_height(lon: float, lat: float) -> HeightSample | None:
    """Height of the ground at a point from the best DEM covering it, or None."""
    for dem in dems_covering(lon, lat):
        value = float(grid_for(dem).sample(lon, lat))
        if not np.isfinite(value):
            continue
        n = float(undulation(lon, lat)[0])
        ortho = value - n if dem.vertical_datum == "ellipsoid" else value
        return HeightSample(height=ortho, ellipsoidal_height=ortho + n, dem_name=dem.name)
    return None


def heights_from(dems, lons: np.ndarray, lats: np.ndarray, *, grid=None) -> np.ndarray:
    """Orthometric ground heights for many points from ``dems`` (best
    first): each point from the first DEM whose extent holds it and whose
    void-filled bilinear grid gives a value, NaN where none does.  ``grid``
    gives a DEM's grid (default :func:`grid_for`); a grid is loaded only when
    some point needs it.  The one sampling rule of building bases, the 3D
    Tiles and the importers."""
    grid = grid or grid_for
    lons = np.asarray(lons, dtype=np.float64)
    lats = np.asarray(lats, dtype=np.float64)
    out = np.full(lons.shape, np.nan)
    for dem in dems:
        west, south, east, north = dem.bounds.extent
        todo = np.isnan(out) & (lons >= west) & (lons <= east) & (lats >= south) & (lats <= north)
        if not todo.any():
            continue
        values = grid(dem).sample(lons[todo], lats[todo])
        if dem.vertical_datum == "ellipsoid":
            values = values - undulation(lons[todo], lats[todo])
        out[todo] = values
    return out


def ground_heights(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Orthometric ground heights for many points (NaN where no DEM covers),
    from the DEMs registered now (:func:`heights_from`)."""
    return heights_from(DemRaster.objects.all(), lons, lats)
