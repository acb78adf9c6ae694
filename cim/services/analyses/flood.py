"""淹没分析: the ground a flood covers when the water stands at a level —
only what is connected to the river (not every low cell: the bathtub
mistake) — with buildings as obstacles, and what it touches: buildings,
addresses and the people in them, and road segments (which the command
console can close with one click).

The grid is north-up in longitude/latitude (so that the depth image drapes
onto the 3D globe as it is) with cells of about ``cell`` metres; ground
heights come from the registered DEMs (bilinear).  Two ways to give the water:

* ``level``: one absolute water level (1985 datum, metres);
* ``rise``: metres above the river's current level, taken at the nearest
  river cell (a river falls downstream; one absolute level would drown the
  lower town and miss the upper one).

A cell floods when its ground lies below the water there, it is not inside
a building footprint (with ``obstacles``), and it is connected (edge to
edge) to a river cell through flooded cells.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.db.models import Count
from rasterio import features
from rasterio.transform import Affine
from scipy import ndimage

from cim.choices import WaterwayKind
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import Address, AnalysisRun, Building, RoadSegment
from cim.models.analyses import AnalysisKind
from cim.progress import Callback
from cim.roles import acting_user
from cim.services.analyses.rasters import GROUND_STEP_M, gdal_rasterize_wkb, ground_surface
from cim.services.audit import audit_record
from config.common.clip import clip

__all__ = ["FloodGrid", "city_extent", "connected_flood", "depth_image_path", "flood_check", "flood_grid",
           "flood_run"]

MAX_CELLS = 40_000_000
EDGES = ndimage.generate_binary_structure(2, 1)  # edge-connected (water does not leak through corners)


@dataclass
class FloodGrid:
    """The inputs of the flood on one grid."""

    transform: Affine  # lon/lat of cell corners
    ground: np.ndarray  # float32, 1985-datum metres, NaN outside the DEMs
    river: np.ndarray  # bool: river cells (the seeds)
    obstacle: np.ndarray  # bool: inside a building footprint
    building_ids: np.ndarray  # int64: building id per cell (0: none)
    cell_area_m2: float


def connected_flood(ground: np.ndarray, water: np.ndarray | float, seeds: np.ndarray,
                    obstacle: np.ndarray | None = None) -> np.ndarray:
    """Cells below ``water`` connected edge-to-edge to a seed cell through such cells."""
    wet = np.isfinite(ground) & (ground < water)
    if obstacle is not None:
        wet &= ~obstacle
    labels, n = ndimage.label(wet, structure=EDGES)
    if n == 0:
        return np.zeros(ground.shape, dtype=bool)
    keep = np.zeros(n + 1, dtype=bool)
    keep[np.unique(labels[seeds & wet])] = True
    keep[0] = False
    return keep[labels]


def flood_grid(extent: tuple[float, float, float, float], cell: float, *,
               obstacles: bool = True, main_rivers_only: bool = False) -> FloodGrid:
    west, south, east, north = extent
    lat_mid = (south + north) / 2
    dx = cell / (111_320.0 * math.cos(math.radians(lat_mid)))
    dy = cell / 110_540.0
    cols, rows = max(1, math.ceil((east - west) / dx)), max(1, math.ceil((north - south) / dy))
    if cols * rows > MAX_CELLS:
        raise DomainError(f"{cols} × {rows} cells is too many at {cell:g} m: choose a larger cell "
                          "or a smaller extent", field="cell")
    transform = Affine(dx, 0, west, 0, -dy, north)
    ground = ground_surface(transform, (rows, cols), 4326, k=max(1, int(GROUND_STEP_M // cell)))
    ground += np.float32(cim_settings.DATUM_1985_OFFSET_M)
    if not np.isfinite(ground).any():
        raise DomainError("no elevation model covers this extent", field="extent")
    box = (west, south, east, north)
    kinds = [WaterwayKind.RIVER] if main_rivers_only else [WaterwayKind.RIVER, WaterwayKind.STREAM]
    rivers = _wkb("cim_waterway", "geom", box, "kind = ANY(%(kinds)s)", kinds=kinds)
    if not rivers:
        raise DomainError("no river in this extent to flood from", field="extent")
    river = gdal_rasterize_wkb([w for _, w in rivers], np.ones(len(rivers)), transform, (rows, cols), 4326,
                               np.uint8, all_touched=True).astype(bool)
    buildings = _wkb("cim_building", "footprint", box)
    ids = gdal_rasterize_wkb([w for _, w in buildings], [pk for pk, _ in buildings], transform, (rows, cols),
                             4326, np.int32)
    obstacle = (ids > 0) & ~river if obstacles else np.zeros((rows, cols), dtype=bool)
    return FloodGrid(transform=transform, ground=ground, river=river, obstacle=obstacle, building_ids=ids,
                     cell_area_m2=cell * cell)


def _wkb(table: str, column: str, box, where: str = "TRUE", **params) -> list[tuple[int, bytes]]:
    """(id, WKB) of the rows of ``table`` whose ``column``'s bounding box meets the
    lon/lat ``box`` (the rasterizer clips the rest), in one query (the spatial index
    finds them; no geometry objects in Python)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, ST_AsBinary({column}) FROM {table} "  # noqa: S608 - names are constants
                    f"WHERE {column} && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) "
                    f"AND {where} ORDER BY id",
                    {"w": box[0], "s": box[1], "e": box[2], "n": box[3], **params})
        return [(pk, bytes(wkb)) for pk, wkb in cur.fetchall()]


