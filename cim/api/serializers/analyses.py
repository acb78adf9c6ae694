"""Serializers of the planning analyses (height-control zones, saved runs)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from cim.models import AnalysisRun, DesignScheme, HeightZone
from cim.models.analyses import HeightDatum, LimitShape

__all__ = [
    "AnalysisRunBriefSerializer",
    "AnalysisRunSerializer",
    "DesignSchemeSerializer",
    "DesignSchemeUploadSerializer",
    "FloodSerializer",
    "HeightCheckSerializer",
    "HeightZoneGeoSerializer",
    "HeightZoneImportSerializer",
    "HeightZoneInputSerializer",
    "SchemeCompareSerializer",
]


@extend_schema_field({"type": "object", "description": "GeoJSON Polygon or MultiPolygon (lon/lat)"})
class GeoJSONPolygonField(GeometryField):
    pass


@extend_schema_field({"type": "object", "nullable": True, "description": "GeoJSON Point (lon/lat)"})
class GeoJSONPointField(GeometryField):
    pass


class HeightZoneGeoSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = HeightZone
        geo_field = "geom"
        fields = ["id", "name", "kind", "datum", "shape", "max_height", "plane_origin",
                  "plane_azimuth", "plane_slope", "note", "synthetic", "created_at"]


class HeightZoneInputSerializer(serializers.Serializer):
    """A zone drawn in the viewer: a polygon (GeoJSON, lon/lat) and its limit."""

    name = serializers.CharField(max_length=200)
    kind = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    geometry = GeoJSONPolygonField()
    datum = serializers.ChoiceField(choices=HeightDatum.choices)
    shape = serializers.ChoiceField(choices=LimitShape.choices, default=LimitShape.FLAT)
    max_height = serializers.FloatField(min_value=-500, max_value=9000)
    plane_origin = GeoJSONPointField(required=False, allow_null=True, default=None)
    plane_azimuth = serializers.FloatField(required=False, allow_null=True, default=None)
    plane_slope = serializers.FloatField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class HeightZoneImportSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection of zones (each feature with ``max_height``)."""

    document = serializers.JSONField()
    datum = serializers.ChoiceField(choices=HeightDatum.choices, required=False,
                                    help_text="datum of features that do not state their own")


class HeightCheckSerializer(serializers.Serializer):
    zones = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                  max_length=500, help_text="zone ids; default: every zone")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FloodSerializer(serializers.Serializer):
    """Either ``level`` (absolute, 1985 datum) or ``rise`` (above the river)."""

    extent = serializers.ListField(
        child=serializers.FloatField(), min_length=4, max_length=4, required=False,
        help_text="west, south, east, north (degrees); default: the city")
    level = serializers.FloatField(required=False, allow_null=True, default=None,
                                   min_value=-500, max_value=9000)
    rise = serializers.FloatField(required=False, allow_null=True, default=None)
    cell = serializers.FloatField(required=False, default=5.0)
    obstacles = serializers.BooleanField(required=False, default=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ViewshedSerializer(serializers.Serializer):
    """可视域分析 from ``observer`` [lon, lat] (degrees) over terrain + buildings.  Ranges are
    checked by the service (400 naming the field)."""

    observer = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2,
                                     help_text="[longitude, latitude] in degrees")
    radius = serializers.FloatField(default=1000.0, help_text="metres, at most 5000")
    cell = serializers.FloatField(default=2.0, help_text="cell size of the surface model, metres (1–50)")
    observer_height = serializers.FloatField(default=1.7, help_text="eye above the surface there, metres")
    target_height = serializers.FloatField(default=0.0, help_text="target above each cell, metres")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LineOfSightSerializer(serializers.Serializer):
    """通视分析 between two points [lon, lat] (degrees)."""

    observer = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)
    target = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)
    observer_height = serializers.FloatField(default=1.7)
    target_height = serializers.FloatField(default=1.7)
    cell = serializers.FloatField(default=1.0)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AnalysisRunBriefSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

    class Meta:
        model = AnalysisRun
        fields = ["id", "kind", "title", "summary", "model_version", "created_by", "created_at"]


class AnalysisRunSerializer(AnalysisRunBriefSerializer):
    class Meta(AnalysisRunBriefSerializer.Meta):
        fields = [*AnalysisRunBriefSerializer.Meta.fields, "params", "result"]


class DesignSchemeSerializer(serializers.ModelSerializer):
    """A scheme in the list: its indicators, without the geometry."""

    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    buildings = serializers.IntegerField(source="indicators.buildings", read_only=True, default=0)

    class Meta:
        model = DesignScheme
        fields = ["id", "name", "note", "source_name", "source_format", "buildings", "indicators",
                  "created_by", "created_at"]


class DesignSchemeUploadSerializer(serializers.Serializer):
    """A scheme's files (multipart): the site (one polygon, GeoJSON/GPKG), the
    planned buildings (GeoJSON/GPKG with ``height``, ``floors``, ``use``;
    CityJSON; or an IFC model) and optional green areas; ``crs`` for files that
    declare none.  An IFC model stands where its file places it (map conversion,
    site reference) unless ``lon``, ``lat`` (its origin), ``rotation`` (degrees
    clockwise from north to its +Y) and ``base_height`` (of its z = 0; default:
    the ground there) are given, as for a BIM import."""

    name = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    crs = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    site = serializers.FileField()
    buildings = serializers.FileField()
    green = serializers.FileField(required=False, allow_null=True, default=None)
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    rotation = serializers.FloatField(required=False, default=0.0, min_value=-360, max_value=360)
    base_height = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-500,
                                         max_value=9000)

    def validate(self, attrs):
        from cim.importers.ifc import ManualPlacement

        lon, lat = attrs.pop("lon"), attrs.pop("lat")
        rotation, base = attrs.pop("rotation"), attrs.pop("base_height")
        if (lon is None) != (lat is None):
            missing = "lat" if lat is None else "lon"
            raise serializers.ValidationError({missing: "give both lon and lat of the IFC model's origin"})
        attrs["placement"] = None if lon is None else ManualPlacement(
            lon=lon, lat=lat, rotation_deg=rotation, base_height=base)
        return attrs


class SchemeCompareSerializer(serializers.Serializer):
    schemes = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=2, max_length=3)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    images = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False,
                                   default=dict,
                                   help_text="{scheme id: data URL of a PNG or JPEG picture of its 3D view}")
