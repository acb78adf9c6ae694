"""Serializers of agencies, units, cameras and assignments."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from cim.models import ServicePoint
from emergency.api.fields import FiniteFloatField, LonLatTogether, geojson_of
from emergency.choices import CameraProtocol, ReportableUnitStatus
from emergency.conf import emergency_settings
from emergency.models import Agency, Assignment, Camera, MutualAidRequest, Unit
from emergency.streams import PLAYABLE, mask_stream_url

__all__ = [
    "AgencySerializer",
    "AssignmentSerializer",
    "AssignUnitsSerializer",
    "CameraGeoSerializer",
    "CameraSerializer",
    "MutualAidCreateSerializer",
    "MutualAidDecisionSerializer",
    "MutualAidSerializer",
    "CameraStreamSerializer",
    "PositionSerializer",
    "UnitBoardSerializer",
    "UnitCrewSerializer",
    "UnitGeoSerializer",
    "UnitSerializer",
    "UnitStatusSerializer",
]


def _point(p):
    return None if p is None else {"lon": p.x, "lat": p.y}


class _PointInput(serializers.Serializer):
    lon = FiniteFloatField(min_value=-180, max_value=180)
    lat = FiniteFloatField(min_value=-90, max_value=90)


class AgencySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "code", "name", "kind", "kind_label", "phone", "admin_area", "synthetic"]
        read_only_fields = ["id", "kind_label", "synthetic"]


class UnitSerializer(serializers.ModelSerializer):
    """A unit's registry data and live state (status, position, freshness)."""

    unit_type_label = serializers.CharField(source="get_unit_type_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    home_station = serializers.PrimaryKeyRelatedField(queryset=ServicePoint.objects.all(),
                                                      allow_null=True, required=False)
    home_station_name = serializers.CharField(source="home_station.name", default=None, read_only=True)
    position = serializers.SerializerMethodField()
    position_stale = serializers.SerializerMethodField()
    crew_size = serializers.IntegerField(min_value=0, max_value=100, required=False)
    crew = serializers.ListField(child=serializers.CharField(max_length=100), max_length=100,
                                 required=False)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "agency", "agency_name", "unit_type", "unit_type_label",
                  "home_station", "home_station_name", "crew_size", "crew", "status", "status_label",
                  "status_changed_at", "status_note", "position", "last_position_at", "position_stale",
                  "synthetic"]
        read_only_fields = ["id", "agency_name", "unit_type_label", "home_station_name", "status",
                            "status_label", "status_changed_at", "status_note", "position",
                            "last_position_at", "position_stale", "synthetic"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_position(self, obj):
        return _point(obj.last_position)

    def get_position_stale(self, obj) -> bool:
        from django.utils import timezone

        if obj.last_position_at is None:
            return True
        age_s = (timezone.now() - obj.last_position_at).total_seconds()
        return age_s > float(emergency_settings.UNIT_POSITION_STALE_S)


class UnitGeoSerializer(serializers.BaseSerializer):
    """A unit as a GeoJSON Feature at its last position (or its station)."""

    def to_representation(self, obj):
        point = obj.last_position or (obj.home_station.geom if obj.home_station_id else None)
        fix_at = obj.last_position_at.isoformat() if obj.last_position_at else None
        return {
            "type": "Feature", "id": obj.pk, "geometry": geojson_of(point),
            "properties": {"code": obj.code, "name": obj.name, "unit_type": obj.unit_type,
                           "status": obj.status, "status_label": obj.get_status_display(),
                           "last_position_at": fix_at,
                           "at_station": obj.last_position is None},
        }


class UnitStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReportableUnitStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class UnitBoardSerializer(serializers.ModelSerializer):
    """One row of the units back office: roster (agency, station, type,
    crew, member accounts) and live state (status, its reason, the incident
    the unit serves)."""

    unit_type_label = serializers.CharField(source="get_unit_type_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    home_station_name = serializers.CharField(source="home_station.name", default=None, read_only=True)
    members = serializers.SerializerMethodField()
    incident = serializers.IntegerField(source="incident_id", read_only=True, allow_null=True)
    incident_number = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "agency", "agency_name", "unit_type", "unit_type_label",
                  "home_station", "home_station_name", "crew_size", "crew", "members", "status",
                  "status_label", "status_changed_at", "status_note", "incident", "incident_number"]
        read_only_fields = fields

    def get_members(self, obj) -> list[str]:
        return sorted(u.get_username() for u in obj.members.all())


class UnitCrewSerializer(serializers.Serializer):
    crew = serializers.ListField(child=serializers.CharField(max_length=100, allow_blank=True),
                                 max_length=100)
    crew_size = serializers.IntegerField(min_value=0, max_value=100, required=False)


class PositionSerializer(_PointInput):
    at = serializers.DateTimeField(required=False, help_text="time of the fix (default: now)")


class CameraSerializer(LonLatTogether, serializers.ModelSerializer):
    lon = FiniteFloatField(min_value=-180, max_value=180, write_only=True)
    lat = FiniteFloatField(min_value=-90, max_value=90, write_only=True)
    position = serializers.SerializerMethodField()
    heading = FiniteFloatField(min_value=0, max_value=359.999, allow_null=True, required=False)
    protocol = serializers.ChoiceField(choices=CameraProtocol.choices, required=False)

    stream_masked = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = ["id", "code", "name", "lon", "lat", "position", "stream_url", "protocol", "snapshot_url",
                  "stream_masked", "heading", "active", "admin_area", "synthetic"]
        read_only_fields = ["id", "position", "synthetic", "stream_masked"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_position(self, obj):
        return _point(obj.geom)

    def get_stream_masked(self, obj) -> bool:
        return not self.context.get("reveal_stream")

    def to_representation(self, instance):
        """Addresses masked (``scheme://host/…``) unless the view revealed them
        (``context["reveal_stream"]``, audited); left out for roles that may not
        see cameras (``context["hide_streams"]``)."""
        data = super().to_representation(instance)
        if self.context.get("hide_streams"):
            for name in ("stream_url", "snapshot_url", "stream_masked"):
                data.pop(name, None)
        elif not self.context.get("reveal_stream"):
            for name in ("stream_url", "snapshot_url"):
                data[name] = mask_stream_url(data.get(name) or "")
        return data


class CameraStreamSerializer(serializers.ModelSerializer):
    """What a player needs to open a camera: its stream and still image, and
    how the console shows it (``playable``: played in the page with hls.js;
    otherwise a link to the gateway's player, FLV and WebRTC, or nothing the
    browser can open, RTSP)."""

    protocol_label = serializers.CharField(source="get_protocol_display", read_only=True)
    playable = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    distance_m = serializers.SerializerMethodField()
    linked = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = ["id", "code", "name", "protocol", "protocol_label", "stream_url", "snapshot_url",
                  "playable", "position", "heading", "distance_m", "linked"]
        read_only_fields = fields

    def get_playable(self, obj) -> bool:
        return obj.protocol in PLAYABLE

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_position(self, obj):
        return _point(obj.geom)

    def get_distance_m(self, obj) -> float | None:
        distance = getattr(obj, "distance", None)
        return None if distance is None else round(distance.m, 1)

    def get_linked(self, obj) -> bool | None:
        return getattr(obj, "linked", None)


class CameraGeoSerializer(GeoFeatureModelSerializer):
    """The map layer: the stream address masked (the player opens it through
    the audited stream endpoint)."""

    stream_url = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        geo_field = "geom"
        fields = ["id", "code", "name", "stream_url", "protocol", "heading", "active"]
        read_only_fields = fields

    def get_stream_url(self, obj) -> str:
        return mask_stream_url(obj.stream_url)


class AssignUnitsSerializer(serializers.Serializer):
    units = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                  max_length=50)


class AssignmentSerializer(serializers.ModelSerializer):
    """An assignment with the unit, ETA, distance and the route (GeoJSON)."""

    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    unit_type = serializers.CharField(source="unit.unit_type", read_only=True)
    unit_status = serializers.CharField(source="unit.status", read_only=True)
    incident_number = serializers.CharField(source="incident.number", read_only=True)
    route = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "incident", "incident_number", "unit", "unit_code", "unit_name", "unit_type",
                  "unit_status", "assigned_at", "position_source", "eta_s", "distance_m", "route",
                  "route_edge_ids", "active", "released_at", "release_reason", "acknowledged_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_route(self, obj):
        return geojson_of(obj.route)

    def get_active(self, obj) -> bool:
        return obj.released_at is None


class MutualAidCreateSerializer(serializers.Serializer):
    """Ask for a unit of another district (跨区支援) for this incident."""

    unit = serializers.IntegerField(min_value=1, max_value=2**62)
    reason = serializers.CharField(max_length=500)


class MutualAidDecisionSerializer(serializers.Serializer):
    """Approve (the unit is sent) or decline (say why) a pending request."""

    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MutualAidSerializer(serializers.ModelSerializer):
    """A mutual-aid request with the incident, the unit and its district,
    who asked and who decided."""

    incident_number = serializers.CharField(source="incident.number", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    unit_type = serializers.CharField(source="unit.unit_type", read_only=True)
    agency = serializers.CharField(source="unit.agency.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requested_by_name = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = MutualAidRequest
        fields = ["id", "incident", "incident_number", "incident_title", "unit", "unit_code", "unit_name",
                  "unit_type", "agency", "reason", "status", "status_label", "requested_by_name",
                  "requested_at", "decided_by_name", "decided_at", "decision_note", "assignment"]
        read_only_fields = fields

    def get_requested_by_name(self, obj) -> str:
        return obj.requested_by.get_username() if obj.requested_by_id else ""

    def get_decided_by_name(self, obj) -> str:
        return obj.decided_by.get_username() if obj.decided_by_id else ""