def _water_surface(grid: FloodGrid, *, level: float | None, rise: float | None) -> np.ndarray | float:
    river_ground = grid.ground[grid.river & np.isfinite(grid.ground)]
    if river_ground.size == 0:
        raise DomainError("the river lies outside the elevation model", field="extent")
    if level is not None:
        if level <= float(river_ground.min()):
            raise DomainError(f"a water level of {level:.2f} m is below the river "
                              f"(lowest {river_ground.min():.2f} m): nothing floods", field="level")
        return level
    # The river's level at the nearest river cell, plus the rise; the nearest cell is
    # found on a grid four times coarser (the level changes by centimetres over 20 m),
    # from the river cells alone (a few per cent of the grid).
    k = 4
    rows, cols = grid.river.shape
    r, c = np.nonzero(grid.river & np.isfinite(grid.ground))
    coarse_level = np.full((-(-rows // k), -(-cols // k)), np.inf, dtype=np.float32)
    np.minimum.at(coarse_level, (r // k, c // k), grid.ground[r, c])
    _, (ri, rj) = ndimage.distance_transform_edt(~np.isfinite(coarse_level), return_indices=True)
    nearest = coarse_level[ri, rj] + np.float32(rise)
    # Each coarse cell's level over its k × k cells: one broadcast write.
    out = np.empty((nearest.shape[0], k, nearest.shape[1], k), dtype=np.float32)
    out[...] = nearest[:, None, :, None]
    return out.reshape(nearest.shape[0] * k, nearest.shape[1] * k)[:rows, :cols]


def _polygons(mask: np.ndarray, transform: Affine, cell_deg: float) -> MultiPolygon | None:
    import shapely
    from shapely.geometry import shape

    # GDAL's polygonize gives one polygon (with its holes) per connected region: they do
    # not overlap, so no union is needed, only the simplification of the cell steps.
    cells = features.shapes(mask.view(np.uint8), mask=mask, transform=transform)
    parts = [shape(geom) for geom, value in cells if value == 1]
    if not parts:
        return None
    simple = shapely.simplify(np.array(parts, dtype=object), cell_deg * 0.5, preserve_topology=True)
    geoms = [g for g in simple if g.geom_type == "Polygon" and not g.is_empty]
    if not geoms:
        return None
    return MultiPolygon([GEOSGeometry(memoryview(g.wkb)) for g in geoms], srid=4326)


DEPTH_STEPS = 255  # depths 0–3 m in 254 steps (about 1.2 cm), deeper the last colour


def _depth_png(depth: np.ndarray) -> bytes:
    """Depth as a blue ramp with alpha (transparent where dry), for draping: a palette
    image (one byte a cell) with the ramp in its palette."""
    from PIL import Image

    stops = np.array([0.0, 0.5, 1.5, 3.0])
    colours = np.array([[166, 219, 255], [82, 164, 235], [30, 104, 200], [8, 48, 120]], dtype=float)
    levels = np.linspace(0.0, 3.0, DEPTH_STEPS - 1)
    palette = np.zeros((256, 3), dtype=np.uint8)
    for c in range(3):
        palette[1:DEPTH_STEPS, c] = np.interp(levels, stops, colours[:, c]).astype(np.uint8)
    index = np.zeros(depth.shape, dtype=np.uint8)  # 0: dry
    wet = depth > 0  # NaN (dry) compares False
    index[wet] = 1 + np.minimum(depth[wet] * ((DEPTH_STEPS - 2) / 3.0), DEPTH_STEPS - 2).astype(np.uint8)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.ravel().tolist())
    alpha = bytes([0] + [190] * 255)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=1, transparency=alpha)
    return out.getvalue()


def _buildings_in_water(flooded: np.ndarray, depth: np.ndarray, ids: np.ndarray) -> dict[int, float]:
    """{building id: deepest flooded neighbour (m)} of the building cells with a flooded
    edge neighbour, from the flooded cells' neighbours alone (no full-grid filters)."""
    rows, cols = flooded.shape
    r, c = np.nonzero(flooded)
    d = depth[r, c]
    best: dict[int, float] = {}
    for dr, dc in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)):  # itself too (without obstacles)
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        bid = ids[rr[inside], cc[inside]]
        on = bid > 0
        if not on.any():
            continue
        owners, at = np.unique(bid[on], return_inverse=True)
        deepest = np.zeros(owners.size, dtype=np.float64)
        np.maximum.at(deepest, at, d[inside][on])
        for owner, value in zip(owners.tolist(), deepest.tolist(), strict=True):
            if value > best.get(owner, 0.0):
                best[owner] = value
    return best


def flood_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "analyses"


def flood_check(*, extent, level: float | None, rise: float | None, cell: float) -> None:
    """The checks of a flood's parameters that need no grid (the field named)."""
    if (level is None) == (rise is None):
        raise DomainError("give either a water level or a rise above the river", field="level")
    if rise is not None and not (0 < rise <= 30):
        raise DomainError("rise must be more than 0 and at most 30 m", field="rise")
    if not (2 <= cell <= 100):
        raise DomainError("cell must lie between 2 and 100 m", field="cell")
    west, south, east, north = extent
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise DomainError("extent must be west,south,east,north in degrees", field="extent")


def flood_run(*, by, extent: tuple[float, float, float, float], level: float | None = None,
              rise: float | None = None, cell: float = 5.0, obstacles: bool = True,
              title: str = "", progress: Callback | None = None) -> AnalysisRun:
    """Run the flood analysis and save it (the depth image beside it under MEDIA_ROOT).
    ``progress(done, total, message)`` hears of each step (a job's reporter: cancellable)."""
    flood_check(extent=extent, level=level, rise=rise, cell=cell)
    step = progress or (lambda *_: None)
    step(0, 5, "grid")
    grid = flood_grid(extent, cell, obstacles=obstacles, main_rivers_only=rise is not None)
    step(1, 5, "water")
    water = _water_surface(grid, level=level, rise=rise)
    flooded = connected_flood(grid.ground, water, grid.river, grid.obstacle)
    flooded &= ~grid.river  # the channel itself is not news
    depth = np.where(flooded, water - grid.ground, np.nan).astype(np.float32)
    cell_deg = abs(grid.transform.a)
    area = float(flooded.sum()) * grid.cell_area_m2
    step(2, 5, "outline")
    polygon = _polygons(flooded, grid.transform, cell_deg)
    step(3, 5, "buildings")

    # Buildings standing in the water: footprint cells next to a flooded cell (edge to
    # edge); the depth around a building, its deepest flooded neighbour.
    building_depth = _buildings_in_water(flooded, depth, grid.building_ids)
    # Dwellings (户室 addresses; every level of an address chain carries its building).
    rooms_of = dict(Address.objects.filter(building_id__in=building_depth, kind="room")
                    .values("building_id").annotate(n=Count("pk")).values_list("building_id", "n"))
    affected = Building.objects.filter(pk__in=building_depth).values(
        "pk", "name", "use", "floors", "centroid")
    buildings = []
    for b in affected:
        buildings.append({"building": b["pk"], "name": b["name"], "use": b["use"], "floors": b["floors"],
                          "depth": round(building_depth[b["pk"]], 2), "rooms": rooms_of.get(b["pk"], 0),
                          "lon": round(b["centroid"].x, 7), "lat": round(b["centroid"].y, 7)})
    buildings.sort(key=lambda b: (-b["depth"], b["building"]))
    rooms = sum(b["rooms"] for b in buildings)
    doors = Address.objects.filter(building_id__in=building_depth, kind="door").count()
    roads = []
    step(4, 5, "roads")
    if polygon is not None:
        hit_roads = RoadSegment.objects.filter(geom__intersects=polygon).only("pk", "name", "length_m")
        roads = [{"segment": seg.pk, "name": seg.name, "length_m": round(seg.length_m, 1)}
                 for seg in hit_roads[:5000]]
    # The depth image covers the flooded cells' bounding box only.
    wet_rows, wet_cols = np.flatnonzero(flooded.any(axis=1)), np.flatnonzero(flooded.any(axis=0))
    r0, r1 = (int(wet_rows[0]), int(wet_rows[-1]) + 1) if wet_rows.size else (0, 1)
    c0, c1 = (int(wet_cols[0]), int(wet_cols[-1]) + 1) if wet_cols.size else (0, 1)
    t = grid.transform
    image_bounds = [t.c + c0 * t.a, t.f + r1 * t.e, t.c + c1 * t.a, t.f + r0 * t.e]
    summary = {
        "mode": "level" if level is not None else "rise",
        "level": level, "rise": rise, "cell_m": cell, "obstacles": obstacles,
        "flooded_area_m2": round(area, 1),
        "max_depth_m": round(float(np.nanmax(depth)), 2) if flooded.any() else 0.0,
        "buildings": len(buildings), "doors": doors, "rooms": rooms,
        "people_estimate": round(rooms * cim_settings.PEOPLE_PER_HOUSEHOLD),
        "road_segments": len(roads),
        "grid": {"cols": int(grid.ground.shape[1]), "rows": int(grid.ground.shape[0])},
        "image_bounds": [round(v, 7) for v in image_bounds],
    }
    with transaction.atomic():
        run = AnalysisRun.objects.create(
            kind=AnalysisKind.FLOOD, title=clip(AnalysisRun, "title", title or "淹没分析"),
            params={"extent": list(extent), "level": level, "rise": rise, "cell": cell,
                    "obstacles": obstacles, "datum_1985_offset_m": cim_settings.DATUM_1985_OFFSET_M},
            summary=summary,
            result={"flooded": None if polygon is None else _geojson(polygon),
                    "buildings": buildings[:5000], "roads": roads},
            model_version=AnalysisRun.current_model_version(), created_by=acting_user(by),
        )
        folder = flood_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"flood-{run.pk}.png"
        path.write_bytes(_depth_png(depth[r0:r1, c0:c1]))
        audit_record(actor=by, action="analysis.flood", obj=run,
                     after={"level": level, "rise": rise, "buildings": len(buildings), "roads": len(roads)})
    return run


def city_extent() -> tuple[float, float, float, float]:
    """The buildings' extent with a margin of about 500 m (the default flood extent)."""
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                    "FROM (SELECT ST_Extent(footprint) AS e FROM cim_building) s")
        row = cur.fetchone()
    if row is None or row[0] is None:
        raise DomainError("the city has no buildings: give an extent", field="extent")
    pad = 0.005
    return row[0] - pad, row[1] - pad, row[2] + pad, row[3] + pad


def depth_image_path(run: AnalysisRun) -> Path:
    return flood_dir() / f"flood-{run.pk}.png"


def _geojson(geom: MultiPolygon) -> dict:
    import json

    return json.loads(geom.json)

