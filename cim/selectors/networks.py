"""Reads of the map layers that are networks and points: roads, service
points, water areas."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Polygon
from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from cim.models import RoadSegment, ServicePoint, Waterway
from cim.selectors.geo import LineInterpolatePoint

__all__ = ["roads_in", "service_points_in", "waterways_in"]


def roads_in(*, bbox: Polygon | None = None, road_class: str | None = None) -> QuerySet[RoadSegment]:
    """Road segments for the map, by bounding box and class."""
    qs = RoadSegment.objects.order_by("id")
    if bbox is not None:
        qs = qs.filter(geom__bboverlaps=bbox)
    if road_class:
        qs = qs.filter(road_class=road_class)
    return qs


def service_points_in(*, bbox: Polygon | None = None,
                      category: str | None = None) -> QuerySet[ServicePoint]:
    """Service points for the map, by bounding box and category."""
    qs = ServicePoint.objects.select_related("admin_area").order_by("id")
    if bbox is not None:
        qs = qs.filter(geom__within=bbox)
    if category:
        qs = qs.filter(category=category)
    return qs


def waterways_in(*, bbox: Polygon | None = None, kind: str | None = None) -> QuerySet[Waterway]:
    """Water areas (rivers, streams, lakes) for the map, each with a point to put its
    name on: halfway along a river's centreline, or inside a lake."""
    qs = Waterway.objects.annotate(
        label_point=Coalesce(LineInterpolatePoint("centreline", 0.5), PointOnSurface("geom")),
    ).order_by("id")
    if bbox is not None:
        qs = qs.filter(geom__bboverlaps=bbox)
    if kind:
        qs = qs.filter(kind=kind)
    return qs
