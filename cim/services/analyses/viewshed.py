"""可视域分析 (viewshed) and 通视分析 (line of sight) over a surface model of
the terrain plus the buildings.

The surface is a north-up grid in the city's metric CRS (``METRIC_SRID``,
CGCS2000 Gauss-Krüger) with square cells of the chosen size: the ground from
the registered DEMs (bilinear, GDAL), and inside each building footprint its
roof (base elevation + height), the footprints burnt in by GDAL's rasterizer.
Heights are orthometric (EGM96, as the DEM).

The viewshed itself is GDAL's (``GDALViewshedGenerate``, the algorithm behind
``gdal_viewshed``), called in process through the GDAL library GeoDjango
already loads, with ``gdal_viewshed``'s defaults: the edge mode, a curvature
coefficient of 0.85714 (the earth's curvature with standard refraction).  The
observer stands ``observer_height`` metres above the surface at its cell (on a
roof when placed on one); a cell is visible when a target ``target_height``
metres above it can be seen.

Line of sight samples the same surface along the segment (every half cell)
with the same curvature correction and reports the first sample that rises
above the sight line: where, how high, and on which building.
"""

from __future__ import annotations

import ctypes
import io
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from rasterio.transform import Affine

from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import AnalysisRun, DemRaster
from cim.models.analyses import AnalysisKind
from cim.progress import Callback
from cim.roles import acting_user
from cim.services.analyses.rasters import (
    GROUND_STEP_M,
    coarse_ground_surface,
    gdal_rasterize_wkb,
    mem_raster,
    read_band,
    transformer,
)
from cim.services.audit import audit_record
from cim.services.terrain import ground_height
from config.common.clip import clip

__all__ = [
    "GROUND_STEP_M",
    "MAX_RADIUS_M",
    "Surface",
    "gdal_viewshed",
    "line_of_sight",
    "line_of_sight_run",
    "surface_grid",
    "viewshed_image_path",
    "viewshed_raster_path",
    "viewshed_run",
]

MAX_RADIUS_M = 5000.0
CELL_RANGE_M = (1.0, 50.0)
MAX_CELLS = 26_000_000  # a 5 km radius at 2 m cells
CURVATURE_COEFF = 0.85714  # gdal_viewshed's default: curvature with standard refraction
EARTH_DIAMETER_M = 12_741_994.0  # GDAL's value (SRS_WGS84_SEMIMAJOR × 2, as its viewshed uses)
# Cell values of a viewshed result.
OUTSIDE, HIDDEN, VISIBLE = 0, 1, 2
IMAGE_MAX_PX = 2048
DISTANCE_BANDS_M = 500.0


@dataclass
class Surface:
    """Terrain + buildings on a metric grid."""

    transform: Affine  # metric (METRIC_SRID) cell corners
    height: np.ndarray  # float32 surface heights (EGM96 m), NaN where no DEM covers
    building_ids: np.ndarray  # int32: the building whose roof a cell is (0: ground)
    srid: int

    @property
    def cell(self) -> float:
        return float(self.transform.a)


def _to_metric(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    t = transformer(4326, cim_settings.METRIC_SRID)
    return [t.transform(lon, lat) for lon, lat in points]


def _to_lonlat(x, y):
    return transformer(cim_settings.METRIC_SRID, 4326).transform(x, y)


_worker: list[ThreadPoolExecutor] = []


def _ground_worker() -> ThreadPoolExecutor:
    """One long-lived thread for the ground (pyproj keeps its transformers per thread: a
    new thread each run would build them again, a tenth of a second); a forked child
    (a Celery worker) starts its own."""
    if not _worker:
        _worker.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="viewshed-ground"))
    return _worker[0]


os.register_at_fork(after_in_child=_worker.clear)


