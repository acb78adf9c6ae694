"""The emergency app's use of the road graph: snapping points, the road
closures in force (registered with :mod:`cim.routing.service` at start-up)."""

from __future__ import annotations

from django.contrib.gis.geos import LineString, Point
from django.db import connection
from django.utils import timezone

from cim.routing.engine import RoadGraph, RoutingError, Snap
from cim.routing.service import current_closures, road_graph
from emergency.conf import emergency_settings
from emergency.errors import Unroutable

__all__ = ["active_closed_segment_ids", "drive_graph", "route_line", "snap_point"]


def active_closed_segment_ids() -> set[int]:
    """Ids of road segments under a closure in force right now (asked on
    every routing query, hence plain SQL)."""
    from emergency.models import RoadClosure

    through = RoadClosure.segments.through._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT DISTINCT s.roadsegment_id FROM {through} s
                JOIN {RoadClosure._meta.db_table} c ON c.id = s.roadclosure_id
                WHERE c.lifted_at IS NULL AND c.starts_at <= %s AND (c.ends_at IS NULL OR c.ends_at > %s)""",
            [timezone.now()] * 2,
        )
        return {row[0] for row in cur.fetchall()}


def drive_graph() -> tuple[RoadGraph, frozenset[int]]:
    """The drive graph and the closures in force, or a clear refusal."""
    graph = road_graph("drive")
    if not graph.edge_count:
        raise Unroutable("no drivable road network is loaded; import roads first", field="location")
    return graph, current_closures()


def snap_point(graph: RoadGraph, point: Point, *, field: str = "location") -> Snap:
    """Snap a point; refuse points too far from any road to be routed to."""
    try:
        snap = graph.snap(point.x, point.y)
    except RoutingError as exc:
        raise Unroutable(str(exc), field=field) from None
    limit = float(emergency_settings.MAX_SNAP_DISTANCE_M)
    if snap.distance_m > limit:
        raise Unroutable(f"the point is {snap.distance_m:.0f} m from the nearest road "
                         f"(more than {limit:.0f} m)", field=field)
    return snap


def route_line(coords: list[tuple[float, float]]) -> LineString | None:
    if len(coords) < 2:
        return None
    return LineString(coords, srid=4326)
