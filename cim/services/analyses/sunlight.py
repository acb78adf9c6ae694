"""日照分析: hours of direct sun on a building's window sills on the standard
day of GB 50180-2018, against every other building (LoD1 prisms, LoD2
solids where stored) and the terrain, and the hours a planned building would
take from its neighbours.

* Calculation points: on every façade (each edge of the footprint's rings),
  every ``spacing`` metres along the wall (centred in equal parts), on the
  window sill (``sill`` metres above the floor) of every floor, 5 cm in front
  of the wall.  GB 50180-2018 counts from the ground-floor window sill (底层窗台面).
* Sun: :mod:`.solar` at the midpoint of each step of the valid window, in true
  solar time (大寒日 08:00–16:00, 冬至日 09:00–15:00); a point's hours are the
  steps it sees the sun times the step.
* Obstacles: every building whose footprint lies within ``radius`` of the
  chosen one (the chosen building itself too: its own wings shade it), as
  triangles (:mod:`.sunlight_engine`); the terrain from the registered DEMs
  along each ray out to ``terrain_radius`` (with the earth's curvature and
  refraction), sampled at growing steps from 20 m.
* Standard: the required hours follow the climate zone and the city's urban
  population (settings ``SUNLIGHT_CLIMATE_ZONE``, ``SUNLIGHT_URBAN_POPULATION``;
  GB 50180-2018 table 4.0.9); a request may ask for another day or number of
  hours (e.g. housing for the elderly: 冬至日 ≥ 2 h).

Heights are orthometric (EGM96, as ``Building.base_elevation`` and the DEM);
the result also keeps each column's geoid undulation so that the viewer can
place the grid on the ellipsoidal globe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import mapbox_earcut
import numpy as np
from django.db import connection, transaction

from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import AnalysisRun, Building
from cim.models.analyses import AnalysisKind
from cim.roles import acting_user
from cim.services.analyses import solar
from cim.services.analyses.sunlight_engine import Columns, Obstacles, sunlit
from cim.services.audit import audit_record
from config.common.clip import clip

__all__ = ["SunlightRequest", "Scene", "clean_params", "gb50180_standard", "scene_for", "sunlight_csv",
           "sunlight_run"]

WALL_OFFSET_M = 0.05
EARTH_RADIUS_M = 6_371_000.0
REFRACTION_K = 0.13  # terrestrial refraction coefficient (the usual surveying value)
WINDOWS = {"dahan": (8.0, 16.0), "dongzhi": (9.0, 15.0)}
DAY_NAMES = {"dahan": "大寒日", "dongzhi": "冬至日"}
MAX_POINTS = 20_000
MAX_NEIGHBOURS = 30
TERRAIN_CELL_M = 25.0  # the local ground grid of the terrain profiles (the demo DEM: ≈ 30 m)

# GB 50180-2018 表 4.0.9 住宅建筑日照标准: (zones, large city?) → (day, hours)
_TABLE = (
    (("I", "II", "III", "VII"), True, "dahan", 2.0),
    (("I", "II", "III", "VII"), False, "dahan", 3.0),
    (("IV",), True, "dahan", 3.0),
    (("IV",), False, "dongzhi", 1.0),
    (("V", "VI"), None, "dongzhi", 1.0),
)
LARGE_CITY_POPULATION = 500_000  # 城区常住人口 50 万人


def gb50180_standard(zone: str, population: int) -> tuple[str, float]:
    """(standard day, required hours) of GB 50180-2018 table 4.0.9."""
    for zones, large, day, hours in _TABLE:
        if zone in zones and (large is None or large == (population >= LARGE_CITY_POPULATION)):
            return day, hours
    raise DomainError(f"unknown building climate zone {zone!r} (I–VII)", field="SUNLIGHT_CLIMATE_ZONE")


# -- parameters -----------------------------------------------------------------------------------


@dataclass
class Planned:
    """A planned building: footprint (lon/lat polygon) and height; base from the DEM."""

    geometry: object  # shapely Polygon in lon/lat
    height: float
    name: str = "拟建建筑"


@dataclass
class SunlightRequest:
    building: int | None = None
    day: str = "dahan"
    year: int = 2026
    step_min: float = 1.0
    spacing_m: float = 3.0
    sill_m: float = 0.9
    radius_m: float = 500.0
    terrain: bool = True
    terrain_radius_m: float = 5000.0
    required_hours: float = 2.0
    planned: Planned | None = None
    neighbour_radius_m: float = 150.0
    title: str = ""
    params: dict = field(default_factory=dict)  # as cleaned, kept with the run


RANGES = {  # name: (low, high, default or None for "from the standard")
    "step_min": (0.1, 1.0, 1.0),
    "spacing_m": (1.0, 20.0, 3.0),
    "sill_m": (0.0, 3.0, 0.9),
    "radius_m": (50.0, 2000.0, 500.0),
    "terrain_radius_m": (0.0, 20000.0, 5000.0),
    "required_hours": (0.5, 8.0, None),
    "neighbour_radius_m": (20.0, 500.0, 150.0),
}
KNOWN = ("building", "day", "year", "terrain", "planned", "title", *RANGES)


def _num(params: dict, name: str, default):
    low, high, _ = RANGES[name]
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise DomainError(f"must be a number from {low:g} to {high:g}", field=f"params.{name}")
    return float(value)


def _planned(value) -> tuple[dict, Planned]:
    import shapely
    from shapely.geometry import shape

    if not isinstance(value, dict):
        raise DomainError("expected {geometry: GeoJSON Polygon in lon/lat, height}", field="params.planned")
    height = value.get("height")
    if isinstance(height, bool) or not isinstance(height, (int, float)) or not 1 <= height <= 500:
        raise DomainError("must be a number from 1 to 500 (metres)", field="params.planned.height")
    geometry = value.get("geometry")
    try:
        if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
            raise ValueError("a GeoJSON Polygon")
        poly = shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, shapely.errors.GEOSException):
        raise DomainError("expected a GeoJSON Polygon in longitude/latitude",
                          field="params.planned.geometry") from None
    x0, y0, x1, y1 = poly.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise DomainError("coordinates outside longitude/latitude range (is the CRS right?)",
                          field="params.planned.geometry")
    if not poly.is_valid or poly.area == 0:
        raise DomainError(f"invalid polygon: {shapely.is_valid_reason(poly)}",
                          field="params.planned.geometry")
    if (x1 - x0) > 0.02 or (y1 - y0) > 0.02:
        raise DomainError("a building footprint of more than 2 km across", field="params.planned.geometry")
    name = str(value.get("name") or "拟建建筑")[:100]
    return ({"geometry": geometry, "height": float(height), "name": name},
            Planned(geometry=poly, height=float(height), name=name))


def clean_common(params: dict, known: tuple[str, ...]) -> dict:
    """The parameters every sunlight job shares (day, year, ranges, terrain, title) checked
    (``DomainError`` naming ``params.<field>``); names outside ``known`` refused."""
    if not isinstance(params, dict):
        raise DomainError("expected an object", field="params")
    for name in params:
        if name not in known:
            raise DomainError(f"unknown parameter; expected {', '.join(known)}", field=f"params.{name}")
    standard_day, standard_hours = gb50180_standard(cim_settings.SUNLIGHT_CLIMATE_ZONE,
                                                    cim_settings.SUNLIGHT_URBAN_POPULATION)
    day = params.get("day", standard_day)
    if day not in WINDOWS:
        raise DomainError("expected dahan (大寒日) or dongzhi (冬至日)", field="params.day")
    year = params.get("year", dt.date.today().year)
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise DomainError("must be a year from 1900 to 2100", field="params.year")
    clean: dict = {"day": day, "year": year}
    for name, (_, _, default) in RANGES.items():
        clean[name] = _num(params, name, standard_hours if default is None else default)
    terrain = params.get("terrain", True)
    if not isinstance(terrain, bool):
        raise DomainError("must be true or false", field="params.terrain")
    clean["terrain"] = terrain
    title = params.get("title", "")
    if not isinstance(title, str) or len(title) > 200:
        raise DomainError("must be a text of at most 200 characters", field="params.title")
    clean["title"] = title
    return clean


def clean_params(params: dict) -> dict:
    """The job's parameters checked (``DomainError`` naming ``params.<field>``), as JSON."""
    clean = clean_common(params, KNOWN)
    building = params.get("building")
    if building is not None:
        if isinstance(building, bool) or not isinstance(building, int):
            raise DomainError("must be a building id", field="params.building")
        if not Building.objects.filter(pk=building).exists():
            raise DomainError(f"unknown building {building}", field="params.building")
        clean["building"] = building
    if params.get("planned") is not None:
        clean["planned"] = _planned(params["planned"])[0]
    if "building" not in clean and "planned" not in clean:
        raise DomainError("choose a building (or give a planned building to see its impact)",
                          field="params.building")
    return clean