def surface_grid(bounds: tuple[float, float, float, float], cell: float) -> Surface:
    """The surface over metric ``bounds`` (xmin, ymin, xmax, ymax) at ``cell`` metres:
    the grid starts at (xmin, ymax) and covers the bounds."""
    xmin, ymin, xmax, ymax = bounds
    cols, rows = max(1, math.ceil((xmax - xmin) / cell)), max(1, math.ceil((ymax - ymin) / cell))
    if cols * rows > MAX_CELLS:
        raise DomainError(f"{cols} × {rows} cells is too many at {cell:g} m: choose larger cells",
                          field="cell")
    if not DemRaster.objects.exists():
        # Every observer stands outside a missing elevation model: refused (as the callers would
        # refuse it) before rasterizing up to a million cells only to find the observer's one empty.
        raise DomainError("the observer stands outside the elevation model", field="observer")
    srid = cim_settings.METRIC_SRID
    transform = Affine(cell, 0, xmin, 0, -cell, ymax)
    # The ground (numpy, pyproj: no database) in a worker thread while this one reads the
    # footprints and GDAL burns them in: each waits on the database or runs in C with the
    # GIL released, so the two overlap.
    dems = list(DemRaster.objects.all())
    ground = _ground_worker().submit(coarse_ground_surface, dems, transform, (rows, cols), srid,
                                     k=max(1, int(GROUND_STEP_M // cell)))
    try:
        footprints = _footprints((xmin, ymax - rows * cell, xmin + cols * cell, ymax), srid)
        # Building ids burnt in by GDAL's rasterizer, then each covered cell takes its roof.
        ids = gdal_rasterize_wkb(footprints["wkb"], footprints["ids"], transform, (rows, cols), srid)
    finally:
        height = ground.result()
    roof = np.flatnonzero(ids)  # (flat positions: a few gathers instead of full-grid masks)
    if roof.size:
        index = _positions(footprints["ids"], ids.ravel()[roof])
        height = np.ascontiguousarray(height)
        flat = height.ravel()  # a view of it
        base = footprints["base"][index]
        base = np.where(np.isfinite(base), base, flat[roof])  # no base: the ground of the cell
        flat[roof] = base + footprints["height"][index]
    return Surface(transform=transform, height=height, building_ids=ids, srid=srid)


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The position of each of ``ids`` in ``sorted_ids`` (which holds them all): a table
    indexed by id where the ids are not too large (a gather, not a binary search per cell)."""
    top = int(sorted_ids[-1])
    if top > 8 * len(sorted_ids) + 1_000_000:
        return np.searchsorted(sorted_ids, ids)
    table = np.zeros(top + 1, dtype=np.int32)
    table[sorted_ids] = np.arange(len(sorted_ids), dtype=np.int32)
    return table[ids]


def _footprints(bounds, srid: int) -> dict:
    """The footprints meeting metric ``bounds``, as WKB in the metric CRS, with their
    ids, heights and bases (sorted by id)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, height, base_elevation, ST_AsBinary(ST_Transform(footprint, %(srid)s)) "
            "FROM cim_building WHERE footprint && ST_Transform(ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, "
            "%(y1)s, %(srid)s), 4326) ORDER BY id",
            {"srid": srid, "x0": bounds[0], "y0": bounds[1], "x1": bounds[2], "y1": bounds[3]},
        )
        rows = cur.fetchall()
    return {
        "ids": np.array([r[0] for r in rows], dtype=np.int64),
        "height": np.array([r[1] for r in rows], dtype=np.float32),
        "base": np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float32),
        "wkb": [bytes(r[3]) for r in rows],
    }


# -- GDAL's viewshed, in process ------------------------------------------------------------

_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_double, ctypes.c_char_p, ctypes.c_void_p)


def _viewshed_fn():
    from django.contrib.gis.gdal.libgdal import lgdal

    fn = lgdal.GDALViewshedGenerate
    fn.restype = ctypes.c_void_p
    fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                   *([ctypes.c_double] * 9), ctypes.c_int, ctypes.c_double, _PROGRESS, ctypes.c_void_p,
                   ctypes.c_int, ctypes.c_void_p]
    return fn


