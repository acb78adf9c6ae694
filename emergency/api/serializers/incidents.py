"""Serializers of incidents: input (typed, validated) and output (masked)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from cim.masking import mask_name, mask_phone
from config.common.fields import MaskedField, MaskedFlag
from emergency.api.fields import FiniteFloatField, LonLatTogether, PolygonField, geojson_of
from emergency.choices import (
    Disposition,
    IncidentCategory,
    IncidentLevel,
    IncidentSource,
    IncidentStatus,
    IncidentType,
)
from emergency.constants import LEVEL_COLOUR
from emergency.models import Attachment, Incident, TimelineEntry
from emergency.states import INCIDENT_TRANSITIONS

__all__ = [
    "AttachmentSerializer",
    "IncidentCreateSerializer",
    "IncidentGeoSerializer",
    "IncidentSerializer",
    "IncidentUpdateSerializer",
    "LevelSerializer",
    "MergeCandidateSerializer",
    "MergeSerializer",
    "NoteSerializer",
    "SplitSerializer",
    "TimelineEntrySerializer",
    "TransitionSerializer",
]


class _LocationInput(LonLatTogether, serializers.Serializer):
    lon = FiniteFloatField(min_value=-180, max_value=180, required=False)
    lat = FiniteFloatField(min_value=-90, max_value=90, required=False)
    address = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                       help_text="id of a standard address (cim)")
    area = PolygonField(required=False, allow_null=True)


class IncidentCreateSerializer(_LocationInput):
    title = serializers.CharField(max_length=200)
    incident_type = serializers.ChoiceField(choices=IncidentType.choices)
    category = serializers.ChoiceField(choices=IncidentCategory.choices, required=False)
    level = serializers.ChoiceField(choices=IncidentLevel.choices, default=IncidentLevel.IV)
    source = serializers.ChoiceField(choices=IncidentSource.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    caller_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    caller_phone = serializers.RegexField(r"^[0-9+\-() ]{0,32}$", required=False, allow_blank=True,
                                          default="", max_length=32)
    external_ref = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    reported_at = serializers.DateTimeField(required=False)


class IncidentUpdateSerializer(_LocationInput):
    title = serializers.CharField(max_length=200, required=False)
    incident_type = serializers.ChoiceField(choices=IncidentType.choices, required=False)
    category = serializers.ChoiceField(choices=IncidentCategory.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    caller_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    caller_phone = serializers.RegexField(r"^[0-9+\-() ]{0,32}$", required=False, allow_blank=True,
                                          max_length=32)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=[s for s in IncidentStatus.choices if s[0] != "merged"])
    disposition = serializers.ChoiceField(choices=Disposition.choices, required=False, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class LevelSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=IncidentLevel.choices)
    reason = serializers.CharField(max_length=500)


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="id of the incident to keep")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class SplitSerializer(LonLatTogether, serializers.Serializer):
    """Split a new incident off this one: the notes and attachments named
    move to it; type, level and place default to the origin's."""

    title = serializers.CharField(max_length=200)
    notes = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=500,
                                  required=False, default=list, help_text="timeline note ids to move")
    attachments = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=500,
                                        required=False, default=list, help_text="attachment ids to move")
    incident_type = serializers.ChoiceField(choices=IncidentType.choices, required=False)
    level = serializers.ChoiceField(choices=IncidentLevel.choices, required=False)
    lon = FiniteFloatField(min_value=-180, max_value=180, required=False)
    lat = FiniteFloatField(min_value=-90, max_value=90, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class MergeCandidateSerializer(serializers.ModelSerializer):
    """An open incident another may be merged into (nearest first)."""

    distance_m = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "number", "title", "status", "status_label", "level", "incident_type",
                  "reported_at", "distance_m"]
        read_only_fields = fields

    def get_distance_m(self, obj) -> float | None:
        d = getattr(obj, "distance", None)
        return None if d is None else round(d.m, 1)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=1000)


def _point(p):
    return None if p is None else {"lon": p.x, "lat": p.y}


class IncidentSerializer(serializers.ModelSerializer):
    """An incident for the console.  Caller details are masked unless the
    view was asked to reveal them (``context["reveal_caller"]``)."""

    incident_type_label = serializers.CharField(source="get_incident_type_display", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    level_colour = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    caller_name = MaskedField(mask=mask_name, reveal="reveal_caller")
    caller_phone = MaskedField(mask=mask_phone, reveal="reveal_caller")
    caller_masked = MaskedFlag(reveal="reveal_caller")
    location = serializers.SerializerMethodField()
    snapped = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    admin_area = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "number", "title", "description", "category", "category_label", "incident_type",
            "incident_type_label", "level", "level_label", "level_colour", "status", "status_label",
            "allowed_transitions", "disposition", "status_reason", "source", "source_label",
            "external_ref", "caller_name", "caller_phone", "caller_masked", "location", "snapped",
            "area", "address", "admin_area", "merged_into", "split_from", "reported_at", "created_at",
            "updated_at",
            "verified_at", "dispatched_at", "on_scene_at", "contained_at", "closed_at", "cancelled_at",
        ]
        read_only_fields = fields

    def get_level_colour(self, obj) -> str:
        return LEVEL_COLOUR.get(obj.level, "")

    @extend_schema_field({"type": "object", "properties": {"lon": {"type": "number"},
                                                           "lat": {"type": "number"}}})
    def get_location(self, obj):
        return _point(obj.location)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_snapped(self, obj):
        if obj.snapped_location is None:
            return None
        return {**_point(obj.snapped_location), "distance_m": obj.snap_distance_m,
                "road_segment": obj.road_segment_id}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_area(self, obj):
        return geojson_of(obj.area)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_address(self, obj):
        return None if obj.address is None else {"id": obj.address_id, "full_name": obj.address.full_name}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_admin_area(self, obj):
        a = obj.admin_area
        return None if a is None else {"code": a.code, "name": a.name}

    def get_allowed_transitions(self, obj) -> list[str]:
        return sorted(INCIDENT_TRANSITIONS.get(obj.status, frozenset()) - {"merged"})


class IncidentGeoSerializer(GeoFeatureModelSerializer):
    """Incidents as map features (coloured by level)."""

    level_colour = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    incident_type_label = serializers.CharField(source="get_incident_type_display", read_only=True)

    class Meta:
        model = Incident
        geo_field = "location"
        fields = ["id", "number", "title", "level", "level_colour", "status", "status_label",
                  "incident_type", "incident_type_label", "category", "reported_at"]
        read_only_fields = fields

    def get_level_colour(self, obj) -> str:
        return LEVEL_COLOUR.get(obj.level, "")


class TimelineEntrySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor_label", "kind", "kind_label", "text", "data"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "content_type", "size_bytes", "sha256", "original_name", "note",
                  "uploaded_at", "channel", "duration_s", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return f"/api/emergency/incidents/{obj.incident_id}/attachments/{obj.pk}/file/"
