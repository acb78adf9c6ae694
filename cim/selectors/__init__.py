"""Read queries of the city model."""

from __future__ import annotations

from django.contrib.gis.geos import Point, Polygon
from django.db.models import QuerySet

from cim.models import AdminArea, Building, RoadSegment, ServicePoint


def admin_area_tree(*, root_code: str | None = None, max_level: str | None = None) -> list[dict]:
    """The admin areas as nested dicts (code, name, level, children)."""
    order = ["province", "city", "district", "street", "community"]
    qs = AdminArea.objects.all().only("id", "code", "name", "name_en", "level", "parent_id")
    if max_level:
        qs = qs.filter(level__in=order[: order.index(max_level) + 1])
    nodes = {
        a.id: {"code": a.code, "name": a.name, "name_en": a.name_en, "level": a.level,
               "parent_id": a.parent_id, "children": []}
        for a in qs
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"])
        (parent["children"] if parent else roots).append(node)
    for node in nodes.values():
        node.pop("parent_id")
    if root_code:
        found = [n for n in nodes.values() if n["code"] == root_code]
        return found
    return roots


def buildings_in(*, bbox: Polygon | None = None, use: str | None = None,
                 admin_code: str | None = None) -> QuerySet[Building]:
    qs = Building.objects.select_related("admin_area").order_by("id")
    if bbox is not None:
        qs = qs.filter(footprint__bboverlaps=bbox)
    if use:
        qs = qs.filter(use=use)
    if admin_code:
        qs = qs.filter(admin_area__code__startswith=admin_code)
    return qs


def roads_in(*, bbox: Polygon | None = None, road_class: str | None = None) -> QuerySet[RoadSegment]:
    qs = RoadSegment.objects.order_by("id")
    if bbox is not None:
        qs = qs.filter(geom__bboverlaps=bbox)
    if road_class:
        qs = qs.filter(road_class=road_class)
    return qs


def service_points_in(*, bbox: Polygon | None = None, category: str | None = None,
                      near: Point | None = None) -> QuerySet[ServicePoint]:
    qs = ServicePoint.objects.select_related("admin_area").order_by("id")
    if bbox is not None:
        qs = qs.filter(geom__within=bbox)
    if category:
        qs = qs.filter(category=category)
    return qs


def admin_area_at(point: Point, *, level: str) -> AdminArea | None:
    return (
        AdminArea.objects.filter(level=level, boundary__contains=point).order_by("code").first()
    )
