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

import functools
import hashlib
import io
import itertools
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models import Count
from rasterio import features
from rasterio.transform import Affine
from scipy import ndimage, sparse
from scipy.sparse.csgraph import connected_components

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

__all__ = ["FloodGrid", "building_ids", "city_extent", "connected_flood", "depth_image_path", "flood_check",
           "flood_grid", "flood_run"]

MAX_CELLS = 40_000_000
LEVEL_K = 4  # the river's level is looked up on a grid this many times coarser
TILE = 32  # cells: the footprints are read and burnt only in the tiles the water reaches


@dataclass
class FloodGrid:
    """The inputs of the flood on one grid that do not depend on the water (the
    buildings come later, only where the water can reach: ``building_ids``).  Kept for
    the next run on the same grid (``flood_grid``): read only."""

    transform: Affine  # lon/lat of cell corners
    padded: np.ndarray  # float32 ground, 1985-datum metres, NaN outside the DEMs and in the
    # padding that makes the shape a multiple of LEVEL_K (the water compares block by block)
    river: np.ndarray  # bool: river cells (the seeds)
    cell_area_m2: float

    @property
    def ground(self) -> np.ndarray:
        return self.padded[:self.river.shape[0], :self.river.shape[1]]

    @functools.cached_property
    def river_ground_min(self) -> float | None:
        """The lowest ground of a river cell (None: the river lies outside the DEMs)."""
        values = self.ground[self.river & np.isfinite(self.ground)]
        return float(values.min()) if values.size else None

    @functools.cached_property
    def river_level(self) -> np.ndarray:
        """The river's current level at the nearest river cell, on a grid ``LEVEL_K``
        times coarser (the level changes by centimetres over 20 m), found from the river
        cells alone (a few per cent of the grid)."""
        k = LEVEL_K
        rows, cols = self.river.shape
        r, c = np.nonzero(self.river & np.isfinite(self.ground))
        coarse_level = np.full((-(-rows // k), -(-cols // k)), np.inf, dtype=np.float32)
        np.minimum.at(coarse_level, (r // k, c // k), self.ground[r, c])
        _, (ri, rj) = ndimage.distance_transform_edt(~np.isfinite(coarse_level), return_indices=True)
        level = coarse_level[ri, rj]
        level.flags.writeable = False
        return level


def connected_flood(ground: np.ndarray, water: np.ndarray | float, seeds: np.ndarray,
                    obstacle: np.ndarray | None = None) -> np.ndarray:
    """Cells below ``water`` connected edge-to-edge to a seed cell through such cells."""
    wet = np.isfinite(ground) & (ground < water)
    if obstacle is not None:
        wet &= ~obstacle
    r, c = np.nonzero(wet)
    keep = _reached(r, c, wet.shape[1], seeds[r, c])
    out = np.zeros(wet.shape, dtype=bool)
    out[r[keep], c[keep]] = True
    return out


def _reached(r: np.ndarray, c: np.ndarray, cols: int, seed: np.ndarray) -> np.ndarray:
    """Which of the wet cells (``r``, ``c``), in row-major order on a grid of ``cols``
    columns, are connected edge-to-edge to a wet ``seed`` cell through wet cells."""
    if r.size == 0 or not seed.any():
        return np.zeros(r.size, dtype=bool)
    label = _components(r, c, cols)
    keep = np.zeros(label.max() + 1, dtype=bool)
    keep[label[seed]] = True
    return keep[label]


def _components(r: np.ndarray, c: np.ndarray, cols: int) -> np.ndarray:
    """The edge-connected component of each of the cells (``r``, ``c``), in row-major
    order on a grid of ``cols`` columns: the connected components of the graph of the
    cells and their right and lower neighbours among them.  A flood wets a few per cent
    of a city's grid: the graph is that small, where labelling the grid would visit
    every cell (water does not leak through corners)."""
    n = r.size
    at = r.astype(np.int64) * cols + c
    pairs = []
    for step, allowed in ((1, c + 1 < cols), (cols, None)):
        j = np.searchsorted(at, at + step)
        j[j == n] = 0  # no such cell: compared (and refused) below
        edge = at[j] == at + step
        if allowed is not None:
            edge &= allowed  # the right neighbour of the last column is the next row's first
        pairs.append((np.flatnonzero(edge), j[edge]))
    i = np.concatenate([p[0] for p in pairs])
    j = np.concatenate([p[1] for p in pairs])
    graph = sparse.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


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
    padded = np.full((-(-rows // LEVEL_K) * LEVEL_K, -(-cols // LEVEL_K) * LEVEL_K), np.nan, dtype=np.float32)
    padded[:rows, :cols] = ground
    if not np.isfinite(ground).any():
        raise DomainError("no elevation model covers this extent", field="extent")
    if not rivers:
        raise DomainError("no river in this extent to flood from", field="extent")
    river = gdal_rasterize_wkb([w for _, _, w in rivers], np.ones(len(rivers)), transform, (rows, cols), 4326,
                               np.uint8, all_touched=True).astype(bool)
    padded.flags.writeable = river.flags.writeable = False
    grid = FloodGrid(transform=transform, padded=padded, river=river, cell_area_m2=cell * cell)
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
    rows, cols = grid.river.shape
    ids = np.zeros((rows, cols), dtype=np.int32)
    tiles = np.zeros((-(-rows // TILE), -(-cols // TILE)), dtype=bool)
    tiles[r // TILE, c // TILE] = True
    windows = []  # (r0, r1, c0, c1): a run of neighbouring tiles in a tile row, one cell wider
    for tr in np.flatnonzero(tiles.any(axis=1)):
        edges = np.diff(np.concatenate([[0], tiles[tr].view(np.int8), [0]]))
        for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            windows.append((max(tr * TILE - 1, 0), min((tr + 1) * TILE + 1, rows),
                            max(start * TILE - 1, 0), min(stop * TILE + 1, cols)))
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


def _cells_below(grid: FloodGrid, water: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the cells whose ground lies below the water, row by row: one
    comparison over the grid, block by block against the blocks' levels (the water is
    never spread over the whole grid)."""
    if np.isscalar(water):
        return np.nonzero(grid.ground < water)  # NaN (no DEM) compares False
    k = LEVEL_K
    blocks = grid.padded.reshape(water.shape[0], k, water.shape[1], k)
    below = (blocks < water[:, None, :, None]).reshape(grid.padded.shape)
    return np.nonzero(below)  # the padding is NaN: never below


def _water_at(water: np.ndarray | float, r: np.ndarray, c: np.ndarray) -> np.ndarray | float:
    return water if np.isscalar(water) else water[r // LEVEL_K, c // LEVEL_K]


POLYGON_BLOCK = 512  # cells: flooded regions starting in one block are polygonised together


def _polygons(r: np.ndarray, c: np.ndarray, cols: int, transform: Affine, cell_deg: float):
    """The outline of the cells (``r``, ``c``, row-major on a grid of ``cols`` columns)
    as a shapely MultiPolygon (None: no cell)."""
    import shapely

    if r.size == 0:
        return None
    # GDAL's polygonize gives one polygon (with its holes) per edge-connected region, and
    # a region's polygon depends on its own cells alone.  A flood is thin strips along
    # the rivers, whose bounding box is most of the city: the regions are grouped by the
    # block where they start and each group is polygonised in its own bounding box,
    # with only its cells in the mask (the polygons do not overlap: no union is needed,
    # only the simplification of the cell steps).
    label = _components(r, c, cols)
    n = label.max() + 1
    top, left = np.full(n, r.max(), dtype=np.int64), np.full(n, c.max(), dtype=np.int64)
    np.minimum.at(top, label, r)
    np.minimum.at(left, label, c)
    group = (top // POLYGON_BLOCK * (cols // POLYGON_BLOCK + 1) + left // POLYGON_BLOCK)[label]
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    parts = np.array([p for cells in np.split(order, bounds) for p in _polygonize(r[cells], c[cells])],
                     dtype=object)
    # One order whatever the grouping (GDAL's on the whole grid is its own): by the
    # bottom row, then the top row, then the left column (cell numbers: y runs down).
    left, top, _, bottom = shapely.bounds(parts).T
    parts = parts[np.lexsort((left, top, bottom))]
    t = transform
    parts = shapely.transform(parts,
                              lambda xy: np.column_stack([t.c + xy[:, 0] * t.a, t.f + xy[:, 1] * t.e]))
    simple = shapely.simplify(parts, cell_deg * 0.5, preserve_topology=True)
    geoms = [g for g in simple if g.geom_type == "Polygon" and not g.is_empty]
    return shapely.MultiPolygon(geoms) if geoms else None


def _polygonize(r: np.ndarray, c: np.ndarray) -> list:
    """GDAL's polygons of the cells (``r``, ``c``) in whole cell numbers (exact), from
    their bounding box alone."""
    from shapely.geometry import shape

    r0, c0 = int(r.min()), int(c.min())
    window = np.zeros((int(r.max()) + 1 - r0, int(c.max()) + 1 - c0), dtype=bool)
    window[r - r0, c - c0] = True
    cells = features.shapes(window.view(np.uint8), mask=window, transform=Affine(1, 0, c0, 0, 1, r0))
    return [shape(geom) for geom, value in cells if value == 1]


DEPTH_STEPS = 255  # depths 0–3 m in 254 steps (about 1.2 cm), deeper the last colour


def _depth_png(shape: tuple[int, int], r: np.ndarray, c: np.ndarray, depth: np.ndarray) -> bytes:
    """The depths ``depth`` of the cells (``r``, ``c``) of a grid of ``shape`` as a blue
    ramp with alpha (transparent where dry), for draping: a palette image (one byte a
    cell) with the ramp in its palette."""
    from PIL import Image

    stops = np.array([0.0, 0.5, 1.5, 3.0])
    colours = np.array([[166, 219, 255], [82, 164, 235], [30, 104, 200], [8, 48, 120]], dtype=float)
    levels = np.linspace(0.0, 3.0, DEPTH_STEPS - 1)
    palette = np.zeros((256, 3), dtype=np.uint8)
    for i in range(3):
        palette[1:DEPTH_STEPS, i] = np.interp(levels, stops, colours[:, i]).astype(np.uint8)
    index = np.zeros(shape, dtype=np.uint8)  # 0: dry
    wet = depth > 0
    step = np.minimum(depth[wet] * ((DEPTH_STEPS - 2) / 3.0), DEPTH_STEPS - 2)
    index[r[wet], c[wet]] = 1 + step.astype(np.uint8)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.ravel().tolist())
    alpha = bytes([0] + [190] * 255)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=1, transparency=alpha)
    return out.getvalue()


def _buildings_in_water(r: np.ndarray, c: np.ndarray, depth: np.ndarray, ids: np.ndarray) -> dict[int, float]:
    """{building id: deepest flooded neighbour (m)} of the building cells with a flooded
    edge neighbour, from the flooded cells (``r``, ``c``, their ``depth``) and their
    neighbours alone (no full-grid filters)."""
    rows, cols = ids.shape
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
        np.maximum.at(deepest, at, depth[inside][on])
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
    grid = flood_grid(extent, cell, main_rivers_only=rise is not None)
    step(1, 5, "water")
    water = _water_surface(grid, level=level, rise=rise)
    r, c = _cells_below(grid, water)
    # Footprints matter only where the water can stand (obstacles) and beside it (the
    # buildings in the water): they are burnt in those tiles alone.
    ids = building_ids(grid, r, c)
    river = grid.river[r, c]
    if obstacles:
        dry = (ids[r, c] > 0) & ~river  # inside a footprint (a bridge over the river is no wall)
        r, c, river = r[~dry], c[~dry], river[~dry]
    flooded = _reached(r, c, grid.river.shape[1], river) & ~river  # the channel itself is not news
    r, c = r[flooded], c[flooded]
    depth = (_water_at(water, r, c) - grid.ground[r, c]).astype(np.float32)
    cell_deg = abs(grid.transform.a)
    area = float(r.size) * grid.cell_area_m2
    step(2, 5, "outline")
    polygon = _polygons(r, c, grid.river.shape[1], grid.transform, cell_deg)
    step(3, 5, "buildings")

    # Buildings standing in the water: footprint cells next to a flooded cell (edge to
    # edge); the depth around a building, its deepest flooded neighbour.
    building_depth = _buildings_in_water(r, c, depth, ids)
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
    image = _depth_png((r1 - r0, c1 - c0), r - r0, c - c0, depth)
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