def request_from(params: dict) -> SunlightRequest:
    return request_of(clean_params(params))


def request_of(p: dict) -> SunlightRequest:
    """The request of parameters already cleaned (``clean_params`` or ``clean_common``)."""
    planned = _planned(p["planned"])[1] if "planned" in p else None
    return SunlightRequest(
        building=p.get("building"), day=p["day"], year=p["year"], step_min=p["step_min"],
        spacing_m=p["spacing_m"], sill_m=p["sill_m"], radius_m=p["radius_m"], terrain=p["terrain"],
        terrain_radius_m=p["terrain_radius_m"], required_hours=p["required_hours"], planned=planned,
        neighbour_radius_m=p["neighbour_radius_m"], title=p["title"], params=p)


# -- the scene ------------------------------------------------------------------------------------


@dataclass
class Target:
    building: int
    name: str
    floors: int
    storey_m: float
    base: float
    columns: Columns
    lonlat: np.ndarray  # (C, 2)
    facade: np.ndarray  # (C,) façade (edge) number
    facing: np.ndarray  # (C,) outward normal azimuth, degrees from north
    width: np.ndarray  # (C,) the stretch of wall each column stands for (m)


@dataclass
class Scene:
    """Everything in one local frame (transverse Mercator centred on the site)."""

    lon0: float
    lat0: float
    to_local: Callable
    to_lonlat: Callable
    buildings: dict[int, dict]  # id → row (footprint in local shapely, top, base…)
    planned: dict | None = None


