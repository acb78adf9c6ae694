"""淹没分析: the ground a flood covers when the water stands at a level —
only what is connected to the river (not every low cell: the bathtub
mistake) — with buildings as obstacles, and what it touches: buildings,
addresses and the people in them, and road segments (which the command
console can close with one click).

The flood is worked out on a grid of cells of about ``cell`` metres, ground
heights from the registered DEMs (bilinear); the array work on it (no
Django) is :mod:`cim.services.analyses.flood_cells`, this module is the
service: the parameters, the grid kept for the next run, the database reads
(rivers, footprints, addresses, roads) and the saved result.  Two ways to
give the water:

* ``level``: one absolute water level (1985 datum, metres);
* ``rise``: metres above the river's current level, taken at the nearest
  river cell (a river falls downstream; one absolute level would drown the
  lower town and miss the upper one).

A cell floods when its ground lies below the water there, it is not inside
a building footprint (with ``obstacles``), and it is connected (edge to
edge) to a river cell through flooded cells.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import threading
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models import Count
from rasterio.transform import Affine

from cim.choices import WaterwayKind
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import Address, AnalysisRun, Building, RoadSegment
from cim.models.analyses import AnalysisKind
from cim.progress import Callback
from cim.roles import acting_user
from cim.services.analyses.flood_cells import (
    FloodGrid,
    buildings_in_water,
    cells_below,
    connected_flood,
    depth_png,
    polygons,
    reached,
    tile_windows,
    water_at,
)
from cim.services.analyses.rasters import GROUND_STEP_M, gdal_rasterize_wkb, ground_surface
from cim.services.audit import audit_record
from config.common.clip import clip

__all__ = ["FloodGrid", "building_ids", "city_extent", "connected_flood", "depth_image_path", "flood_check",
           "flood_grid", "flood_run"]

MAX_CELLS = 40_000_000
TILE = 32  # cells: the footprints are read and burnt only in the tiles the water reaches


_grids: dict[tuple, FloodGrid] = {}  # the last grid only: a city's is about 120 MB
_grids_lock = threading.Lock()


def flood_grid(extent: tuple[float, float, float, float], cell: float, *,
               main_rivers_only: bool = False) -> FloodGrid:
    """The ground and the rivers on the grid of ``cell`` metres over ``extent``; the
    last one is kept in this process for the next run on the same grid, under a key
    made of everything it is computed from (the grid, the DEMs' files and datums, the
    datum offset, the rivers' geometries): a changed DEM or river makes a new grid."""
    from cim.models import DemRaster
    from cim.services.terrain import dem_path

    west, south, east, north = extent
    lat_mid = (south + north) / 2
    dx = cell / (111_320.0 * math.cos(math.radians(lat_mid)))
    dy = cell / 110_540.0
    cols, rows = max(1, math.ceil((east - west) / dx)), max(1, math.ceil((north - south) / dy))
    if cols * rows > MAX_CELLS:
        raise DomainError(f"{cols} × {rows} cells is too many at {cell:g} m: choose a larger cell "
                          "or a smaller extent", field="cell")
    transform = Affine(dx, 0, west, 0, -dy, north)
    kinds = [WaterwayKind.RIVER] if main_rivers_only else [WaterwayKind.RIVER, WaterwayKind.STREAM]
    rivers = _wkb("cim_waterway", "geom", [(west, south, east, north)], "kind = ANY(%(kinds)s)", kinds=kinds)
    # The DEMs in the order the ground takes them (best first), with their files' versions.
    dems = tuple((d.pk, d.checksum, str(dem_path(d)), _mtime(dem_path(d)), d.vertical_datum)
                 for d in DemRaster.objects.all())
    key = (tuple(transform), rows, cols, cim_settings.DATUM_1985_OFFSET_M, dems,
           hashlib.sha256(b"".join(w for _, _, w in rivers)).hexdigest())
    with _grids_lock:
        grid = _grids.get(key)
    if grid is not None:
        return grid
    ground = ground_surface(transform, (rows, cols), 4326, k=max(1, int(GROUND_STEP_M // cell)))
    ground += np.float32(cim_settings.DATUM_1985_OFFSET_M)
    if not np.isfinite(ground).any():
        raise DomainError("no elevation model covers this extent", field="extent")
    if not rivers:
        raise DomainError("no river in this extent to flood from", field="extent")
    river = gdal_rasterize_wkb([w for _, _, w in rivers], np.ones(len(rivers)), transform, (rows, cols), 4326,
                               np.uint8, all_touched=True).astype(bool)
    grid = FloodGrid.build(transform=transform, ground=ground, river=river, cell=cell)
    with _grids_lock:
        _grids.clear()
        _grids[key] = grid
    return grid


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def building_ids(grid: FloodGrid, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The id of the building whose footprint holds each cell's centre (0: none; the
    higher id where footprints overlap), exact within one cell of every cell (``r``,
    ``c``) and 0 far from them.  Only the windows of ``TILE`` × ``TILE`` tiles holding
    one of those cells (one cell wider) are burnt, each with the footprints whose
    bounding box meets it: a flood reaches a few per cent of a city's grid, and burning into
    the whole grid costs a pass over it whatever the footprints."""
    ids = np.zeros(grid.river.shape, dtype=np.int32)
    windows = tile_windows(grid.river.shape, r, c, TILE)  # (r0, r1, c0, c1)
    if not windows:
        return ids
    t = grid.transform
    boxes = [(t.c + c0 * t.a, t.f + r1 * t.e, t.c + c1 * t.a, t.f + r0 * t.e) for r0, r1, c0, c1 in windows]
    found = _wkb("cim_building", "footprint", boxes)
    for i, rows_of_box in itertools.groupby(found, key=lambda row: row[0]):
        r0, r1, c0, c1 = windows[i]
        pks, wkbs = zip(*((pk, wkb) for _, pk, wkb in rows_of_box), strict=True)
        # Each window is exact on its own (every footprint meeting it is burnt, by id):
        # where windows overlap by a cell, they write the same ids.
        ids[r0:r1, c0:c1] = gdal_rasterize_wkb(list(wkbs), pks, t @ Affine.translation(c0, r0),
                                               (r1 - r0, c1 - c0), 4326, np.int32)
    return ids


def _wkb(table: str, column: str, boxes: list[tuple[float, float, float, float]], where: str = "TRUE",
         **params) -> list[tuple[int, int, bytes]]:
    """(box index, id, WKB) of the rows of ``table`` whose ``column``'s bounding box
    meets each of the lon/lat ``boxes`` (the rasterizer clips the rest), by box and id,
    in one query (the spatial index finds them box by box; no geometry objects in
    Python)."""
    w, s, e, n = (list(v) for v in zip(*boxes, strict=True))
    with connection.cursor() as cur:
        cur.execute(f"SELECT b.i - 1, x.id, ST_AsBinary(x.{column}) "  # noqa: S608 - names are constants
                    f"FROM unnest(%(w)s::float8[], %(s)s::float8[], %(e)s::float8[], %(n)s::float8[]) "
                    f"WITH ORDINALITY AS b(w, s, e, n, i) JOIN {table} x "
                    f"ON x.{column} && ST_MakeEnvelope(b.w, b.s, b.e, b.n, 4326) WHERE {where} "
                    f"ORDER BY b.i, x.id",
                    {"w": w, "s": s, "e": e, "n": n, **params})
        return [(i, pk, bytes(wkb)) for i, pk, wkb in cur.fetchall()]


def _water_surface(grid: FloodGrid, *, level: float | None, rise: float | None) -> np.ndarray | float:
    """The water: one level, or (a rise) the level of each block of ``LEVEL_K`` ×
    ``LEVEL_K`` cells, the river's at the nearest river cell plus the rise."""
    lowest = grid.river_ground_min
    if lowest is None:
        raise DomainError("the river lies outside the elevation model", field="extent")
    if level is not None:
        if level <= lowest:
            raise DomainError(f"a water level of {level:.2f} m is below the river "
                              f"(lowest {lowest:.2f} m): nothing floods", field="level")
        return level
    return grid.river_level + np.float32(rise)


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
    grid = flood_grid(extent, cell, main_rivers_only=rise is not None)
    step(1, 5, "water")
    water = _water_surface(grid, level=level, rise=rise)
    r, c = cells_below(grid, water)
    # Footprints matter only where the water can stand (obstacles) and beside it (the
    # buildings in the water): they are burnt in those tiles alone.
    ids = building_ids(grid, r, c)
    river = grid.river[r, c]
    if obstacles:
        dry = (ids[r, c] > 0) & ~river  # inside a footprint (a bridge over the river is no wall)
        r, c, river = r[~dry], c[~dry], river[~dry]
    flooded = reached(r, c, grid.river.shape[1], river) & ~river  # the channel itself is not news
    r, c = r[flooded], c[flooded]
    depth = (water_at(water, r, c) - grid.ground[r, c]).astype(np.float32)
    cell_deg = abs(grid.transform.a)
    area = float(r.size) * grid.cell_area_m2
    step(2, 5, "outline")
    polygon = polygons(r, c, grid.river.shape[1], grid.transform, cell_deg)
    step(3, 5, "buildings")

    # Buildings standing in the water: footprint cells next to a flooded cell (edge to
    # edge); the depth around a building, its deepest flooded neighbour.
    building_depth = buildings_in_water(r, c, depth, ids)
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
    step(4, 5, "roads")
    roads = _roads_in(polygon) if polygon is not None else []
    # The depth image covers the flooded cells' bounding box only.
    r0, r1 = (int(r.min()), int(r.max()) + 1) if r.size else (0, 1)
    c0, c1 = (int(c.min()), int(c.max()) + 1) if c.size else (0, 1)
    t = grid.transform
    image_bounds = [t.c + c0 * t.a, t.f + r1 * t.e, t.c + c1 * t.a, t.f + r0 * t.e]
    summary = {
        "mode": "level" if level is not None else "rise",
        "level": level, "rise": rise, "cell_m": cell, "obstacles": obstacles,
        "flooded_area_m2": round(area, 1),
        "max_depth_m": round(float(depth.max()), 2) if depth.size else 0.0,
        "buildings": len(buildings), "doors": doors, "rooms": rooms,
        "people_estimate": round(rooms * cim_settings.PEOPLE_PER_HOUSEHOLD),
        "road_segments": len(roads),
        "grid": {"cols": int(grid.ground.shape[1]), "rows": int(grid.ground.shape[0])},
        "image_bounds": [round(v, 7) for v in image_bounds],
    }
    image = depth_png((r1 - r0, c1 - c0), r - r0, c - c0, depth)
    with transaction.atomic():
        run = AnalysisRun.objects.create(
            kind=AnalysisKind.FLOOD, title=clip(AnalysisRun, "title", title or "淹没分析"),
            params={"extent": list(extent), "level": level, "rise": rise, "cell": cell,
                    "obstacles": obstacles, "datum_1985_offset_m": cim_settings.DATUM_1985_OFFSET_M},
            summary=summary,
            result={"flooded": None if polygon is None else json.loads(shapely.to_geojson(polygon)),
                    "buildings": buildings[:5000], "roads": roads},
            model_version=AnalysisRun.current_model_version(), created_by=acting_user(by),
        )
        folder = flood_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"flood-{run.pk}.png"
        path.write_bytes(image)
        audit_record(actor=by, action="analysis.flood", obj=run,
                     after={"level": level, "rise": rise, "buildings": len(buildings), "roads": len(roads)})
    return run


MAX_ROADS = 5000


def _roads_in(polygon) -> list[dict]:
    """The road segments that meet the flooded ``polygon`` (at most ``MAX_ROADS``, by
    id).  One query against the whole outline: PostGIS prepares it once for all the
    candidates the index finds (cutting it with ``ST_Subdivide`` first was slower, and
    far slower for a city-wide flood: one polygon of 100,000 vertices and many holes)."""
    hit = (RoadSegment.objects.filter(geom__intersects=GEOSGeometry(memoryview(polygon.wkb), srid=4326))
           .order_by("pk").values_list("pk", "name", "length_m")[:MAX_ROADS])
    return [{"segment": pk, "name": name, "length_m": round(length, 1)} for pk, name, length in hit]


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
