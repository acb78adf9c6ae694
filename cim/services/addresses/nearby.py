"""Reads for the scan page: where an address is, what lies around it, and
the service points nearby by walking and driving time on the road network."""

from __future__ import annotations

import math

import shapely
from django.contrib.gis.geos import Point
from django.db import connection

from cim.models import Address, RoadSegment

NEARBY_CATEGORIES = ("gov_service_hall", "community_centre", "police_station", "hospital",
                     "clinic", "shelter")


def address_point(address: Address) -> Point | None:
    """Where an address is: its own position, else the nearest ancestor's."""
    node = address
    while node is not None:
        if node.position is not None:
            return node.position
        node = node.parent
    return None


def address_surroundings(*, address: Address, radius_m: float = 220.0, route=None,
                         points=()):
    """Roads and buildings around an address as a
    :class:`cim.plates.mapdraw.MapData`, ready for ``surroundings_svg``."""
    from cim.plates.mapdraw import MapData

    p = address_point(address)
    data = MapData(centre=(p.x, p.y), radius_m=radius_m, points=list(points),
                   route=list(route or []))
    with connection.cursor() as cur:
        dlat = radius_m / 110_574.0
        dlon = radius_m / (111_320.0 * max(0.1, math.cos(math.radians(p.y))))
        cur.execute("SELECT ST_AsBinary(geom), road_class, name FROM cim_roadsegment "
                    "WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
                    "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 600",
                    [p.x - dlon, p.y - dlat, p.x + dlon, p.y + dlat, p.x, p.y])
        for wkb, road_class, name in cur.fetchall():
            data.roads.append((list(shapely.from_wkb(bytes(wkb)).coords), road_class, name))
        cur.execute("SELECT id, ST_AsBinary(ST_ExteriorRing(ST_GeometryN(footprint, 1))) "
                    "FROM cim_building WHERE footprint && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
                    "ORDER BY footprint <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 800",
                    [p.x - dlon, p.y - dlat, p.x + dlon, p.y + dlat, p.x, p.y])
        for bid, wkb in cur.fetchall():
            ring = [tuple(c[:2]) for c in shapely.from_wkb(bytes(wkb)).coords]
            if bid == address.building_id:
                data.target_building = ring
            else:
                data.buildings.append(ring)
    return data


def address_nearby_services(*, address: Address, limit: int = 6, candidates: int = 24,
                            categories=NEARBY_CATEGORIES, routes: int = 3) -> dict:
    """Service points near an address ranked by walking time on the road
    network, with driving time and turn-by-road directions for the nearest.

    Returns ``{"routing": bool, "points": [...]}``; without a usable road
    graph ``routing`` is False and only straight-line distances are given."""
    from django.contrib.gis.db.models.functions import Distance

    from cim.models import ServicePoint

    p = address_point(address)
    qs = (ServicePoint.objects.filter(category__in=categories)
          .annotate(d=Distance("geom", p)).order_by("d")[:candidates])
    found = list(qs)
    points = [{"id": sp.pk, "name": sp.name, "name_en": sp.name_en, "category": sp.category,
               "phone": sp.phone, "hours": sp.opening_hours, "address": sp.address,
               "lon": sp.geom.x, "lat": sp.geom.y, "straight_m": float(sp.d.m),
               "walk_s": None, "drive_s": None, "walk_m": None, "directions": [], "route": []}
              for sp in found]
    result = {"routing": False, "points": points}
    if not points:
        return result
    try:
        from cim.routing.engine import RoutingError
        from cim.routing.service import road_graph

        walk = road_graph("walk")
        drive = road_graph("drive")
        o_walk, o_drive = walk.snap(p.x, p.y), drive.snap(p.x, p.y)
        lons, lats = [q["lon"] for q in points], [q["lat"] for q in points]
        walk_snaps, drive_snaps = walk.snap_many(lons, lats), drive.snap_many(lons, lats)
        walk_s = walk.point_travel_times(o_walk, walk_snaps)
        drive_s = drive.point_travel_times(o_drive, drive_snaps)
    except (ImportError, RoutingError, ValueError, IndexError):
        points.sort(key=lambda q: q["straight_m"])
        result["points"] = points[:limit]
        return result
    result["routing"] = True
    for q, ws, ds in zip(points, walk_s, drive_s, strict=True):
        q["walk_s"] = float(ws) if math.isfinite(ws) else None
        q["drive_s"] = float(ds) if math.isfinite(ds) else None
    points.sort(key=lambda q: (q["walk_s"] is None, q["walk_s"] or 0, q["straight_m"]))
    points = points[:limit]
    snap_of = {q["id"]: s for q, s in zip(result["points"], walk_snaps, strict=True)}
    for q in points[:routes]:
        route = walk.route(o_walk, snap_of[q["id"]])
        if route is None:
            continue
        q["walk_m"] = route.meters
        q["route"] = [(float(x), float(y)) for x, y in route.coords]
        q["directions"] = _directions(route)
    result["points"] = points
    return result


def _directions(route) -> list[dict]:
    """Consecutive roads of a route with the metres walked on each."""
    names = dict(RoadSegment.objects.filter(pk__in=set(route.edge_ids))
                 .values_list("pk", "name"))
    lengths = dict(RoadSegment.objects.filter(pk__in=set(route.edge_ids))
                   .values_list("pk", "length_m"))
    steps: list[dict] = []
    for eid in route.edge_ids:
        name = names.get(eid) or ""
        if steps and steps[-1]["name"] == name:
            steps[-1]["m"] += lengths.get(eid, 0.0)
        else:
            steps.append({"name": name, "m": lengths.get(eid, 0.0)})
    total = sum(s["m"] for s in steps) or 1.0
    for s in steps:  # the first and last edges are walked only in part
        s["m"] = round(s["m"] * route.meters / total)
    return [s for s in steps if s["m"] > 0]
