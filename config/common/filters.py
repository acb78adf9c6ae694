"""The bounding-box filter of the map endpoints, shared by both apps: a
django-filter :class:`BBoxFilter` for FilterSets and :func:`parse_bbox` for
views that read the query string themselves.  Bad input is a 400 naming the
parameter (through :mod:`config.common.errors`)."""

from __future__ import annotations

import math

from django import forms
from django.contrib.gis.geos import Polygon
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError

__all__ = ["BBOX_HELP", "BBoxFilter", "bbox_polygon", "parse_bbox"]

BBOX_HELP = "minLon,minLat,maxLon,maxLat (WGS 84)"


def bbox_polygon(raw: str) -> Polygon:
    """``minLon,minLat,maxLon,maxLat`` in WGS 84 → a polygon; ValueError says why not."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValueError("expected four numbers: minLon,minLat,maxLon,maxLat")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise ValueError("every bbox value must be a number") from None
    if not all(map(math.isfinite, (x0, y0, x1, y1))):
        raise ValueError("bbox values must be finite")
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise ValueError("longitudes must lie in [-180, 180] and latitudes in [-90, 90]")
    if x0 >= x1 or y0 >= y1:
        raise ValueError("min must be less than max on both axes")
    return Polygon.from_bbox((x0, y0, x1, y1))


def parse_bbox(raw: str | None, *, field: str = "bbox") -> Polygon | None:
    """:func:`bbox_polygon` of a query parameter, None when absent, else a 400."""
    if raw is None or raw == "":
        return None
    try:
        return bbox_polygon(raw)
    except ValueError as exc:
        raise ValidationError({field: [str(exc)]}) from None


class BBoxFormField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return bbox_polygon(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class BBoxFilter(filters.Filter):
    """``?bbox=minLon,minLat,maxLon,maxLat`` on a geometry field (by default the
    index-only ``&&`` test, ``bboverlaps``)."""

    field_class = BBoxFormField

    def __init__(self, *args, lookup_expr: str = "bboverlaps", **kwargs):
        kwargs.setdefault("help_text", BBOX_HELP)
        super().__init__(*args, lookup_expr=lookup_expr, **kwargs)
