"""Urban fabric, blocks and parcels of the demo city.

The urban fabric is the valley floor inside the real district boundaries;
blocks are what the streets, the rivers and their green banks leave of it;
parcels split large blocks along internal lanes.  Each parcel gets a typology
from the plan's zones, and some become schools, hospitals, parks, markets or
government compounds.  Metric coordinates (EPSG:4544).  Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from . import plan
from .geo import rng_for, to_lonlat, to_metric
from .rivers import Valleys

GREEN_BANK_M = 22.0  # riverside greenway between water and the first buildings
TYPOLOGIES = ("oldtown", "village", "walkup", "tower", "commercial", "office", "industrial")
# typology: (target parcel area m², lane width between parcels m)
PARCEL_TARGET = {
    "oldtown": (5000.0, 4.0), "village": (6500.0, 4.0), "walkup": (32000.0, 8.0),
    "tower": (42000.0, 10.0), "commercial": (20000.0, 10.0), "office": (18000.0, 10.0),
    "industrial": (90000.0, 12.0),
}
# Named sites the plan places near a point: (kind, name, lon, lat, min area, max area).
SITES = [
    ("government", "天水市政务服务中心", 105.733, 34.5790, 15000, 60000),
    ("government", "秦州区政务服务中心", 105.707, 34.5805, 10000, 50000),
    ("government", "麦积区政务服务中心", 105.903, 34.5760, 10000, 50000),
    ("hospital", "天水市第一人民医院", 105.721, 34.5790, 20000, 70000),
    ("hospital", "天水市中医医院", 105.703, 34.5835, 15000, 60000),
    ("hospital", "天水市第二人民医院", 105.745, 34.5760, 15000, 60000),
    ("hospital", "天水市第四人民医院", 105.667, 34.5810, 15000, 60000),
    ("hospital", "秦州区人民医院", 105.715, 34.5670, 15000, 60000),
    ("hospital", "天水市妇幼保健院", 105.760, 34.5740, 12000, 50000),
    ("hospital", "麦积区人民医院", 105.897, 34.5780, 15000, 60000),
    ("hospital", "天水市第三人民医院", 105.910, 34.5590, 15000, 60000),
    ("hospital", "麦积区中医医院", 105.888, 34.5850, 12000, 50000),
    ("hospital", "天水市麦积区第二人民医院", 105.960, 34.5690, 12000, 50000),
    ("hospital", "马跑泉医院", 105.832, 34.5600, 12000, 50000),
    ("park", "天水湖公园", 105.664, 34.5735, 20000, 120000),
    ("park", "人民公园", 105.716, 34.5815, 25000, 90000),
    ("park", "伏羲广场", 105.690, 34.5830, 20000, 80000),
    ("park", "藉河湿地公园", 105.760, 34.5690, 20000, 90000),
    ("park", "泉湖公园", 105.900, 34.5550, 25000, 90000),
    ("park", "马跑泉公园", 105.825, 34.5630, 20000, 80000),
    ("park", "天河广场", 105.905, 34.5715, 15000, 60000),
    ("park", "龙园", 105.918, 34.5585, 20000, 80000),
    ("park", "社棠公园", 105.962, 34.5640, 15000, 60000),
]


@dataclass
class Parcel:
    """A parcel to be built on: its polygon, typology and the block it came from."""

    geom: shapely.Polygon
    typology: str
    district: str
    block: int
    name: str = ""
    angle: float = 0.0  # orientation of the street grid here, radians from east


def urban_fabric(valleys: Valleys, districts: dict[str, shapely.Geometry],
                 extent: shapely.Geometry) -> dict[str, shapely.Geometry]:
    """The valley floors inside each district (and the extent), water included."""
    floors = valleys.floors()
    return {code: floors.intersection(geom).intersection(extent)
            for code, geom in districts.items()}


def build_blocks(fabric: dict[str, shapely.Geometry], road_geoms: np.ndarray,
                 road_widths: np.ndarray, water) -> list[tuple[str, shapely.Polygon]]:
    """(district, block polygon) for what the streets and the water leave."""
    # Buffering one multi-line per width merges the strips inside GEOS: much
    # faster than a union of thousands of polygons.
    strips = []
    for width in np.unique(road_widths):
        lines = shapely.multilinestrings(list(road_geoms[road_widths == width]))
        strips.append(shapely.buffer(lines, width / 2.0, quad_segs=2, cap_style="flat"))
    road_space = shapely.union_all(strips)
    blocked = shapely.union_all([road_space, water.buffer(GREEN_BANK_M, quad_segs=4)])
    out = []
    for code in sorted(fabric):
        # Keep blocks a few metres inside the real district boundary.
        region = fabric[code].buffer(-8.0)
        remaining = region.difference(blocked)
        for poly in shapely.get_parts(remaining):
            if poly.geom_type != "Polygon" or poly.area < 1500:
                continue
            # Thin slivers along the edges make no parcels.
            if poly.buffer(-9.0).is_empty:
                continue
            out.append((code, shapely.set_precision(poly, 0.01)))
    return out


def principal_angle(poly: shapely.Polygon) -> float:
    """Direction of the polygon's longest side of its minimum rectangle, in (-pi/2, pi/2]."""
    rect = shapely.oriented_envelope(poly)
    c = np.asarray(rect.exterior.coords)
    edges = np.diff(c[:3], axis=0)
    long_edge = edges[np.argmax(np.hypot(edges[:, 0], edges[:, 1]))]
    angle = float(np.arctan2(long_edge[1], long_edge[0]))
    if angle > np.pi / 2:
        angle -= np.pi
    if angle <= -np.pi / 2:
        angle += np.pi
    return angle


