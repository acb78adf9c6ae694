"""Registering a DEM: validate, convert to a Cloud-Optimised GeoTIFF in
EPSG:4326 under ``CIM['DEM_DIR']``, and record it as a :class:`DemRaster`."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db import transaction
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.warp import calculate_default_transform, reproject

from cim.conf import cim_settings
from cim.errors import ImportFailed
from cim.models import DemRaster, ImportRun
from cim.services.audit import audit_record
from cim.services.imports import file_checksum

MIN_PLAUSIBLE_M = -500.0  # Dead Sea shore is −430 m
MAX_PLAUSIBLE_M = 9000.0


def gdal_path(path: Path) -> str:
    """The path GDAL opens: ``zip://…!member.hgt`` for a zipped SRTM tile."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith((".hgt", ".tif", ".tiff"))]
        except zipfile.BadZipFile:
            raise ImportFailed(f"{path.name}: not a readable zip archive (corrupt or truncated)",
                               field="file") from None
        if len(members) != 1:
            raise ImportFailed(f"{path.name}: expected one .hgt or .tif inside the zip, found "
                               f"{len(members)}", field="file")
        return f"zip://{path}!{members[0]}"
    return str(path)


def _read_4326(src, crs: CRS) -> tuple[np.ndarray, rasterio.Affine, float | None]:
    """The first band as float32 in EPSG:4326 (reprojected if needed)."""
    nodata = src.nodata
    data = src.read(1).astype(np.float32)
    if nodata is not None:
        data[data == nodata] = np.nan
    data[data <= -1000] = np.nan  # SRTM voids (−32768) even when undeclared
    if crs.to_epsg() == 4326:
        return data, src.transform, nodata
    dst_transform, width, height = calculate_default_transform(
        crs, "EPSG:4326", src.width, src.height, *src.bounds)
    out = np.full((height, width), np.nan, dtype=np.float32)
    reproject(data, out, src_transform=src.transform, src_crs=crs, src_nodata=np.nan,
              dst_transform=dst_transform, dst_crs="EPSG:4326", dst_nodata=np.nan,
              resampling=Resampling.bilinear)
    return out, dst_transform, nodata


def dem_register(
    *,
    source_path: Path,
    name: str | None = None,
    crs: str | None = None,
    vertical_datum: str = "egm96",
    synthetic: bool = False,
    priority: int = 0,
    run: ImportRun | None = None,
    by=None,
) -> DemRaster:
    """Validate a DEM file and register it (re-registering the same file
    updates the record in place).  Raises :class:`ImportFailed` with the
    reason on a corrupt file, a missing CRS or implausible heights; nothing is
    stored then."""
    source_path = Path(source_path)
    if not source_path.is_file():
        raise ImportFailed(f"{source_path}: file not found", field="file")
    checksum = file_checksum(source_path)
    try:
        src_ctx = rasterio.open(gdal_path(source_path))
    except RasterioIOError as exc:
        raise ImportFailed(f"{source_path.name}: GDAL cannot read it as a raster ({exc})",
                           field="file") from None
    with src_ctx as src:
        if src.count < 1:
            raise ImportFailed(f"{source_path.name}: the raster has no band", field="file")
        src_crs = CRS.from_user_input(crs) if crs else src.crs
        if src_crs is None:
            raise ImportFailed(
                f"{source_path.name}: no coordinate reference system in the file; give one "
                "(e.g. --crs EPSG:4326)", field="crs")
        try:
            data, transform, nodata = _read_4326(src, src_crs)
        except RasterioIOError as exc:
            raise ImportFailed(f"{source_path.name}: the raster data cannot be read (truncated or "
                               f"corrupt): {exc}", field="file") from None
    valid = data[np.isfinite(data)]
    if valid.size == 0:
        raise ImportFailed(f"{source_path.name}: every cell is void", field="file")
    lo, hi = float(valid.min()), float(valid.max())
    if lo < MIN_PLAUSIBLE_M or hi > MAX_PLAUSIBLE_M:
        raise ImportFailed(
            f"{source_path.name}: heights {lo:.0f}…{hi:.0f} m are not plausible for terrain "
            f"(expected {MIN_PLAUSIBLE_M:.0f}…{MAX_PLAUSIBLE_M:.0f} m); wrong units or datum?",
            field="file")

    height, width = data.shape
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ImportFailed(f"{source_path.name}: extent {west},{south},{east},{north} is not a "
                           "valid longitude/latitude range; is the CRS right?", field="crs")
    mid_lat = math.radians((north + south) / 2)
    res_m = abs(transform.a) * 111_320 * math.cos(mid_lat)

    dem_dir = Path(cim_settings.DEM_DIR)
    dem_dir.mkdir(parents=True, exist_ok=True)
    out_path = dem_dir / f"{checksum[:16]}.tif"
    tmp_path = out_path.with_suffix(".tmp.tif")
    profile = {
        "driver": "COG", "dtype": "float32", "count": 1, "width": width, "height": height,
        "crs": "EPSG:4326", "transform": transform, "nodata": np.nan, "compress": "deflate",
        "predictor": 3, "blocksize": 256,
    }
    existed = out_path.exists()
    with rasterio.open(tmp_path, "w", **profile) as dst:
        dst.write(data, 1)
    tmp_path.replace(out_path)  # content-addressed: the same file gives the same name

    relative = (str(out_path.relative_to(settings.MEDIA_ROOT))
                if out_path.is_relative_to(settings.MEDIA_ROOT) else str(out_path))
    fields = dict(
        name=name or source_path.stem, source_name=source_path.name, checksum=checksum,
        crs=src_crs.to_string(), vertical_datum=vertical_datum,
        bounds=Polygon.from_bbox((west, south, east, north)), width=width, height=height,
        resolution_m=res_m, nodata=nodata, min_elevation=lo, max_elevation=hi,
        priority=priority, synthetic=synthetic, import_run=run,
    )
    try:
        with transaction.atomic():
            dem, created = DemRaster.objects.update_or_create(path=relative, defaults=fields)
            audit_record(actor=by or "system", action="dem.register" if created else "dem.update",
                         obj=dem, after={"name": dem.name, "checksum": checksum, "crs": dem.crs})
    except Exception:
        if not existed:
            out_path.unlink(missing_ok=True)
        raise
    return dem
