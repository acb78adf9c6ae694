"""Query-string parsing shared by the map endpoints, with clear errors."""

from __future__ import annotations

from django.contrib.gis.geos import Polygon
from rest_framework.exceptions import ValidationError


def parse_bbox(raw: str | None, *, field: str = "bbox") -> Polygon | None:
    """``minLon,minLat,maxLon,maxLat`` in WGS 84 → a polygon, or None."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValidationError({field: ["expected four numbers: minLon,minLat,maxLon,maxLat"]})
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise ValidationError({field: ["every bbox value must be a number"]}) from None
    if not all(map(_finite, (x0, y0, x1, y1))):
        raise ValidationError({field: ["bbox values must be finite"]})
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise ValidationError({field: ["longitudes must lie in [-180, 180] and latitudes in [-90, 90]"]})
    if x0 >= x1 or y0 >= y1:
        raise ValidationError({field: ["min must be less than max on both axes"]})
    return Polygon.from_bbox((x0, y0, x1, y1))


def parse_float(raw: str | None, *, field: str, lo: float, hi: float) -> float:
    if raw is None or raw == "":
        raise ValidationError({field: ["this parameter is required"]})
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError({field: ["must be a number"]}) from None
    if not _finite(value) or not lo <= value <= hi:
        raise ValidationError({field: [f"must lie between {lo} and {hi}"]})
    return value


def _finite(v: float) -> bool:
    return v == v and v not in (float("inf"), float("-inf"))