def gdal_viewshed(heights: np.ndarray, transform: Affine, srid: int, *, x: float, y: float,
                  observer_height: float, target_height: float, max_distance: float,
                  nodata: float | None = None, progress: Callback | None = None) -> np.ndarray:
    """GDAL's viewshed of ``heights`` (gdal_viewshed's defaults) from metric (x, y):
    VISIBLE / HIDDEN / OUTSIDE (beyond ``max_distance``) per cell, on the input grid."""
    from django.contrib.gis.gdal import GDALRaster

    rows, cols = heights.shape
    src = mem_raster(np.ascontiguousarray(heights, dtype=np.float32), transform, srid, nodata)
    failure: list[BaseException] = []

    @_PROGRESS
    def report(done, _message, _arg):
        if progress is None:
            return 1
        try:
            progress(int(done * 1000), 1000, "viewshed")
        except BaseException as exc:  # noqa: BLE001 - cancelled: stop GDAL, re-raise below
            failure.append(exc)
            return 0
        return 1

    handle = _viewshed_fn()(
        src.bands[0]._ptr, b"MEM", b"", None, x, y, observer_height, target_height,
        float(VISIBLE), float(HIDDEN), float(OUTSIDE), -1.0, CURVATURE_COEFF, 2,  # GVM_Edge
        max_distance, report, None, 1, None)  # GVOT_NORMAL
    if failure:
        if handle:
            GDALRaster(ctypes.c_void_p(handle))  # closed when collected
        raise failure[0]
    if not handle:
        raise DomainError("GDAL could not compute the viewshed here", field="observer")
    out = GDALRaster(ctypes.c_void_p(handle))
    # GDAL writes only the window within max_distance: put it back on the input grid.
    ox, _, _, oy, _, _ = out.geotransform
    c0 = round((ox - transform.c) / transform.a)
    r0 = round((oy - transform.f) / transform.e)
    if (r0, c0, out.height, out.width) == (0, 0, rows, cols):
        return read_band(out)
    result = np.full((rows, cols), OUTSIDE, dtype=np.uint8)
    result[r0:r0 + out.height, c0:c0 + out.width] = read_band(out)
    return result


# -- viewshed ---------------------------------------------------------------------------------


