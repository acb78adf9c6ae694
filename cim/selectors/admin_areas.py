"""Reads of the administrative tree: the nested tree and the boundaries drawn
on the map.  The level order and the walk up the tree are the model's
(:mod:`cim.models.admin_areas`)."""

from __future__ import annotations

import json

from django.contrib.gis.db.models.functions import AsGeoJSON, PointOnSurface
from django.db.models import Value

from cim.models import AdminArea
from cim.models.admin_areas import LEVEL_RANK, LEVELS
from cim.selectors.geo import MAP_DECIMALS, SimplifyPreserveTopology

__all__ = ["BOUNDARY_TOLERANCE_M", "admin_area_tree", "admin_boundaries"]

# Map display tolerance per level (metres): finer divisions are looked at from closer.
BOUNDARY_TOLERANCE_M = {"province": 100.0, "city": 40.0, "district": 15.0, "street": 4.0,
                        "community": 2.0}


def admin_area_tree(*, root_code: str | None = None, max_level: str | None = None) -> list[dict]:
    """The admin areas as nested dicts (code, name, level, children)."""
    qs = AdminArea.objects.all().only("id", "code", "name", "name_en", "level", "parent_id")
    if max_level:
        qs = qs.filter(level__in=LEVELS[: LEVEL_RANK[max_level] + 1])
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
        return [n for n in nodes.values() if n["code"] == root_code]
    return roots


def admin_boundaries(*, levels: list[str], tolerance_m: float | None = None) -> list[dict]:
    """Boundaries of the given levels for drawing: simplified (per level, or with the
    given tolerance in metres), six decimals, each with a point inside to put the name on."""
    out: list[dict] = []
    for level in levels:
        metres = tolerance_m if tolerance_m is not None else BOUNDARY_TOLERANCE_M.get(level, 5.0)
        rows = (
            AdminArea.objects.filter(level=level, boundary__isnull=False)
            .annotate(
                shape=AsGeoJSON(SimplifyPreserveTopology("boundary", Value(metres / 111_320.0)),
                                precision=MAP_DECIMALS),
                label_point=PointOnSurface("boundary"),
            )
            .select_related("parent").order_by("code")
        )
        for a in rows:
            out.append({
                "type": "Feature", "id": a.pk, "geometry": json.loads(a.shape),
                "properties": {
                    "code": a.code, "name": a.name, "name_en": a.name_en, "level": a.level,
                    "parent_code": a.parent.code if a.parent else None,
                    "boundary_synthetic": a.boundary_synthetic,
                    "label_lon": round(a.label_point.x, MAP_DECIMALS),
                    "label_lat": round(a.label_point.y, MAP_DECIMALS),
                },
            })
    return out
