"""Reads of the map layers that are networks and points: roads, service
points, water areas.  The bbox and attribute filters of the API apply on top
(:mod:`cim.api.filters`)."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import PointOnSurface
from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from cim.models import RoadSegment, ServicePoint, Waterway
from cim.selectors.geo import LineInterpolatePoint

__all__ = ["roads_in", "service_points_in", "waterways_in"]


def roads_in() -> QuerySet[RoadSegment]:
    """Road segments for the map, in a stable order."""
    return RoadSegment.objects.order_by("id")


def service_points_in() -> QuerySet[ServicePoint]:
    """Service points for the map, with their division."""
    return ServicePoint.objects.select_related("admin_area").order_by("id")


def waterways_in() -> QuerySet[Waterway]:
    """Water areas (rivers, streams, lakes) for the map, each with a point to put its
    name on: halfway along a river's centreline, or inside a lake."""
    return Waterway.objects.annotate(
        label_point=Coalesce(LineInterpolatePoint("centreline", 0.5), PointOnSurface("geom")),
    ).order_by("id")
