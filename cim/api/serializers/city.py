"""Serializers: a GeoJSON one per geo model for maps, a plain one for CRUD."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from cim.models import AdminArea, Building, ImportRun, RoadSegment, ServicePoint, Waterway
from cim.selectors.geo import MAP_DECIMALS

__all__ = [
    "AdminAreaGeoSerializer",
    "AdminAreaSerializer",
    "BuildingGeoSerializer",
    "BuildingSerializer",
    "ImportRunSerializer",
    "RoadSegmentGeoSerializer",
    "ServicePointGeoSerializer",
    "WaterwayGeoSerializer",
]


class AdminAreaSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)
    has_boundary = serializers.SerializerMethodField()

    class Meta:
        model = AdminArea
        fields = ["id", "code", "name", "name_en", "level", "parent_code", "has_boundary",
                  "boundary_synthetic", "contact_phone", "office_address"]

    def get_has_boundary(self, obj) -> bool:
        return obj.boundary is not None


class AdminAreaGeoSerializer(GeoFeatureModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

    class Meta:
        model = AdminArea
        geo_field = "boundary"
        fields = ["id", "code", "name", "name_en", "level", "parent_code", "boundary_synthetic"]


_BUILDING_FIELDS = [
    "id", "name", "height", "height_source", "floors", "use", "year_built", "base_elevation",
    "admin_code", "admin_name", "lod", "source", "source_id", "synthetic",
]


class BuildingGeoSerializer(GeoFeatureModelSerializer):
    admin_code = serializers.CharField(source="admin_area.code", default=None, read_only=True)
    admin_name = serializers.CharField(source="admin_area.name", default=None, read_only=True)

    class Meta:
        model = Building
        geo_field = "footprint"
        fields = _BUILDING_FIELDS
        read_only_fields = _BUILDING_FIELDS


class BuildingSerializer(serializers.ModelSerializer):
    """Plain building record; planners may edit the descriptive attributes."""

    admin_code = serializers.CharField(source="admin_area.code", default=None, read_only=True)
    admin_name = serializers.CharField(source="admin_area.name", default=None, read_only=True)
    height = serializers.FloatField(min_value=0.5, max_value=1000)
    floors = serializers.IntegerField(min_value=1, max_value=200, allow_null=True, required=False)
    year_built = serializers.IntegerField(min_value=1000, max_value=2100, allow_null=True,
                                          required=False)

    class Meta:
        model = Building
        fields = _BUILDING_FIELDS
        read_only_fields = ["id", "height_source", "base_elevation", "admin_code", "admin_name",
                            "lod", "source", "source_id", "synthetic"]


class RoadSegmentGeoSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = RoadSegment
        geo_field = "geom"
        fields = ["id", "name", "road_class", "speed_kmh", "oneway", "lanes", "closed", "bridge",
                  "length_m", "from_node", "to_node", "synthetic"]


class ServicePointGeoSerializer(GeoFeatureModelSerializer):
    admin_code = serializers.CharField(source="admin_area.code", default=None, read_only=True)

    class Meta:
        model = ServicePoint
        geo_field = "geom"
        fields = ["id", "name", "name_en", "category", "address", "phone", "opening_hours",
                  "admin_code", "capacity", "synthetic"]


class ImportRunSerializer(serializers.ModelSerializer):
    rejected = serializers.IntegerField(source="rejections.count", read_only=True)

    class Meta:
        model = ImportRun
        fields = ["id", "kind", "source_name", "checksum", "file_size", "status", "started_at",
                  "finished_at", "counts", "options", "message", "rejected"]


class WaterwayGeoSerializer(GeoFeatureModelSerializer):
    """A water area as a GeoJSON feature, with where to write its name."""

    geom = GeometryField(precision=MAP_DECIMALS)
    label_lon = serializers.SerializerMethodField()
    label_lat = serializers.SerializerMethodField()

    class Meta:
        model = Waterway
        geo_field = "geom"
        fields = ["id", "name", "kind", "synthetic", "label_lon", "label_lat"]

    def get_label_lon(self, obj) -> float | None:
        point = getattr(obj, "label_point", None)
        return round(point.x, 7) if point else None

    def get_label_lat(self, obj) -> float | None:
        point = getattr(obj, "label_point", None)
        return round(point.y, 7) if point else None