def _frame(lon0: float, lat0: float):
    """Transverse Mercator on GRS80 centred on (lon0, lat0), both ways.  Written as the
    PROJ pipelines ``Transformer.from_crs("EPSG:4326", "+proj=tmerc …")`` resolves to
    (its parameters to 15 significant digits, as PROJ prints them: the same numbers,
    tested), without the CRS database look-ups that took a tenth of a second."""
    from pyproj import Transformer

    tmerc = f"+proj=tmerc +lat_0={lat0:.15g} +lon_0={lon0:.15g} +k=1 +x_0=0 +y_0=0 +ellps=GRS80"
    degrees = "+proj=unitconvert +xy_in=deg +xy_out=rad"
    fwd = Transformer.from_pipeline(f"+proj=pipeline +step {degrees} +step {tmerc}")
    inv = Transformer.from_pipeline(f"+proj=pipeline +step +inv {tmerc} +step +inv {degrees}")
    return fwd.transform, inv.transform


def _local(geom, to_local):
    import shapely

    return shapely.transform(geom, lambda xy: np.column_stack(to_local(xy[:, 0], xy[:, 1])))


def scene_for(centre_geom, radius_m: float) -> Scene:
    """The buildings whose footprint lies within ``radius_m`` of ``centre_geom`` (lon/lat shapely)."""
    import shapely

    lon0, lat0 = centre_geom.centroid.x, centre_geom.centroid.y
    to_local, to_lonlat = _frame(lon0, lat0)
    local_centre = _local(centre_geom, to_local)
    pad_lat = radius_m / 110_540.0 + 0.01
    pad_lon = radius_m / (111_320.0 * math.cos(math.radians(lat0))) + 0.01
    x0, y0, x1, y1 = centre_geom.bounds
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, name, ST_AsBinary(footprint), height, base_elevation, floors, use, lod, solid::text "
            "FROM cim_building WHERE footprint && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            [x0 - pad_lon, y0 - pad_lat, x1 + pad_lon, y1 + pad_lat])
        rows = cur.fetchall()
    buildings = {}
    if rows:
        local = _local(shapely.from_wkb([bytes(r[2]) for r in rows]), to_local)  # one projection call
        dist = shapely.distance(local, local_centre)
        for row, fp, d in zip(rows, local, dist, strict=True):
            if d > radius_m:
                continue
            bid, name, _, height, base, floors, use, lod, solid = row
            buildings[bid] = {"id": bid, "name": name, "footprint": fp, "height": float(height),
                              "base": base, "floors": floors, "use": use, "lod": lod,
                              "solid": json.loads(solid) if solid and lod >= 2 else None}
    return Scene(lon0=lon0, lat0=lat0, to_local=to_local, to_lonlat=to_lonlat, buildings=buildings)


def _ground(scene: Scene, xy: np.ndarray) -> np.ndarray:
    from cim.services.terrain import ground_heights

    lon, lat = scene.to_lonlat(xy[:, 0], xy[:, 1])
    return ground_heights(np.asarray(lon), np.asarray(lat))


def _fill_bases(scene: Scene, default: float) -> None:
    """Buildings without a stored base height stand on the DEM (or, without one, at ``default``)."""
    missing = [b for b in scene.buildings.values() if b["base"] is None]
    if missing:
        xy = np.array([[b["footprint"].centroid.x, b["footprint"].centroid.y] for b in missing])
        heights = _ground(scene, xy)
        for b, h in zip(missing, heights, strict=True):
            b["base"] = float(h) if np.isfinite(h) else default


