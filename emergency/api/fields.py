"""Input fields that refuse bad values with a clear reason (never a 500)."""

from __future__ import annotations

import json
import math

from django.contrib.gis.geos import GEOSException, LinearRing, MultiPolygon, Polygon
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

__all__ = ["FiniteFloatField", "LonLatTogether", "PolygonField", "geojson_of"]

MAX_VERTICES = 20_000

_POLYGON_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Polygon or MultiPolygon in WGS 84 (lon, lat)",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array", "items": {"type": "array"}},
    },
    "required": ["type", "coordinates"],
}


class LonLatTogether:
    """Serializer mixin: ``lon`` and ``lat`` come together or not at all, on
    create and on a partial update alike (one without the other is a 400
    naming the missing one, never a 500 or a silently ignored coordinate)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("lon" in attrs) != ("lat" in attrs):
            missing = "lat" if "lon" in attrs else "lon"
            raise serializers.ValidationError({missing: "give lon and lat together"})
        return attrs


class FiniteFloatField(serializers.FloatField):
    """A float that must be finite (NaN and ±inf slip past min/max checks)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("must be a finite number")
        return value


def _position(p, where: str) -> tuple[float, float]:
    if not isinstance(p, (list, tuple)) or len(p) not in (2, 3):
        raise serializers.ValidationError(f"{where}: a position is [lon, lat]")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p):
        raise serializers.ValidationError(f"{where}: coordinates must be numbers")
    lon, lat = float(p[0]), float(p[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise serializers.ValidationError(f"{where}: coordinates must be finite")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise serializers.ValidationError(f"{where}: lon must lie in [-180, 180], lat in [-90, 90]")
    return lon, lat


def _polygon(rings, where: str) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise serializers.ValidationError(f"{where}: a polygon is a non-empty list of rings")
    built = []
    for k, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            raise serializers.ValidationError(f"{where} ring {k}: a ring needs at least 4 positions")
        coords = [_position(p, f"{where} ring {k}") for p in ring]
        if coords[0] != coords[-1]:
            raise serializers.ValidationError(f"{where} ring {k}: the ring is not closed "
                                              "(first and last positions differ)")
        built.append(LinearRing(coords))
    return Polygon(*built, srid=4326)


@extend_schema_field(_POLYGON_SCHEMA)
class PolygonField(serializers.Field):
    """A GeoJSON Polygon/MultiPolygon → a valid GEOS (Multi)Polygon in 4326."""

    def __init__(self, *, multi: bool = True, **kwargs):
        self.multi = multi
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("not valid JSON") from None
        if not isinstance(data, dict):
            raise serializers.ValidationError("expected a GeoJSON object with type and coordinates")
        kind, coords = data.get("type"), data.get("coordinates")
        allowed = ("Polygon", "MultiPolygon") if self.multi else ("Polygon",)
        if kind not in allowed:
            raise serializers.ValidationError(f"type must be {' or '.join(allowed)}")
        if _count(coords) > MAX_VERTICES:
            raise serializers.ValidationError(f"at most {MAX_VERTICES} vertices")
        try:
            if kind == "Polygon":
                polys = [_polygon(coords, "polygon")]
            else:
                if not isinstance(coords, list) or not coords:
                    raise serializers.ValidationError("a MultiPolygon is a non-empty list of polygons")
                polys = [_polygon(c, f"polygon {k}") for k, c in enumerate(coords)]
            geom = MultiPolygon(*polys, srid=4326) if self.multi else polys[0]
        except (GEOSException, ValueError, TypeError) as exc:
            raise serializers.ValidationError(f"not a polygon: {exc}") from None
        if not geom.valid:
            raise serializers.ValidationError(f"invalid geometry: {geom.valid_reason}")
        if geom.area == 0:
            raise serializers.ValidationError("the polygon has no area")
        return geom

    def to_representation(self, value):
        return geojson_of(value)


def _count(coords, depth: int = 0) -> int:
    if depth > 4 or not isinstance(coords, list):
        return 0
    if coords and all(isinstance(v, (int, float)) for v in coords):
        return 1
    return sum(_count(c, depth + 1) for c in coords)


def geojson_of(geom) -> dict | None:
    return None if geom is None else json.loads(geom.geojson)
