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
from cim.models import Address, AnalysisRun, Building, RoadSegment, Waterway
from cim.models.analyses import AnalysisKind
from cim.progress import Callback
from cim.roles import acting_user
from cim.services.analyses.rasters import plain_polygons
from cim.services.audit import audit_record
from cim.services.terrain import ground_grid
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
    ground = ground_grid(transform, (rows, cols))
    ground += np.float32(cim_settings.DATUM_1985_OFFSET_M)
    if not np.isfinite(ground).any():
        raise DomainError("no elevation model covers this extent", field="extent")
    box = GEOSGeometry(f"SRID=4326;POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},"
                       f"{west} {south}))")
    kinds = [WaterwayKind.RIVER] if main_rivers_only else [WaterwayKind.RIVER, WaterwayKind.STREAM]
    rivers = _shapes(Waterway, "geom", box, kind__in=kinds)
    if not rivers:
        raise DomainError("no river in this extent to flood from", field="extent")
    river = features.rasterize(((g, 1) for _, g in rivers), out_shape=(rows, cols), transform=transform,
                               all_touched=True, dtype="uint8").astype(bool)
    buildings = _shapes(Building, "footprint", box)
    if buildings:
        ids = features.rasterize(((g, pk) for pk, g in buildings), out_shape=(rows, cols),
                                 transform=transform, dtype="int64")
    else:
        ids = np.zeros((rows, cols), dtype=np.int64)
    obstacle = (ids > 0) & ~river if obstacles else np.zeros((rows, cols), dtype=bool)
    return FloodGrid(transform=transform, ground=ground, river=river, obstacle=obstacle, building_ids=ids,
                     cell_area_m2=cell * cell)


def _shapes(model, field: str, box, **filters) -> list[tuple[int, object]]:
    """(pk, shapely geometry) of the rows whose ``field`` meets ``box``, read as WKB
    in one query (no GEOS/OGR objects per row)."""
    import shapely

    qs = model.objects.filter(**{f"{field}__intersects": box}, **filters)
    sql, params = qs.values_list("pk").query.sql_with_params()
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    with connection.cursor() as cur:
        cur.execute(f"SELECT t.id, ST_AsBinary(t.{column}) FROM {table} t WHERE t.id IN ({sql})", params)
        rows = cur.fetchall()
    if not rows:
        return []
    geoms = shapely.from_wkb([bytes(wkb) for _, wkb in rows])
    return plain_polygons([pk for pk, _ in rows], geoms)


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
    # found on a grid four times coarser (the level changes by centimetres over 20 m).
    k = 4
    rows, cols = grid.river.shape
    pad = ((0, -rows % k), (0, -cols % k))
    coarse_river = np.pad(grid.river, pad).reshape(-(-rows // k), k, -(-cols // k), k).any(axis=(1, 3))
    level_here = np.where(grid.river, grid.ground, np.inf)
    level_here = np.pad(level_here, pad, constant_values=np.inf)
    coarse_level = level_here.reshape(coarse_river.shape[0], k, coarse_river.shape[1], k).min(axis=(1, 3))
    _, (ri, rj) = ndimage.distance_transform_edt(~coarse_river, return_indices=True)
    nearest = coarse_level[ri, rj]
    return np.repeat(np.repeat(nearest, k, axis=0), k, axis=1)[:rows, :cols] + rise


def _polygons(mask: np.ndarray, transform: Affine, cell_deg: float) -> MultiPolygon | None:
    import shapely
    from shapely.geometry import shape

    cells = features.shapes(mask.astype("uint8"), mask=mask, transform=transform)
    parts = [shape(geom) for geom, value in cells if value == 1]
    if not parts:
        return None
    merged = shapely.union_all(parts).simplify(cell_deg * 0.5, preserve_topology=True)
    geoms = [merged] if merged.geom_type == "Polygon" else list(getattr(merged, "geoms", []))
    geoms = [g for g in geoms if g.geom_type == "Polygon" and not g.is_empty]
    if not geoms:
        return None
    return MultiPolygon([GEOSGeometry(memoryview(g.wkb)) for g in geoms], srid=4326)


def _depth_png(depth: np.ndarray) -> bytes:
    """Depth as a blue ramp with alpha (transparent where dry), for draping."""
    from PIL import Image

    stops = np.array([0.0, 0.5, 1.5, 3.0])
    colours = np.array([[166, 219, 255], [82, 164, 235], [30, 104, 200], [8, 48, 120]], dtype=float)
    d = np.nan_to_num(depth, nan=0.0)
    rgba = np.zeros(d.shape + (4,), dtype=np.uint8)
    for c in range(3):
        rgba[..., c] = np.interp(d, stops, colours[:, c]).astype(np.uint8)
    rgba[..., 3] = np.where(d > 0, 190, 0).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, "PNG", optimize=False, compress_level=1)
    return out.getvalue()


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

    # Buildings standing in the water: footprint cells next to a flooded cell.
    near = ndimage.binary_dilation(flooded, structure=EDGES)
    hit = near & (grid.building_ids > 0)
    building_depth: dict[int, float] = {}
    if hit.any():
        # depth around the building: the deepest flooded neighbour
        grown = ndimage.grey_dilation(np.nan_to_num(depth, nan=0.0), footprint=EDGES)
        for bid, d in zip(grid.building_ids[hit].tolist(), grown[hit].tolist(), strict=True):
            if d > building_depth.get(bid, 0.0):
                building_depth[bid] = d
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

