"""Raster helpers shared by the grid analyses (flood, viewshed): GDAL's
rasterizer and in-memory rasters through the GDAL library GeoDjango loads
(ctypes, no second GDAL), vector shapes for rasterio, bilinear upsampling."""

from __future__ import annotations

import ctypes

import numpy as np

__all__ = ["bilinear_upsample", "gdal_rasterize_wkb", "mem_raster", "plain_polygons", "read_band"]

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
                       dtype=np.int32) -> np.ndarray:
    """Burn each WKB geometry (in the grid's CRS) with its value into a grid of
    ``shape`` (GDAL's ``GDALRasterizeGeometries``, as ``gdal_rasterize``: cells whose
    centre lies inside; later geometries over earlier ones)."""
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
        err = rasterize(raster._ptr, 1, band, len(wkbs), geoms, None, None,
                        burn.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), None, None, None)
        if err != 0:
            raise RuntimeError(f"GDALRasterizeGeometries failed ({err})")
    finally:
        for handle in geoms:
            if handle:
                destroy(handle)
    del raster
    return out


def plain_polygons(values, geoms) -> list[tuple[object, dict]]:
    """(value, GeoJSON polygon dict) per polygon part (``values``: one per geometry,
    a pk or a height), built from coordinate arrays in a few vectorised calls
    (shapely's per-geometry ``__geo_interface__`` costs ten times more for the tens
    of thousands of footprints of a city)."""
    import shapely

    parts, index = shapely.get_parts(geoms, return_index=True)
    owners = np.asarray(values)[index]
    holes = shapely.get_num_interior_rings(parts) > 0
    out: list[tuple[object, dict]] = [(owners[i].item(), parts[i].__geo_interface__)
                                      for i in np.flatnonzero(holes)]
    simple = np.flatnonzero(~holes)
    coords, ring_of = shapely.get_coordinates(shapely.get_exterior_ring(parts[simple]), return_index=True)
    cuts = np.flatnonzero(np.diff(ring_of)) + 1
    for i, ring in zip(simple, np.split(coords, cuts), strict=True):
        out.append((owners[i].item(), {"type": "Polygon", "coordinates": [ring.tolist()]}))
    return out


def bilinear_upsample(coarse: np.ndarray, k: int, shape: tuple[int, int]) -> np.ndarray:
    """A grid of ``shape`` whose cells are ``k`` times smaller than ``coarse``'s (same
    upper-left corner), interpolated bilinearly between the coarse cells' centres
    (edges held): two sparse interpolation matrices, one pass each (tens of
    milliseconds for millions of cells, where resampling the source at the fine size
    costs a second)."""
    from scipy import sparse

    def weights(n: int, size: int):
        pos = np.clip((np.arange(n) + 0.5) / k - 0.5, 0, size - 1)
        i0 = np.minimum(np.floor(pos).astype(np.int64), max(size - 2, 0))
        f = (pos - i0).astype(np.float32)
        at = np.arange(n)
        return sparse.csr_matrix((np.concatenate([1 - f, f]), (np.concatenate([at, at]),
                                  np.concatenate([i0, np.minimum(i0 + 1, size - 1)]))),
                                 shape=(n, size), dtype=np.float32)

    rows, cols = shape
    coarse = coarse.astype(np.float32, copy=False)  # NaN (no DEM) spreads to the cells beside it
    across = (weights(cols, coarse.shape[1]) @ coarse.T).T  # coarse rows × fine cols
    return np.ascontiguousarray(weights(rows, coarse.shape[0]) @ across, dtype=np.float32)
