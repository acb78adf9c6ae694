"""Generate the whole demo city from a seed: :func:`generate`.

The result, :class:`DemoCity`, holds everything in EPSG:4326 ready to load
(the DEM as an array with its transform).  The same seed and extent always
give the same city.  Pure: no Django.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.geometry

from gis_data import tianshui

from . import blocks as blocks_mod
from . import buildings as buildings_mod
from . import communities as communities_mod
from . import plan, rivers, roads, service_points, terrain
from .geo import geoms_to_lonlat, geoms_to_metric, to_lonlat

MAX_FOOTPRINT_RELIEF_M = 3.0
RESIDENTIAL_M2_PER_PERSON = 33.0

STEPS = ("valleys", "terrain", "roads", "blocks", "communities", "parcels", "buildings",
         "checks", "service points", "coordinates")


class EmptyExtent(ValueError):
    """The extent holds no valley floor to build a city on."""


@dataclass
class DemoCity:
    """A generated city in EPSG:4326 (heights orthometric, metres)."""

    seed: int
    extent: tuple[float, float, float, float]
    version: str
    terrain: terrain.Terrain
    waterways: list[dict]
    road_nodes: np.ndarray  # (n, 2) lon/lat
    road_edges: list[dict]
    buildings: dict[str, list]
    communities: dict[str, dict]
    units: dict[str, dict]
    service_points: list[dict]
    open_spaces: list[dict] = field(default_factory=list)  # parks and school sports fields
    stats: dict = field(default_factory=dict)


def _multipolygon(geom) -> shapely.MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(parts)


def generate(*, seed: int = plan.DEFAULT_SEED, extent: tuple[float, float, float, float] | None = None,
             progress: Callable[[str], None] | None = None) -> DemoCity:
    """Build the city inside ``extent`` (lon/lat; default: the whole plan)."""
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def step(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 2)
        clock[0] = now
        if progress:
            progress(name)

    extent = tuple(float(v) for v in (extent or plan.FULL_EXTENT))
    valleys = rivers.build_valleys(seed)
    gullies = rivers.build_gullies(valleys, seed)
    step("valleys")

    margin = 0.02
    dem_bounds = (max(plan.DEM_BOUNDS[0], extent[0] - margin), max(plan.DEM_BOUNDS[1], extent[1] - margin),
                  min(plan.DEM_BOUNDS[2], extent[2] + margin), min(plan.DEM_BOUNDS[3], extent[3] + margin))
    ground = terrain.build_terrain(valleys, gullies, dem_bounds, seed)
    step("terrain")

    real = tianshui.boundaries()
    districts = {code: geoms_to_metric(real[code]) for code in (plan.QINZHOU, plan.MAIJI)}
    extent_m = geoms_to_metric(shapely.segmentize(shapely.box(*extent), 0.002))
    fabric = blocks_mod.urban_fabric(valleys, districts, extent_m)
    road_space = shapely.union_all(list(fabric.values()))
    if road_space.area < 0.05e6:
        raise EmptyExtent(f"no valley floor in the extent {extent} (hills only)")
    water_all = valleys.water()
    water = water_all.intersection(extent_m.buffer(200))
    net = roads.build_roads(valleys, road_space, water, districts, seed)
    if not net.edges:
        raise EmptyExtent(f"no streets fit in the extent {extent}")
    step("roads")

    road_geoms = net.geoms()
    road_widths = np.array([e["width_m"] for e in net.edges])
    blocks = blocks_mod.build_blocks(fabric, road_geoms, road_widths, water)
    step("blocks")

    bridges = [(shapely.get_coordinates(e["geom"])[0], shapely.get_coordinates(e["geom"])[-1])
               for e in net.edges if e["bridge"]]
    cplan = communities_mod.plan_communities(blocks, fabric, bridges, seed)
    kept = [i for i, c in enumerate(cplan.block_community) if c is not None]
    kept_blocks = [blocks[i] for i in kept]
    kept_labels = [cplan.block_community[i] for i in kept]
    step("communities")

    floors = valleys.floors()
    edge = floors.boundary

    def edge_distance(x, y):
        return shapely.distance(shapely.points(x, y), edge)

    parcels = blocks_mod.build_parcels(kept_blocks, valleys, seed, edge_distance)
    step("parcels")

    bset, fields = buildings_mod.layout_all(parcels, seed)
    step("buildings")

    bset, rejected = _check_buildings(bset, road_geoms, water, ground)
    building_community = [kept_labels[parcels[p].block] for p in bset.parcel]
    step("checks")

    points = service_points.build_service_points(
        net=net, buildings=bset, building_community=building_community, parcels=parcels,
        fields=fields, communities=cplan, seed=seed)
    step("service points")

    city = _to_lonlat(seed=seed, extent=extent, ground=ground, valleys=valleys, water=water,
                      extent_m=extent_m, net=net, bset=bset, building_community=building_community,
                      cplan=cplan, points=points)
    spaces = [("park", p.name, p.geom) for p in parcels if p.typology == "park"]
    spaces += [("school_field", parcels[i].name, g) for i, g in fields]
    city.open_spaces = [{"kind": kind, "name": name, "geom": geoms_to_lonlat(geom)}
                        for kind, name, geom in spaces]
    step("coordinates")
    fabric_km2 = road_space.area / 1e6
    city.stats = {
        "fabric_km2": round(fabric_km2, 1),
        "fabric_land_km2": round(road_space.difference(water).area / 1e6, 1),
        "blocks": len(kept_blocks), "parcels": len(parcels),
        "parcel_typologies": dict(sorted(Counter(p.typology for p in parcels).items())),
        "building_typologies": dict(sorted(Counter(bset.typology).items())),
        "rejected_buildings": rejected, "dropped_road_pieces": net.dropped_pieces,
        "timings_s": timings,
    }
    return city


def _check_buildings(bset: buildings_mod.Buildings, road_geoms: np.ndarray, water,
                     ground: terrain.Terrain) -> tuple[buildings_mod.Buildings, dict]:
    """Drop any building that overlaps another, a road or water, or stands on
    a slope (more than a few metres of relief under its footprint)."""
    geoms = np.array(bset.geoms, dtype=object)
    n = geoms.size
    bad = np.zeros(n, dtype=bool)
    reasons: Counter = Counter()
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    pair = a < b
    overlap = np.zeros(n, dtype=bool)
    overlap[b[pair]] = True
    reasons["overlap"] = int(overlap.sum())
    bad |= overlap
    if road_geoms.size:
        hit = np.unique(shapely.STRtree(road_geoms).query(geoms, predicate="intersects")[0])
        reasons["road"] = int(hit.size)
        bad[hit] = True
    if not water.is_empty:
        wet = np.unique(tree.query(shapely.get_parts(water), predicate="intersects")[1])
        reasons["water"] = int(wet.size)
        bad[wet] = True
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    z = ground.heights_metric(coords[:, 0], coords[:, 1])
    zmin = np.full(n, np.inf)
    zmax = np.full(n, -np.inf)
    np.minimum.at(zmin, owner, z)
    np.maximum.at(zmax, owner, z)
    steep = ~np.isfinite(zmin) | (zmax - zmin > MAX_FOOTPRINT_RELIEF_M)
    reasons["slope_or_off_dem"] = int(steep.sum())
    bad |= steep
    return bset.subset(~bad), dict(reasons)


def _to_lonlat(*, seed, extent, ground, valleys, water, extent_m, net, bset, building_community,
               cplan, points) -> DemoCity:
    divisions = tianshui.division_map()
    # Water: clip to the extent and keep each waterway's name.
    waterways = []
    for w in valleys.waterways():
        geom = w["geom"].intersection(extent_m)
        if geom.is_empty or geom.area < 100:
            continue
        line = w["centreline"].intersection(extent_m) if w["centreline"] is not None else None
        if line is not None and line.geom_type != "LineString":
            parts = [p for p in shapely.get_parts(line) if p.geom_type == "LineString"]
            line = max(parts, key=lambda p: p.length) if parts else None
        waterways.append({
            "source_id": w["key"], "name": w["name"], "kind": w["kind"],
            "geom": _multipolygon(geoms_to_lonlat(geom)),
            "centreline": geoms_to_lonlat(line) if line is not None and not line.is_empty else None,
        })

    lon, lat = to_lonlat(net.nodes[:, 0], net.nodes[:, 1])
    edge_geoms = geoms_to_lonlat(net.geoms())
    edges = []
    for e, g in zip(net.edges, edge_geoms, strict=True):
        edges.append({k: e[k] for k in ("from", "to", "name", "road_class", "oneway", "lanes",
                                         "speed_kmh", "bridge", "length_m")} | {"geom": g})

    geoms_m = np.array(bset.geoms, dtype=object)
    geoms_ll = geoms_to_lonlat(geoms_m)
    coords, owner = shapely.get_coordinates(geoms_ll, return_index=True)
    z = ground.heights_lonlat(coords[:, 0], coords[:, 1])
    base = np.full(len(geoms_ll), np.inf)
    np.minimum.at(base, owner, z)
    heights = bset.heights()
    footprint_m2 = shapely.area(geoms_m)
    buildings = {
        "source_id": [f"b{i:06d}" for i in range(len(geoms_ll))],
        "geom": [shapely.MultiPolygon([g]) for g in geoms_ll],
        "centroid": list(shapely.centroid(geoms_ll)),
        "height": [float(h) for h in heights],
        "floors": list(bset.floors), "use": list(bset.use), "year": list(bset.year),
        "name": list(bset.name), "base_elevation": [round(float(b), 2) for b in base],
        "community": list(building_community),
        "tags": [dict(t, typology=ty) for t, ty in zip(bset.tags, bset.typology, strict=True)],
        "footprint_m2": [float(a) for a in footprint_m2],
    }

    residents: Counter = Counter()
    for code, use, fl, a in zip(building_community, bset.use, bset.floors, footprint_m2, strict=True):
        if use == "residential":
            residents[code] += a * fl * 0.8 / RESIDENTIAL_M2_PER_PERSON
    centre_address = {p["community"]: p["address"] for p in points if p["category"] == "community_centre"}
    hall_address = {p["source_id"].split("hall-")[1]: p["address"] for p in points
                    if p["source_id"].startswith("gov_service_hall:hall-")}
    communities = {}
    for code, area in sorted(cplan.areas.items()):
        communities[code] = {
            "geom": _multipolygon(geoms_to_lonlat(area)),
            "phone": communities_mod.contact_phone(code, seed),
            "office_address": centre_address.get(code, ""),
            "population": int(round(residents.get(code, 0))),
            "name": divisions[code].name,
        }
    units = {}
    for code, area in sorted(cplan.unit_areas.items()):
        kids = cplan.units.get(code, [])
        units[code] = {
            "geom": _multipolygon(geoms_to_lonlat(area)),
            "phone": communities_mod.contact_phone(code, seed),
            "office_address": hall_address.get(code, ""),
            "population": int(sum(communities[k]["population"] for k in kids if k in communities)),
            "name": divisions[code].name,
            # A town's real area reaches far into the hills; only a street's is the union.
            "has_boundary": divisions[code].is_subdistrict,
        }
    sp = []
    for p in points:
        lon_, lat_ = to_lonlat(p["geom"].x, p["geom"].y)
        item = {k: v for k, v in p.items() if k != "area_m"}
        if p.get("area_m") is not None:
            # The open ground of a shelter, as GeoJSON, for the map and for planning.
            area = shapely.set_precision(geoms_to_lonlat(p["area_m"]), 1e-7)
            item["tags"] = dict(p["tags"], area=shapely.geometry.mapping(area))
        sp.append(dict(item, geom=shapely.Point(float(lon_), float(lat_))))
    return DemoCity(seed=seed, extent=extent, version=plan.GENERATOR_VERSION, terrain=ground,
                    waterways=waterways, road_nodes=np.column_stack([lon, lat]), road_edges=edges,
                    buildings=buildings, communities=communities, units=units, service_points=sp)


def digest(city: DemoCity) -> str:
    """SHA-256 over everything generated: the same seed and extent give the
    same digest, on any machine with the same library versions."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(city.terrain.data).tobytes())
    for geoms in (city.buildings["geom"], [e["geom"] for e in city.road_edges],
                  [w["geom"] for w in city.waterways], [p["geom"] for p in city.service_points],
                  [c["geom"] for c in city.communities.values()]):
        for wkb in shapely.to_wkb(np.asarray(geoms, dtype=object)):
            h.update(wkb)
    attrs = {
        "buildings": {k: v for k, v in city.buildings.items() if k not in ("geom", "centroid")},
        "roads": [{k: v for k, v in e.items() if k != "geom"} for e in city.road_edges],
        "points": [{k: v for k, v in p.items() if k != "geom"} for p in city.service_points],
        "communities": {k: {a: b for a, b in c.items() if a != "geom"}
                        for k, c in city.communities.items()},
    }
    h.update(json.dumps(attrs, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()
