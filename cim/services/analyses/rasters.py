"""Raster helpers shared by the grid analyses (flood, viewshed): GDAL's
rasterizer and in-memory rasters through the GDAL library GeoDjango loads
(ctypes, no second GDAL), the ground on a grid, bilinear upsampling."""

from __future__ import annotations

import ctypes
import functools

import numpy as np

__all__ = ["GROUND_STEP_M", "bilinear_upsample", "coarse_ground_surface", "gdal_rasterize_wkb",
           "ground_surface", "mem_raster", "read_band", "separable_bilinear", "transformer"]

GROUND_STEP_M = 10.0  # the ground is sampled from the DEMs (30 m and coarser) at about this spacing

GDT = {np.dtype("uint8"): (1, "Byte"), np.dtype("int32"): (5, "Int32"),
       np.dtype("float32"): (6, "Float32"), np.dtype("float64"): (7, "Float64")}


def _lib():
    from django.contrib.gis.gdal.libgdal import lgdal

    lgdal.GDALOpen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lgdal.GDALOpen.restype = ctypes.c_void_p
    lgdal.GDALRasterIO.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                   ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                   ctypes.c_int, ctypes.c_int]
    lgdal.GDALRasterIO.restype = ctypes.c_int
    return lgdal


def mem_raster(data: np.ndarray, transform, srid: int, nodata: float | None = None):
    """A GDAL in-memory raster (GeoDjango's ``GDALRaster``) over ``data`` itself (no
    copy: GDAL reads and writes the array) on the north-up grid ``transform``."""
    from django.contrib.gis.gdal import Driver, GDALRaster

    Driver.ensure_registered()
    if not data.flags.c_contiguous or data.dtype not in GDT:
        raise ValueError("a C-contiguous uint8, int32, float32 or float64 array is needed")
    rows, cols = data.shape
    name = (f"MEM:::DATAPOINTER={data.ctypes.data},PIXELS={cols},LINES={rows},"
            f"DATATYPE={GDT[data.dtype][1]}")
    handle = _lib().GDALOpen(name.encode(), 1)  # GA_Update
    if not handle:
        raise RuntimeError("GDAL could not open an in-memory raster")
    raster = GDALRaster(ctypes.c_void_p(handle), write=True)
    raster._array = data  # the memory GDAL works on lives as long as the raster
    raster.geotransform = [transform.c, transform.a, transform.b, transform.f, transform.d, transform.e]
    raster.srs = srid
    if nodata is not None:
        raster.bands[0].nodata_value = nodata
    return raster


def read_band(raster, dtype=np.uint8) -> np.ndarray:
    """Band 1 of a GDAL raster as a new array (one ``GDALRasterIO`` call)."""
    band = raster.bands[0]
    out = np.empty((raster.height, raster.width), dtype=dtype)
    err = _lib().GDALRasterIO(band._ptr, 0, 0, 0, raster.width, raster.height, out.ctypes.data,
                              raster.width, raster.height, GDT[out.dtype][0], 0, 0)
    if err != 0:
        raise RuntimeError(f"GDALRasterIO failed ({err})")
    return out


def gdal_rasterize_wkb(wkbs: list[bytes], values, transform, shape: tuple[int, int], srid: int,
                       dtype=np.int32, *, all_touched: bool = False) -> np.ndarray:
    """Burn each WKB geometry (in the grid's CRS) with its value into a grid of
    ``shape`` (GDAL's ``GDALRasterizeGeometries``, as ``gdal_rasterize``: cells whose
    centre lies inside, or ``all_touched``; later geometries over earlier ones)."""
    from django.contrib.gis.gdal.libgdal import lgdal

    out = np.zeros(shape, dtype=dtype)
    if not wkbs:
        return out
    raster = mem_raster(out, transform, srid)  # GDAL burns into ``out`` itself
    create = lgdal.OGR_G_CreateFromWkb
    create.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    create.restype = ctypes.c_int
    destroy = lgdal.OGR_G_DestroyGeometry
    destroy.argtypes = [ctypes.c_void_p]
    rasterize = lgdal.GDALRasterizeGeometries
    rasterize.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
                          ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.POINTER(ctypes.c_double), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    rasterize.restype = ctypes.c_int
    geoms = (ctypes.c_void_p * len(wkbs))()
    try:
        for i, wkb in enumerate(wkbs):
            handle = ctypes.c_void_p()
            if create(wkb, None, ctypes.byref(handle), len(wkb)) != 0:
                raise ValueError(f"geometry {i} is not valid WKB")
            geoms[i] = handle
        burn = np.ascontiguousarray(values, dtype=np.float64)
        band = (ctypes.c_int * 1)(1)
        options = (ctypes.c_char_p * 2)(b"ALL_TOUCHED=TRUE" if all_touched else None, None)
        err = rasterize(raster._ptr, 1, band, len(wkbs), geoms, None, None,
                        burn.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), options, None, None)
        if err != 0:
            raise RuntimeError(f"GDALRasterizeGeometries failed ({err})")
    finally:
        for handle in geoms:
            if handle:
                destroy(handle)
    del raster
    return out


def _axis_weights(pos: np.ndarray, size: int):
    """Sparse bilinear weights (len(pos) × size) of fractional cell-centre positions
    ``pos`` (held at the edges), as the platform's DEM sampler interpolates."""
    from scipy import sparse

    pos = np.clip(pos, 0, size - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), max(size - 2, 0))
    f = (pos - i0).astype(np.float32)
    at = np.arange(pos.size)
    return sparse.csr_matrix((np.concatenate([1 - f, f]), (np.concatenate([at, at]),
                              np.concatenate([i0, np.minimum(i0 + 1, size - 1)]))),
                             shape=(pos.size, size), dtype=np.float32)