def _check_point(value, field: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise DomainError("must be [longitude, latitude] in degrees", field=field) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DomainError("must be [longitude, latitude] in degrees", field=field)
    return lon, lat


def _check_range(value: float, field: str, low: float, high: float, unit: str = "m") -> float:
    if value is None or not math.isfinite(value) or not low <= value <= high:
        raise DomainError(f"must lie between {low:g} and {high:g} {unit}", field=field)
    return float(value)


@dataclass
class ViewshedInput:
    observer: tuple[float, float]  # lon, lat
    radius: float = 1000.0
    cell: float = 2.0
    observer_height: float = 1.7
    target_height: float = 0.0

    def clean(self, *, check_ground: bool = False) -> ViewshedInput:
        """Check the ranges (``check_ground``: and that a DEM covers the observer, before
        a job is queued; the run itself finds it too)."""
        self.observer = _check_point(self.observer, "observer")
        if check_ground and ground_height(*self.observer) is None:
            raise DomainError("the observer stands outside the elevation model", field="observer")
        if self.radius is not None and self.radius > MAX_RADIUS_M:
            raise DomainError(f"the radius may be at most {MAX_RADIUS_M:g} m", field="radius")
        self.radius = _check_range(self.radius, "radius", 10, MAX_RADIUS_M)
        self.cell = _check_range(self.cell, "cell", *CELL_RANGE_M)
        if self.radius / self.cell < 5:
            raise DomainError("the radius must span at least 5 cells", field="cell")
        self.observer_height = _check_range(self.observer_height, "observer_height", 0, 1000)
        self.target_height = _check_range(self.target_height, "target_height", 0, 1000)
        return self


@dataclass
class Viewshed:
    surface: Surface
    cells: np.ndarray  # OUTSIDE / HIDDEN / VISIBLE
    x: float
    y: float
    ground: float  # the surface height at the observer


def viewshed_compute(v: ViewshedInput, *, progress: Callback | None = None) -> Viewshed:
    """The viewshed of a cleaned input, not saved."""
    (x, y), = _to_metric([v.observer])
    n = math.ceil(v.radius / v.cell)
    # The observer at the centre of the middle cell of a (2n + 1)² grid.
    half = (n + 0.5) * v.cell
    if progress:
        progress(0, 1000, "surface")
    surface = surface_grid((x - half, y - half, x + half, y + half), v.cell)
    ground = float(surface.height[n, n])
    if not math.isfinite(ground):
        raise DomainError("the observer stands outside the elevation model", field="observer")
    heights = surface.height
    nodata = None
    missing = ~np.isfinite(heights)
    if missing.any():
        nodata = -32768.0
        heights = np.where(missing, nodata, heights).astype(np.float32)
    cells = gdal_viewshed(heights, surface.transform, surface.srid, x=x, y=y,
                          observer_height=v.observer_height, target_height=v.target_height,
                          max_distance=v.radius, nodata=nodata, progress=progress)
    if nodata is not None:
        cells[missing] = OUTSIDE
    return Viewshed(surface=surface, cells=cells, x=x, y=y, ground=ground)


def viewshed_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "analyses"


def viewshed_image_path(run: AnalysisRun) -> Path:
    return viewshed_dir() / f"viewshed-{run.pk}.png"


def viewshed_raster_path(run: AnalysisRun) -> Path:
    return viewshed_dir() / f"viewshed-{run.pk}.tif"


def _summary(v: ViewshedInput, vs: Viewshed) -> dict:
    cell_area = vs.surface.cell ** 2
    visible = vs.cells == VISIBLE
    in_range = vs.cells != OUTSIDE
    rows, cols = vs.cells.shape
    # Visible share per distance band (a chart in the viewer).
    n = rows // 2
    offsets = (np.arange(rows, dtype=np.int32) - n) ** 2
    dist2 = offsets[:, None] + ((np.arange(cols, dtype=np.int32) - cols // 2) ** 2)[None, :]
    per_band = DISTANCE_BANDS_M / vs.surface.cell  # cells
    band = (np.sqrt(dist2, dtype=np.float32) / np.float32(per_band)).astype(np.int16)
    last = int(v.radius // DISTANCE_BANDS_M)
    np.minimum(band, last, out=band)
    total = np.bincount(band[in_range], minlength=last + 1)
    seen = np.bincount(band[visible], minlength=last + 1)
    bands = [{"from_m": i * DISTANCE_BANDS_M, "to_m": min((i + 1) * DISTANCE_BANDS_M, v.radius),
              "visible_m2": round(float(seen[i]) * cell_area, 1),
              "share": round(float(seen[i]) / float(total[i]), 4) if total[i] else 0.0}
             for i in range(len(total)) if i * DISTANCE_BANDS_M < v.radius]
    roofs = np.unique(vs.surface.building_ids[visible & (vs.surface.building_ids > 0)])
    lon, lat = v.observer
    return {
        "observer": {"lon": lon, "lat": lat, "ground_m": round(vs.ground, 2),
                     "eye_m": round(vs.ground + v.observer_height, 2)},
        "radius_m": v.radius, "cell_m": v.cell, "observer_height_m": v.observer_height,
        "target_height_m": v.target_height,
        "visible_area_m2": round(float(visible.sum()) * cell_area, 1),
        "analysed_area_m2": round(float(in_range.sum()) * cell_area, 1),
        "visible_share": round(float(visible.sum()) / max(1, int(in_range.sum())), 4),
        "visible_buildings": int(roofs.size),
        "bands": bands,
        "grid": {"cols": int(cols), "rows": int(rows), "srid": vs.surface.srid},
    }


def _display_image(vs: Viewshed) -> tuple[bytes, list[float]]:
    """The result warped to a lon/lat grid (nearest cell) as a PNG to drape:
    visible green, hidden red, outside transparent; and its bounds."""
    from PIL import Image
    from rasterio.crs import CRS
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    rows, cols = vs.cells.shape
    t = vs.surface.transform
    left, top = t.c, t.f
    right, bottom = left + cols * t.a, top + rows * t.e
    src_crs, dst_crs = CRS.from_epsg(vs.surface.srid), CRS.from_epsg(4326)
    scale = max(1.0, max(rows, cols) / IMAGE_MAX_PX)
    dst_t, w, h = calculate_default_transform(src_crs, dst_crs, cols, rows, left, bottom, right, top,
                                              dst_width=int(cols / scale), dst_height=int(rows / scale))
    out = np.zeros((h, w), dtype=np.uint8)
    reproject(vs.cells, out, src_transform=t, src_crs=src_crs, dst_transform=dst_t, dst_crs=dst_crs,
              resampling=Resampling.nearest, src_nodata=None,
              dst_nodata=OUTSIDE)
    image = Image.fromarray(out, "P")
    palette = [0, 0, 0, 231, 76, 60, 46, 204, 113] + [0] * (256 * 3 - 9)
    image.putpalette(palette)
    buf = io.BytesIO()
    image.save(buf, "PNG", transparency=bytes([0, 120, 150]), compress_level=1)
    bounds = [dst_t.c, dst_t.f + h * dst_t.e, dst_t.c + w * dst_t.a, dst_t.f]
    return buf.getvalue(), [round(b, 7) for b in bounds]


def _write_geotiff(path: Path, vs: Viewshed) -> None:
    import rasterio

    rows, cols = vs.cells.shape
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="uint8",
                       crs=f"EPSG:{vs.surface.srid}", transform=vs.surface.transform, nodata=OUTSIDE,
                       compress="deflate", zlevel=1, tiled=True) as dst:
        dst.write(vs.cells, 1)
        dst.update_tags(1, values="0 outside/no data, 1 hidden, 2 visible")


def viewshed_run(*, by, observer, radius: float = 1000.0, cell: float = 2.0, observer_height: float = 1.7,
                 target_height: float = 0.0, title: str = "",
                 progress: Callback | None = None) -> AnalysisRun:
    """Run the viewshed and save it: the run, its display image and its GeoTIFF."""
    v = ViewshedInput(observer=observer, radius=radius, cell=cell, observer_height=observer_height,
                      target_height=target_height).clean()
    vs = viewshed_compute(v, progress=progress)
    summary = _summary(v, vs)
    png, bounds = _display_image(vs)
    summary["image_bounds"] = bounds
    with transaction.atomic():
        run = AnalysisRun.objects.create(
            kind=AnalysisKind.VIEWSHED, title=clip(AnalysisRun, "title", title or "可视域分析"),
            params={"observer": list(v.observer), "radius": v.radius, "cell": v.cell,
                    "observer_height": v.observer_height, "target_height": v.target_height,
                    "curvature_coeff": CURVATURE_COEFF},
            summary=summary, result={},
            model_version=AnalysisRun.current_model_version(), created_by=acting_user(by),
        )
        folder = viewshed_dir()
        folder.mkdir(parents=True, exist_ok=True)
        viewshed_image_path(run).write_bytes(png)
        _write_geotiff(viewshed_raster_path(run), vs)
        audit_record(actor=by, action="analysis.viewshed", obj=run,
                     after={"observer": list(v.observer), "radius": v.radius,
                            "visible_area_m2": summary["visible_area_m2"]})
    return run


# -- line of sight ------------------------------------------------------------------------------


@dataclass
class SightInput:
    observer: tuple[float, float]
    target: tuple[float, float]
    observer_height: float = 1.7
    target_height: float = 1.7
    cell: float = 1.0

    def clean(self) -> SightInput:
        self.observer = _check_point(self.observer, "observer")
        self.target = _check_point(self.target, "target")
        self.observer_height = _check_range(self.observer_height, "observer_height", 0, 1000)
        self.target_height = _check_range(self.target_height, "target_height", 0, 1000)
        self.cell = _check_range(self.cell, "cell", *CELL_RANGE_M)
        return self


def line_of_sight(s: SightInput) -> dict:
    """Whether the target can be seen from the observer, and if not, where the sight
    line is first blocked; with the profile (surface and sight line) for a chart."""
    (x0, y0), (x1, y1) = _to_metric([s.observer, s.target])
    length = math.hypot(x1 - x0, y1 - y0)
    if length > 2 * MAX_RADIUS_M:
        raise DomainError(f"the target lies {length:,.0f} m away: at most {2 * MAX_RADIUS_M:g} m",
                          field="target")
    if length < 2 * s.cell:
        raise DomainError("the target must lie at least two cells from the observer", field="target")
    pad = 2 * s.cell
    surface = surface_grid((min(x0, x1) - pad, min(y0, y1) - pad, max(x0, x1) + pad, max(y0, y1) + pad),
                           s.cell)
    steps = max(2, math.ceil(length / (s.cell / 2)))
    d = np.linspace(0.0, length, steps + 1)
    xs, ys = x0 + (x1 - x0) * d / length, y0 + (y1 - y0) * d / length
    inv = ~surface.transform
    cols = np.floor(inv.a * xs + inv.b * ys + inv.c).astype(np.int64)
    rows = np.floor(inv.d * xs + inv.e * ys + inv.f).astype(np.int64)
    rows = np.clip(rows, 0, surface.height.shape[0] - 1)
    cols = np.clip(cols, 0, surface.height.shape[1] - 1)
    z = surface.height[rows, cols].astype(np.float64)
    if not math.isfinite(z[0]):
        raise DomainError("the observer stands outside the elevation model", field="observer")
    if not math.isfinite(z[-1]):
        raise DomainError("the target lies outside the elevation model", field="target")
    eye, aim = z[0] + s.observer_height, z[-1] + s.target_height
    drop = CURVATURE_COEFF * d ** 2 / EARTH_DIAMETER_M  # the surface seen lower far away
    sight = eye + (aim - drop[-1] - eye) * d / length + drop  # in the surface's frame
    # Samples within one cell of either end stand on the observer's or target's own cell.
    inner = (d > s.cell) & (d < length - s.cell)
    blocked_at = np.flatnonzero(inner & np.isfinite(z) & (z > sight))
    ids = surface.building_ids[rows, cols]
    result = {
        "length_m": round(length, 1),
        "observer": {"lon": s.observer[0], "lat": s.observer[1], "ground_m": round(z[0], 2),
                     "eye_m": round(eye, 2)},
        "target": {"lon": s.target[0], "lat": s.target[1], "ground_m": round(z[-1], 2),
                   "aim_m": round(aim, 2)},
        "visible": blocked_at.size == 0,
        "obstruction": None,
    }
    if blocked_at.size:
        i = int(blocked_at[0])
        lon, lat = _to_lonlat(xs[i], ys[i])
        result["obstruction"] = {
            "lon": round(float(lon), 7), "lat": round(float(lat), 7), "distance_m": round(float(d[i]), 1),
            "surface_m": round(float(z[i]), 2), "sight_m": round(float(sight[i]), 2),
            "building": int(ids[i]) or None,
            "blocked_length_m": round(float(blocked_at.size) * float(d[1] - d[0]), 1),
        }
    # The profile, thinned to at most 400 points, for the chart.
    pick = np.unique(np.linspace(0, d.size - 1, min(d.size, 400)).round().astype(int))
    result["profile"] = {"distance_m": np.round(d[pick], 1).tolist(),
                         "surface_m": [None if not math.isfinite(v) else round(v, 2) for v in z[pick]],
                         "sight_m": np.round(sight[pick], 2).tolist()}
    return result


def line_of_sight_run(*, by, observer, target, observer_height: float = 1.7, target_height: float = 1.7,
                      cell: float = 1.0, title: str = "") -> AnalysisRun:
    s = SightInput(observer=observer, target=target, observer_height=observer_height,
                   target_height=target_height, cell=cell).clean()
    result = line_of_sight(s)
    summary = {k: result[k] for k in ("length_m", "visible", "observer", "target", "obstruction")}
    with transaction.atomic():
        run = AnalysisRun.objects.create(
            kind=AnalysisKind.LINE_OF_SIGHT, title=clip(AnalysisRun, "title", title or "通视分析"),
            params={"observer": list(s.observer), "target": list(s.target),
                    "observer_height": s.observer_height, "target_height": s.target_height, "cell": s.cell,
                    "curvature_coeff": CURVATURE_COEFF},
            summary=summary, result={"profile": result["profile"]},
            model_version=AnalysisRun.current_model_version(), created_by=acting_user(by),
        )
        audit_record(actor=by, action="analysis.line_of_sight", obj=run,
                     after={"visible": result["visible"], "length_m": result["length_m"]})
    return run