def fold_angle(a: np.ndarray) -> np.ndarray:
    """Fold directions into (-45°, 45°]: a grid runs along or across its axis."""
    return (np.asarray(a) + np.pi / 4) % (np.pi / 2) - np.pi / 4


def street_angles(valleys: Valleys, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Direction of the street grid at each point: the tangent of the valley
    axis whose frame the streets there follow (main valley first)."""
    out = np.full(x.size, np.nan)
    for axis in valleys.axes:
        floor = axis.floor_polygon()
        todo = np.isnan(out) & shapely.contains_xy(floor.buffer(50), x, y)
        if not todo.any():
            continue
        tree = cKDTree(np.column_stack([axis.x, axis.y]))
        _, k = tree.query(np.column_stack([x[todo], y[todo]]))
        out[todo] = np.arctan2(axis.ty[k], axis.tx[k])
    out = np.where(np.isnan(out), 0.0, out)
    return fold_angle(out)


def split_parcel(poly: shapely.Polygon, target: float, gap: float, rng: np.random.Generator,
                 depth: int = 0) -> list[shapely.Polygon]:
    """Halve a block across its long side until each part is below ``target`` m²."""
    if poly.area <= target * 1.4 or depth > 12:
        return [poly]
    rect = shapely.oriented_envelope(poly)
    c = np.asarray(rect.exterior.coords)[:4]
    e1, e2 = c[1] - c[0], c[2] - c[1]
    long_edge, short_edge = (e1, e2) if np.hypot(*e1) >= np.hypot(*e2) else (e2, e1)
    length = np.hypot(*long_edge)
    u = long_edge / length
    v = np.array([-u[1], u[0]])
    centre = c.mean(axis=0)
    shift = (rng.uniform(0.4, 0.6) - 0.5) * length
    mid = centre + u * shift
    half_long = np.hypot(*short_edge) + length
    strip = shapely.Polygon([mid - u * gap / 2 - v * half_long, mid + u * gap / 2 - v * half_long,
                             mid + u * gap / 2 + v * half_long, mid - u * gap / 2 + v * half_long])
    parts = [p for p in shapely.get_parts(poly.difference(strip))
             if p.geom_type == "Polygon" and p.area > 200]
    if len(parts) < 2:
        return [poly]
    out = []
    for part in parts:
        out.extend(split_parcel(part, target, gap, rng, depth + 1))
    return out


def _zone_weights(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, len(TYPOLOGIES)) weights from the plan's zones."""
    weights = np.zeros((lon.size, len(TYPOLOGIES)))
    for i, typ in enumerate(TYPOLOGIES):
        weights[:, i] = plan.BACKGROUND.get(typ, 0.0)
    zx, zy = to_metric(np.array([z[0] for z in plan.ZONES]), np.array([z[1] for z in plan.ZONES]))
    px, py = to_metric(lon, lat)
    for (_lon, _lat, radius, mix), cx, cy in zip(plan.ZONES, zx, zy, strict=True):
        g = np.exp(-((px - cx) ** 2 + (py - cy) ** 2) / (2 * radius ** 2))
        for typ, w in mix.items():
            weights[:, TYPOLOGIES.index(typ)] += w * g
    return weights


def build_parcels(blocks: list[tuple[str, shapely.Polygon]], valleys: Valleys, seed: int,
                  edge_distance) -> list[Parcel]:
    """Typology per block, then parcels, then the plan's named sites."""
    if not blocks:
        return []
    cents = shapely.centroid(np.array([b for _, b in blocks], dtype=object))
    cx, cy = shapely.get_coordinates(cents).T
    lon, lat = to_lonlat(cx, cy)
    weights = _zone_weights(lon, lat)
    # Villages cling to the foot of the hills; industry wants flat, open land.
    near_edge = np.clip(1.0 - edge_distance(cx, cy) / 320.0, 0, 1)
    weights[:, TYPOLOGIES.index("village")] *= 0.3 + 1.8 * near_edge
    angles = street_angles(valleys, cx, cy)
    sites = _site_blocks(blocks)
    parcels: list[Parcel] = []
    for i, (code, block) in enumerate(blocks):
        key = (round(cx[i] / 10), round(cy[i] / 10))
        rng = rng_for(seed, "block", *key)
        w = weights[i] / weights[i].sum()
        typ = TYPOLOGIES[int(rng.choice(len(TYPOLOGIES), p=w))]
        if typ == "industrial" and block.area < 12000:
            typ = "walkup"
        angle = float(angles[i])
        pieces = [(block, typ)]
        if i in sites:
            kind, name, sx, sy, amin, amax = sites[i]
            parts = split_parcel(block, (amin + amax) / 2, 10.0, rng)
            dist = [p.distance(shapely.Point(sx, sy)) if p.area >= amin * 0.7 else np.inf
                    for p in parts]
            best = int(np.argmin(dist))
            if np.isfinite(dist[best]):
                parcels.append(Parcel(geom=shapely.set_precision(parts[best], 0.01), typology=kind,
                                      district=code, block=i, name=name, angle=angle))
                pieces = [(p, typ) for j, p in enumerate(parts) if j != best]
        target, gap = PARCEL_TARGET[typ]
        for piece, piece_typ in pieces:
            for part in split_parcel(piece, target, gap, rng):
                part = shapely.set_precision(part, 0.01)
                if part.is_empty or part.geom_type != "Polygon" or part.area < 300:
                    continue
                parcels.append(Parcel(geom=part, typology=piece_typ, district=code, block=i,
                                      angle=angle))
    _place_schools(parcels, seed)
    _place_parks(parcels, seed)
    _place_markets(parcels, seed)
    return parcels


def _site_blocks(blocks: list[tuple[str, shapely.Polygon]]) -> dict[int, tuple]:
    """The block each named site of the plan goes to: the nearest block big
    enough, or in a dense old town the nearest one of at least half the size
    (the site then takes most of it)."""
    geoms = np.array([b for _, b in blocks], dtype=object)
    areas = shapely.area(geoms)
    taken: dict[int, tuple] = {}
    for kind, name, lon, lat, amin, amax in SITES:
        sx, sy = (float(v) for v in to_metric(lon, lat))
        d = shapely.distance(geoms, shapely.Point(sx, sy))
        free = np.ones(len(geoms), dtype=bool)
        free[list(taken)] = False
        for need, reach in ((amin * 1.1, 1500.0), (amin * 0.5, 1200.0)):
            ok = free & (areas >= need) & (d < reach)
            if ok.any():
                i = int(np.argmin(np.where(ok, d, np.inf)))
                taken[i] = (kind, name, sx, sy, min(amin, 0.8 * areas[i]), amax)
                break
    return taken


def _place_parks(parcels: list[Parcel], seed: int) -> None:
    """Pocket parks and squares (街头公园, 广场) about every 1.3 km."""
    rng = rng_for(seed, "parks")
    cents = shapely.get_coordinates(shapely.centroid(np.array([p.geom for p in parcels],
                                                               dtype=object)))
    placed = [cents[i] for i, p in enumerate(parcels) if p.typology == "park"]
    for i in rng.permutation(len(parcels)):
        p = parcels[i]
        if p.typology not in ("walkup", "tower", "oldtown", "village") or p.name:
            continue
        if not 6000 <= p.geom.area <= 40000:
            continue
        if placed and np.min(np.hypot(*(np.asarray(placed) - cents[i]).T)) < 1300:
            continue
        p.typology = "park"
        placed.append(cents[i])


def _place_schools(parcels: list[Parcel], seed: int) -> None:
    """Middle schools about every 2 km, primary schools about every 0.9 km,
    on residential parcels big enough for a sports field."""
    rng = rng_for(seed, "schools")
    cents = shapely.get_coordinates(shapely.centroid(np.array([p.geom for p in parcels],
                                                               dtype=object)))
    order = rng.permutation(len(parcels))
    for kind, spacing, amin, amax in (("middle_school", 1900.0, 26000, 80000),
                                      ("primary_school", 850.0, 14000, 50000)):
        placed: list[np.ndarray] = [cents[i] for i, p in enumerate(parcels)
                                    if p.typology == kind]
        for i in order:
            p = parcels[i]
            if p.typology not in ("walkup", "tower", "village", "oldtown"):
                continue
            if not amin <= p.geom.area <= amax:
                continue
            # The field needs a compact parcel.
            rect = shapely.oriented_envelope(p.geom)
            if p.geom.area / rect.area < 0.75:
                continue
            if placed and np.min(np.hypot(*(np.asarray(placed) - cents[i]).T)) < spacing:
                continue
            p.typology = kind
            placed.append(cents[i])


def _place_markets(parcels: list[Parcel], seed: int) -> None:
    rng = rng_for(seed, "markets")
    cents = shapely.get_coordinates(shapely.centroid(np.array([p.geom for p in parcels],
                                                               dtype=object)))
    placed: list[np.ndarray] = []
    for i in rng.permutation(len(parcels)):
        p = parcels[i]
        if p.typology not in ("walkup", "oldtown", "village") or not 3500 <= p.geom.area <= 16000:
            continue
        if placed and np.min(np.hypot(*(np.asarray(placed) - cents[i]).T)) < 1400:
            continue
        p.typology = "market"
        placed.append(cents[i])