def prism_triangles(footprints, bases, tops) -> np.ndarray:
    """Walls, roofs and floors of prisms over (local, shapely) polygons or multipolygons:
    the walls of every ring of every footprint in a few array operations, roofs and floors
    by earcut per polygon."""
    import shapely

    footprints = np.atleast_1d(np.asarray(footprints, dtype=object))
    bases, tops = np.atleast_1d(np.asarray(bases, float)), np.atleast_1d(np.asarray(tops, float))
    if not len(footprints):
        return np.zeros((0, 3, 3))
    parts, owner = shapely.get_parts(footprints, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]  # consecutive vertices of one (closed) ring: an edge
    a, b = xy[:-1][same], xy[1:][same]
    who = owner[ring_part[ring_of[:-1][same]]]
    lo, hi = bases[who][:, None], tops[who][:, None]
    lo_a, lo_b, hi_a, hi_b = (np.hstack([p, z]) for p, z in ((a, lo), (b, lo), (a, hi), (b, hi)))
    out = [np.stack([lo_a, lo_b, hi_b], axis=1), np.stack([lo_a, hi_b, hi_a], axis=1)]
    # roofs and floors: earcut per polygon over its rings (exterior first) from the same
    # coordinates, each ring without its closing vertex
    ring_len = np.bincount(ring_of, minlength=len(rings)) - 1
    flat = xy[np.append(same, False)]
    ring_end = np.cumsum(ring_len)
    part_rings = np.searchsorted(ring_part, np.arange(len(parts) + 1))  # rings of part k: [r[k], r[k+1])
    vertex_at = np.concatenate([[0], ring_end])[part_rings]
    index, tri_part = [], []
    for k in range(len(parts)):
        r0, r1, v0 = part_rings[k], part_rings[k + 1], vertex_at[k]
        ends = (ring_end[r0:r1] - v0).astype(np.uint32)
        idx = mapbox_earcut.triangulate_float64(flat[v0:vertex_at[k + 1]], ends)
        index.append(idx.astype(np.int64) + v0)
        tri_part.append(np.full(len(idx) // 3, k))
    if index:
        tri = flat[np.concatenate(index).reshape(-1, 3)]
        who = owner[np.concatenate(tri_part)]
        for z in (bases[who], tops[who]):
            out.append(np.concatenate([tri, np.broadcast_to(z[:, None, None], tri.shape[:2] + (1,))], axis=2))
    return np.concatenate(out)


def solid_triangles(solid: dict, to_local, base: float) -> np.ndarray:
    """The faces of an LoD2 solid as triangles, its lowest vertex at ``base`` (as the
    3D Tiles builder places it: the solid's own vertical datum is not the DEM's)."""
    from cim.tiling.solids import parse_solid

    vertices, faces, _ = parse_solid(solid)
    x, y = to_local(vertices[:, 0], vertices[:, 1])
    xyz = np.column_stack([x, y, base + vertices[:, 2] - vertices[:, 2].min()])
    out = []
    for face in faces:
        rings = [list(r) for r in face if len(r) >= 3]
        if not rings:
            continue
        idx = np.concatenate([np.asarray(r, dtype=np.int64) for r in rings])
        pts = xyz[idx]
        nrm = np.cross(pts[1:] - pts[0], np.roll(pts[1:], -1, axis=0) - pts[0]).sum(axis=0)
        drop = int(np.argmax(np.abs(nrm)))  # project on the plane the face is most parallel to
        flat = np.delete(pts, drop, axis=1)
        ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
        tri = mapbox_earcut.triangulate_float64(flat, ends).reshape(-1, 3)
        if len(tri):
            out.append(pts[tri])
    return np.concatenate(out) if out else np.zeros((0, 3, 3))


def obstacles_of(scene: Scene) -> Obstacles:
    from cim.tiling.solids import SolidError

    parts, prisms = [], []
    for b in scene.buildings.values():
        if b["solid"] is not None:
            try:
                parts.append(solid_triangles(b["solid"], scene.to_local, b["base"]))
                continue
            except (SolidError, ValueError):
                pass  # an unusable solid: the prism stands in, as in the 3D Tiles
        prisms.append(b)
    if scene.planned is not None:
        prisms.append(scene.planned)
    if prisms:
        parts.append(prism_triangles([b["footprint"] for b in prisms], [b["base"] for b in prisms],
                                     [b["base"] + b["height"] for b in prisms]))
    return Obstacles(np.concatenate(parts) if parts else np.zeros((0, 3, 3)))


def _facing(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0


def target_points(scene: Scene, b: dict, *, spacing: float, sill: float) -> Target:
    """The window-sill points of every floor on every façade of building ``b``."""
    import shapely
    from shapely.geometry.polygon import orient

    storey = float(cim_settings.STOREY_HEIGHT_M)
    floors = int(b["floors"] or max(1, round(b["height"] / storey)))
    storey = b["height"] / floors
    zs = b["base"] + np.arange(floors) * storey + sill
    zs = zs[zs < b["base"] + b["height"]]
    xy, facade, facing, width = [], [], [], []
    edge = 0
    for poly in shapely.get_parts(b["footprint"]):
        poly = orient(poly, 1.0)  # outer ring counter-clockwise, holes clockwise: outside on the right
        for ring in [poly.exterior, *poly.interiors]:
            pts = np.asarray(ring.coords)
            for p0, p1 in zip(pts[:-1], pts[1:], strict=True):
                d = p1 - p0
                length = float(np.hypot(*d))
                if length < 0.5:
                    continue
                n = max(1, int(length // spacing))
                normal = np.array([d[1], -d[0]]) / length
                t = (np.arange(n) + 0.5) / n
                xy.append(p0 + t[:, None] * d + normal * WALL_OFFSET_M)
                facade += [edge] * n
                facing += [_facing(*normal)] * n
                width += [length / n] * n
                edge += 1
    xy = np.concatenate(xy) if xy else np.zeros((0, 2))
    lon, lat = scene.to_lonlat(xy[:, 0], xy[:, 1])
    return Target(building=b["id"], name=b["name"], floors=len(zs), storey_m=storey, base=b["base"],
                  columns=Columns(xy=xy, z=[zs] * len(xy)), lonlat=np.column_stack([lon, lat]),
                  facade=np.asarray(facade), facing=np.asarray(facing), width=np.asarray(width))


def _ground_grid(scene: Scene, reach: float, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """(axis, heights) of a local north-up grid of ``cell`` metres out to ``reach`` around the site."""
    axis = np.arange(-reach, reach + cell, cell)
    gx, gy = np.meshgrid(axis, axis[::-1])  # row 0 in the north
    return axis, _ground(scene, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)


def _may_rise_above(ground: np.ndarray, axis: np.ndarray, xy: np.ndarray, azimuth: np.ndarray, d: np.ndarray,
                    tan_el: np.ndarray, lowest: float, steps: np.ndarray, ks: np.ndarray):
    """The (instant, distance) samples of the profiles at which the ground may rise above
    the ray from the ``lowest`` point for some column: bounded by the highest ground cell
    near the site's own sample (a window wide enough to hold the four cells of every
    column's bilinear sample).  The others shade no point: leaving them out changes no hour."""
    from scipy import ndimage

    if not len(steps):
        return steps, ks
    reach = int(math.ceil(float(np.abs(xy).max()) / TERRAIN_CELL_M)) + 2  # cells
    top = ndimage.maximum_filter(np.where(np.isnan(ground), -np.inf, ground), size=2 * reach + 1,
                                 mode="constant", cval=-np.inf)
    az = np.radians(azimuth)[steps]
    row = np.rint((axis[-1] - d[ks] * np.cos(az)) / TERRAIN_CELL_M).astype(np.int64)
    col = np.rint((d[ks] * np.sin(az) - axis[0]) / TERRAIN_CELL_M).astype(np.int64)
    inside = (row >= 0) & (row < top.shape[0]) & (col >= 0) & (col < top.shape[1])
    bound = np.full(len(steps), np.inf)  # off the grid: kept (the interpolation decides)
    bound[inside] = top[row[inside], col[inside]]
    drop = d[ks] * d[ks] * (1 - REFRACTION_K) / (2 * EARTH_RADIUS_M)
    keep = bound + 0.01 >= lowest + drop + d[ks] * tan_el[steps]  # (a centimetre for the rounding)
    return steps[keep], ks[keep]


def terrain_limits(scene: Scene, xy: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray,
                   radius: float, lowest: float) -> np.ndarray | None:
    """(columns, instants): the height below which the terrain hides the sun, from
    ground profiles along each ray (steps growing 4 % from 20 m).  The ground is read
    from the DEMs once onto a local grid of ``TERRAIN_CELL_M`` around the site (out to
    where a ray from the ``lowest`` point at the lowest sun clears the highest ground of
    a coarse first look) and the profiles interpolated on it (bilinear); along each
    ray, only as far as the ray from the lowest point is still below that highest ground."""
    from scipy import ndimage

    if radius < 20 or not len(xy):
        return None
    tan_el = np.tan(np.radians(np.maximum(elevation, 0.0)))
    margin = float(np.abs(xy).max()) + 2 * TERRAIN_CELL_M
    _, coarse = _ground_grid(scene, radius + margin, 4 * TERRAIN_CELL_M)
    if not np.isfinite(coarse).any():
        return None
    top = float(np.nanmax(coarse)) + 10.0  # the coarse grid may miss a peak between its points
    up = tan_el[tan_el > 0]
    if not up.size or top <= lowest:
        return None
    reach = min(radius, (top - lowest) / float(up.min()))
    d = [20.0]
    while d[-1] * 1.04 < reach:
        d.append(d[-1] * 1.04)
    d = np.asarray(d + [max(reach, 20.0)])
    axis, ground = _ground_grid(scene, reach + margin, TERRAIN_CELL_M)
    with np.errstate(divide="ignore"):
        far = np.where(tan_el > 0, (top - lowest) / tan_el, 0.0)
    wanted = d[None, :] <= far[:, None]  # (instants, distances) where the terrain may still matter
    steps, ks = np.nonzero(wanted)
    steps, ks = _may_rise_above(ground, axis, xy, azimuth, d, tan_el, lowest, steps, ks)
    az = np.radians(azimuth)[steps]
    px = xy[:, 0, None] + (d[ks] * np.sin(az))[None, :]
    py = xy[:, 1, None] + (d[ks] * np.cos(az))[None, :]
    h = ndimage.map_coordinates(ground, [((axis[-1] - py) / TERRAIN_CELL_M).ravel(),
                                         ((px - axis[0]) / TERRAIN_CELL_M).ravel()],
                                order=1, mode="constant", cval=np.nan, prefilter=False).reshape(px.shape)
    drop = d * d * (1 - REFRACTION_K) / (2 * EARTH_RADIUS_M)
    need = h - (drop[ks] + d[ks] * tan_el[steps])[None, :]
    full = np.full((len(xy), len(azimuth) * len(d)), -np.inf)
    full[:, steps * len(d) + ks] = np.where(np.isfinite(need), need, -np.inf)
    return full.reshape(len(xy), len(azimuth), len(d)).max(axis=2)


def sun_path(req: SunlightRequest, lon: float, lat: float) -> tuple[dt.date, np.ndarray, np.ndarray,
                                                                     np.ndarray, float]:
    """(date, true solar hours, azimuth, elevation, step in hours) at the step midpoints."""
    day = solar.solar_term_date(req.day, req.year)
    start, end = WINDOWS[req.day]
    step_h = req.step_min / 60.0
    n = int(round((end - start) / step_h))
    hours = start + (np.arange(n) + 0.5) * step_h
    pos = solar.solar_position(solar.utc_of_true_solar_time(day, hours, lon), lat, lon)
    return day, hours, pos.azimuth, pos.elevation, step_h


def hours_for(scene: Scene, target: Target, obstacles: Obstacles, sun: tuple, *, terrain_radius: float,
              progress=None) -> np.ndarray:
    """(columns, floors) hours of sun."""
    _, _, az, el, step_h = sun
    lowest = float(target.columns.z[0].min()) if target.columns.z else 0.0
    limits = (terrain_limits(scene, target.columns.xy, az, el, terrain_radius, lowest)
              if terrain_radius else None)
    lit = sunlit(target.columns, obstacles, az, el, terrain=limits, progress=progress)
    return (lit.sum(axis=1) * step_h).reshape(len(target.columns.xy), target.floors)


# -- the run --------------------------------------------------------------------------------------


def _target_json(target: Target, hours: np.ndarray, required: float) -> dict:
    from cim.terrain.geoid import undulation

    n = undulation(target.lonlat[:, 0], target.lonlat[:, 1]) if len(target.lonlat) else np.zeros(0)
    ok = hours >= required - 1e-9
    floors = []
    for f in range(target.floors):
        col = hours[:, f]
        floors.append({"floor": f + 1, "points": int(len(col)), "failing": int((~ok[:, f]).sum()),
                       "min": round(float(col.min()), 2) if len(col) else 0.0,
                       "max": round(float(col.max()), 2) if len(col) else 0.0})
    return {
        "building": target.building, "name": target.name, "floors": target.floors,
        "storey_m": round(target.storey_m, 3), "base": round(target.base, 2),
        "sill_m": round(float(target.columns.z[0][0] - target.base), 3) if target.columns.z else 0.0,
        "columns": [{"lon": round(float(lo), 8), "lat": round(float(la), 8), "facade": int(fa),
                     "facing": round(float(fc), 1), "width": round(float(w), 2), "n": round(float(u), 2)}
                    for lo, la, fa, fc, w, u in zip(target.lonlat[:, 0], target.lonlat[:, 1], target.facade,
                                                    target.facing, target.width, n, strict=True)],
        "z": [round(float(z), 2) for z in target.columns.z[0]] if target.columns.z else [],
        "hours": np.round(hours, 3).tolist(),
        "per_floor": floors,
        "floors_failing": [f["floor"] for f in floors if f["points"] and f["failing"] == f["points"]],
        "floors_partly": [f["floor"] for f in floors if 0 < f["failing"] < f["points"]],
    }


def _planned_local(scene: Scene, planned: Planned, default_base: float) -> dict:
    """The planned building in the scene: on the DEM, or (without one) at the ground
    height of the nearest building."""
    fp = _local(planned.geometry, scene.to_local)
    ground = _ground(scene, np.array([[fp.centroid.x, fp.centroid.y]]))[0]
    if np.isfinite(ground):
        base = float(ground)
    elif scene.buildings:
        base = float(min(scene.buildings.values(), key=lambda b: b["footprint"].distance(fp))["base"])
    else:
        base = default_base
    return {"footprint": fp, "height": planned.height, "base": base, "name": planned.name}


def sun_summary(request: SunlightRequest, sun: tuple) -> dict:
    """What a run's summary says of the day, the window, the standard and the sun."""
    day, _, az, el, _ = sun
    return {
        "day": request.day, "day_name": DAY_NAMES[request.day], "date": day.isoformat(),
        "window": list(WINDOWS[request.day]), "step_min": request.step_min,
        "required_hours": request.required_hours,
        "standard": {"zone": cim_settings.SUNLIGHT_CLIMATE_ZONE,
                     "population": cim_settings.SUNLIGHT_URBAN_POPULATION},
        "sun": {"first": [round(float(az[0]), 2), round(float(el[0]), 2)],
                "noon": [round(float(az[len(az) // 2]), 2), round(float(el[len(el) // 2]), 2)]},
    }


def add_impact(item: dict, hours: np.ndarray, after: np.ndarray, required: float) -> dict:
    """A target's result (``_target_json``) with the hours after a change: the hours lost per
    point, the largest loss, the points that met the standard and no longer do, the floors
    no point of which meets it afterwards."""
    lost = np.maximum(hours - after, 0.0)
    item["hours_after"] = np.round(after, 3).tolist()
    item["lost"] = np.round(lost, 3).tolist()
    item["max_lost"] = round(float(lost.max()), 2) if lost.size else 0.0
    ok_before = hours >= required - 1e-9
    ok_after = after >= required - 1e-9
    item["points_newly_failing"] = int((ok_before & ~ok_after).sum())
    item["floors_failing_after"] = [f + 1 for f in range(after.shape[1])
                                    if len(after) and not ok_after[:, f].any()]
    return item


def trace_targets(scene: Scene, targets: list[dict], request: SunlightRequest, sun: tuple, *,
                  before: Obstacles, after: Obstacles | None = None, terrain_radius: float, report,
                  span: tuple[int, int] = (5, 95),
                  after_message: str = "tracing sun rays with the planned building") -> list[dict]:
    """The result (``_target_json``) of each target building (a scene row) against the
    obstacles ``before``, and with ``after`` (a changed scene) the hours lost
    (``add_impact``); progress reported from ``span[0]`` to ``span[1]`` per cent."""
    results = []
    passes = len(targets) * (2 if after is not None else 1)
    low, high = span

    def stepper(done, message):
        return lambda i, total: report(low + int((high - low) * (done + i / max(total, 1)) / max(passes, 1)),
                                       100, message)

    done = 0
    for b in targets:
        target = target_points(scene, b, spacing=request.spacing_m, sill=request.sill_m)
        if len(target.columns.xy) * target.floors > MAX_POINTS:
            raise DomainError(f"{len(target.columns.xy) * target.floors:,} points: choose a larger spacing",
                              field="params.spacing_m")
        hours = hours_for(scene, target, before, sun, terrain_radius=terrain_radius,
                          progress=stepper(done, "tracing sun rays"))
        done += 1
        item = _target_json(target, hours, request.required_hours)
        if after is not None:
            hours_after = hours_for(scene, target, after, sun, terrain_radius=terrain_radius,
                                    progress=stepper(done, after_message))
            done += 1
            add_impact(item, hours, hours_after, request.required_hours)
        results.append(item)
    return results


def sunlight_run(*, by, request: SunlightRequest, progress=None) -> AnalysisRun:
    """Compute and save a sunlight analysis (or the impact of a planned building)."""
    import shapely

    report = progress or (lambda done, total, message: None)
    if request.building is not None:
        row = Building.objects.filter(pk=request.building).values_list("footprint", flat=True).first()
        if row is None:
            raise DomainError(f"unknown building {request.building}", field="params.building")
        centre = shapely.from_wkb(bytes(row.wkb))
    else:
        centre = request.planned.geometry
    reach = request.radius_m + (request.neighbour_radius_m if request.planned else 0.0)
    report(0, 100, "collecting the buildings")
    scene = scene_for(centre, reach)
    chosen = scene.buildings.get(request.building) if request.building is not None else None
    default_base = float(chosen["base"]) if chosen and chosen["base"] is not None else 0.0
    _fill_bases(scene, default_base)
    sun = sun_path(request, scene.lon0, scene.lat0)
    terrain_radius = request.terrain_radius_m if request.terrain else 0.0

    targets = []  # (building row, before: Target, hours)
    if request.planned is None:
        targets = [chosen]
    else:
        scene.planned = None
        planned = _planned_local(scene, request.planned, default_base)
        near = [b for b in scene.buildings.values()
                if b["footprint"].distance(planned["footprint"]) <= request.neighbour_radius_m
                and not b["footprint"].intersects(planned["footprint"])]
        near.sort(key=lambda b: (b["use"] != "residential", b["footprint"].distance(planned["footprint"])))
        targets = near[:MAX_NEIGHBOURS]
        if chosen is not None and chosen not in targets:
            targets.insert(0, chosen)
        # what the planned building replaces on its site is gone from the scene
        for bid in [k for k, b in scene.buildings.items() if b["footprint"].intersects(planned["footprint"])]:
            del scene.buildings[bid]
    before_obstacles = obstacles_of(scene)
    after_obstacles = None
    if request.planned is not None:
        scene.planned = planned
        after_obstacles = obstacles_of(scene)
    results = trace_targets(scene, targets, request, sun, before=before_obstacles, after=after_obstacles,
                            terrain_radius=terrain_radius, report=report)
    report(96, 100, "saving the result")
    primary = results[0] if results else None
    summary = {
        "mode": "impact" if request.planned else "building", **sun_summary(request, sun),
        "obstacles": len(scene.buildings), "triangles": int(len(before_obstacles.tri)),
        "terrain": bool(terrain_radius),
        "buildings": len(results),
        "points": sum(len(r["columns"]) * r["floors"] for r in results),
        "building": primary["building"] if primary and request.planned is None else None,
        "min_hours": min((min(map(min, r["hours"])) for r in results if r["hours"] and r["hours"][0]),
                         default=0.0),
        "floors_failing": primary["floors_failing"] if primary and request.planned is None else [],
        "floors_partly": primary["floors_partly"] if primary and request.planned is None else [],
    }
    if request.planned is not None:
        summary["affected"] = sum(1 for r in results if r["max_lost"] > 0)
        summary["max_lost"] = max((r["max_lost"] for r in results), default=0.0)
        summary["points_newly_failing"] = sum(r["points_newly_failing"] for r in results)
        summary["planned"] = {"name": request.planned.name, "height": request.planned.height,
                              "base": round(planned["base"], 2)}
    if request.title:
        title = request.title
    elif request.planned is None and results:  # (the kind, 日照分析, heads every view of the run)
        title = results[0]["name"] or f"#{results[0]['building']}"
    else:
        title = f"{request.planned.name}影响"
    with transaction.atomic():
        run = AnalysisRun.objects.create(
            kind=AnalysisKind.SUNLIGHT, title=clip(AnalysisRun, "title", title),
            params=request.params, summary=summary, result={"buildings": results},
            model_version=AnalysisRun.current_model_version(), created_by=acting_user(by))
        audit_record(actor=by, action="analysis.sunlight", obj=run,
                     after={"building": request.building, "planned": request.planned is not None,
                            "points": summary["points"]})
    report(100, 100, "saving the result")
    return run


CSV_COLUMNS = ("building", "name", "facade", "facing", "lon", "lat", "floor", "z", "hours", "meets",
               "hours_after", "lost")


def sunlight_csv(run: AnalysisRun) -> str:
    """One row per calculation point (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    required = run.summary.get("required_hours", 0)
    for b in run.result.get("buildings", []):
        after, lost = b.get("hours_after"), b.get("lost")
        for c, col in enumerate(b["columns"]):
            for f, z in enumerate(b["z"]):
                h = b["hours"][c][f]
                writer.writerow([b["building"], b["name"], col["facade"] + 1, col["facing"], col["lon"],
                                 col["lat"], f + 1, z, h, "yes" if h >= required - 1e-9 else "no",
                                 "" if after is None else after[c][f], "" if lost is None else lost[c][f]])
    return out.getvalue()