def separable_bilinear(source: np.ndarray, col_pos: np.ndarray, row_pos: np.ndarray) -> np.ndarray:
    """``source`` interpolated bilinearly at the grid of fractional positions
    ``row_pos`` × ``col_pos`` (in source cell-centre units): two sparse passes, one
    for each axis (tens of milliseconds for millions of cells)."""
    source = source.astype(np.float32, copy=False)  # NaN spreads to the cells beside it
    across = (_axis_weights(col_pos, source.shape[1]) @ source.T).T  # source rows × grid cols
    return np.ascontiguousarray(_axis_weights(row_pos, source.shape[0]) @ across, dtype=np.float32)


def bilinear_upsample(coarse: np.ndarray, k: int, shape: tuple[int, int]) -> np.ndarray:
    """A grid of ``shape`` whose cells are ``k`` times smaller than ``coarse``'s (same
    upper-left corner), interpolated bilinearly between the coarse cells' centres
    (edges held)."""
    rows, cols = shape
    return separable_bilinear(coarse, (np.arange(cols) + 0.5) / k - 0.5, (np.arange(rows) + 0.5) / k - 0.5)


@functools.lru_cache(maxsize=8)
def transformer(source: int, target: int):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)  # a third of a second to build


def _lonlat_grid(xs: np.ndarray, ys: np.ndarray, srid: int) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of the metric grid points (xs × ys): projected exactly
    at about 17 × 17 of them and interpolated (bicubic) between — the projection is
    smooth at this scale, the error far below a millimetre — instead of projecting
    every point."""
    from scipy.interpolate import RectBivariateSpline

    def sub(v):
        return v if v.size <= 17 else np.linspace(v[0], v[-1], 17)

    sx, sy = sub(xs), sub(ys)
    gx, gy = np.meshgrid(sx, sy)
    lon, lat = transformer(srid, 4326).transform(gx, gy)
    if sx.size == xs.size and sy.size == ys.size:
        return lon, lat
    order_x, order_y = min(3, sx.size - 1), min(3, sy.size - 1)
    # RectBivariateSpline wants increasing coordinates: y runs north to south.
    fit = {name: RectBivariateSpline(-sy, sx, values, kx=order_y, ky=order_x)
           for name, values in (("lon", lon), ("lat", lat))}
    return fit["lon"](-ys, xs), fit["lat"](-ys, xs)


def ground_surface(transform, shape: tuple[int, int], srid: int, *, k: int) -> np.ndarray:
    """Orthometric ground heights (NaN where no DEM covers, the best DEM first) on the
    north-up grid ``transform`` (CRS ``srid``) of ``shape``.  A lon/lat grid over
    orthometric DEMs: the sampler's bilinear rule at every cell, axis by axis.
    Otherwise: the DEMs sampled with the platform's one bilinear sampler at every
    ``k``-th cell centre or so, then bilinear down to the cells — the DEMs being far
    coarser than the cells, the same heights at a fraction of the cost."""
    from cim.models import DemRaster
    from cim.services.terrain import grid_for

    rows, cols = shape
    dems = list(DemRaster.objects.all())
    if srid == 4326 and transform.b == 0 and transform.d == 0 and all(
            d.vertical_datum != "ellipsoid" for d in dems):
        # A lon/lat grid over lon/lat DEMs: the sampler's bilinear rule, axis by axis, at every cell.
        out = np.full(shape, np.nan, dtype=np.float32)
        lons = transform.c + (np.arange(cols) + 0.5) * transform.a
        lats = transform.f + (np.arange(rows) + 0.5) * transform.e
        for dem in dems:
            grid = grid_for(dem)
            inv = ~grid.transform
            col_pos = inv.a * lons + inv.c - 0.5
            row_pos = inv.e * lats + inv.f - 0.5
            dem_rows, dem_cols = grid.data.shape
            cols_in = (col_pos >= -0.5) & (col_pos <= dem_cols - 0.5)
            rows_in = (row_pos >= -0.5) & (row_pos <= dem_rows - 0.5)
            if not cols_in.any() or not rows_in.any():
                continue
            # Positions grow along each axis: the covered cells are one block.
            (r0, r1), (c0, c1) = (np.flatnonzero(rows_in)[[0, -1]] + [0, 1],
                                  np.flatnonzero(cols_in)[[0, -1]] + [0, 1])
            values = separable_bilinear(grid.data, col_pos[c0:c1], row_pos[r0:r1])
            window = out[r0:r1, c0:c1]  # a view
            np.copyto(window, values, where=np.isnan(window))
        return out
    return coarse_ground_surface(dems, transform, shape, srid, k=k)


def coarse_ground_surface(dems, transform, shape: tuple[int, int], srid: int, *, k: int) -> np.ndarray:
    """:func:`ground_surface`'s general rule (the DEMs sampled about every ``k``-th cell
    centre, then bilinear down to the cells) over ``dems`` already read (best first):
    no database access, so that it may run in a worker thread beside other work."""
    from cim.services.terrain import heights_from

    rows, cols = shape
    xs = transform.c + (np.arange(-(-cols // k) + 1) + 0.5) * transform.a * k
    ys = transform.f + (np.arange(-(-rows // k) + 1) + 0.5) * transform.e * k
    if srid == 4326:
        lons, lats = np.meshgrid(xs, ys)
    else:
        lons, lats = _lonlat_grid(xs, ys, srid)
    coarse = heights_from(dems, lons.ravel(), lats.ravel()).reshape(lons.shape)
    return bilinear_upsample(coarse, k, shape)
