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


def ground_grid(transform, shape: tuple[int, int]) -> np.ndarray:
    """Orthometric ground heights on a north-up lon/lat grid (``transform`` of its
    cell corners, ``shape`` rows × cols): each DEM resampled bilinearly in one call
    (GDAL), the best DEM first, NaN where none covers.  For whole-area analyses,
    where sampling every cell as a point (:func:`ground_heights`) would be slow."""
    from rasterio.crs import CRS
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject

    out = np.full(shape, np.nan, dtype=np.float32)
    wgs84 = CRS.from_epsg(4326)
    for dem in DemRaster.objects.all():
        todo = np.isnan(out)
        if not todo.any():
            break
        grid = grid_for(dem)
        values = np.full(shape, np.nan, dtype=np.float32)
        reproject(source=grid.data, destination=values, src_transform=grid.transform, src_crs=wgs84,
                  dst_transform=transform, dst_crs=wgs84, src_nodata=np.nan, dst_nodata=np.nan,
                  resampling=Resampling.bilinear)
        if dem.vertical_datum == "ellipsoid":
            # The geoid varies slowly: compute it on a coarse grid and resample.
            rows, cols = shape
            k = max(1, max(rows, cols) // 64)
            coarse = Affine(transform.a * k, 0, transform.c, 0, transform.e * k, transform.f)
            cr, cc = -(-rows // k), -(-cols // k)
            lons = transform.c + (np.arange(cc) + 0.5) * transform.a * k
            lats = transform.f + (np.arange(cr) + 0.5) * transform.e * k
            lon_g, lat_g = np.meshgrid(lons, lats)
            n_coarse = undulation(lon_g.ravel(), lat_g.ravel()).reshape(cr, cc).astype(np.float32)
            n_full = np.empty(shape, dtype=np.float32)
            reproject(source=n_coarse, destination=n_full, src_transform=coarse, src_crs=wgs84,
                      dst_transform=transform, dst_crs=wgs84, resampling=Resampling.bilinear)
            values -= n_full
        out[todo] = values[todo]
    return out


def ground_heights(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Orthometric ground heights for many points (NaN where no DEM covers),
    from the DEMs registered now (:func:`heights_from`)."""
    return heights_from(DemRaster.objects.all(), lons, lats)
