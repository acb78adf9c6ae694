"""Serializers of plans, tasks, dispatch requests, closures, zones, alerts and
events."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from emergency.api.fields import PolygonField, geojson_of
from emergency.choices import (
    CapCategory,
    CapCertainty,
    CapSeverity,
    CapStatus,
    CapUrgency,
    ClosureReason,
    IncidentLevel,
    IncidentType,
    UnitType,
    ZoneTier,
)
from emergency.models import Alert, ControlZone, DispatchRequest, Event, Plan, RoadClosure, Task

__all__ = [
    "ActivatePlanSerializer",
    "NearestSegmentSerializer",
    "AlertCancelSerializer",
    "AlertIssueSerializer",
    "AlertSerializer",
    "ClosureCreateSerializer",
    "ClosureSerializer",
    "DispatchRequestSerializer",
    "EventSerializer",
    "PlanSerializer",
    "TaskSerializer",
    "TaskUpdateSerializer",
    "ZoneCreateSerializer",
    "ZoneGeoSerializer",
]


class PlanSerializer(serializers.ModelSerializer):
    """A plan with its requirements: ``units`` {unit_type: count},
    ``supplies`` {item id: quantity} and the agencies to notify."""

    # requirements are written here and read back from their rows (to_representation)
    units = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=100),
                                  required=False, default=dict)
    supplies = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=10**7),
                                     required=False, default=dict)
    checklist = serializers.ListField(child=serializers.CharField(max_length=300), max_length=200,
                                      required=False, default=list)
    notify_agencies = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=100,
                                            required=False, default=list)
    incident_type = serializers.ChoiceField(choices=IncidentType.choices)
    level = serializers.ChoiceField(choices=IncidentLevel.choices)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    incident_type_label = serializers.CharField(source="get_incident_type_display", read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "code", "name", "incident_type", "incident_type_label", "level", "level_label",
                  "description", "checklist", "units", "supplies", "notify_agencies", "active",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # uniqueness is checked by the service (409), not by the serializer
        validators = []
        extra_kwargs = {"code": {"validators": []}}

    def validate_units(self, value):
        bad = sorted(set(value) - set(UnitType.values))
        if bad:
            raise serializers.ValidationError(f"unknown unit type {bad[0]!r}")
        return value

    def validate_supplies(self, value):
        try:
            return {int(k): v for k, v in value.items()}
        except ValueError:
            raise serializers.ValidationError("keys are item ids (integers)") from None

    def to_representation(self, instance):
        data = {name: field.to_representation(field.get_attribute(instance))
                for name, field in self.fields.items()
                if not field.write_only and name not in ("units", "supplies", "notify_agencies")}
        data["units"] = {r.unit_type: r.count for r in instance.unit_requirements.all()}
        data["supplies"] = {str(r.item_id): r.quantity for r in instance.supply_requirements.all()}
        data["notify_agencies"] = sorted(a.pk for a in instance.notify_agencies.all())
        return data


class ActivatePlanSerializer(serializers.Serializer):
    plan = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                    help_text="default: the active plan for the incident's type and level")


class TaskSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    agency_name = serializers.CharField(source="agency.name", default=None, read_only=True)
    department_name = serializers.CharField(source="department.name", default=None, read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "incident", "kind", "kind_label", "title", "agency", "agency_name", "position",
                  "done", "done_at", "department", "department_name", "state", "state_label", "deadline",
                  "progress"]
        read_only_fields = fields


class TaskUpdateSerializer(serializers.Serializer):
    done = serializers.BooleanField()


class DispatchRequestSerializer(serializers.ModelSerializer):
    unit_type = serializers.ChoiceField(choices=UnitType.choices)
    count = serializers.IntegerField(min_value=1, max_value=100)

    class Meta:
        model = DispatchRequest
        fields = ["id", "incident", "activation", "unit_type", "count", "created_at"]
        read_only_fields = ["id", "incident", "activation", "created_at"]


class ClosureCreateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    segments = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                     max_length=5000, default=list)
    area = PolygonField(multi=False, required=False, allow_null=True)
    incident = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    starts_at = serializers.DateTimeField(required=False, allow_null=True,
                                          help_text="default now; a later time schedules the closure")
    ends_at = serializers.DateTimeField(required=False, allow_null=True,
                                        help_text="the closure ends by itself then")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ClosureSerializer(serializers.ModelSerializer):
    """A closure with its state (scheduled, active, ended, lifted) and the
    closed roads as a GeoJSON MultiLineString for the map."""

    segments = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    roads = serializers.SerializerMethodField()
    road_names = serializers.SerializerMethodField()
    incident_number = serializers.CharField(source="incident.number", read_only=True, default=None)

    class Meta:
        model = RoadClosure
        fields = ["id", "reason", "reason_label", "incident", "incident_number", "segments", "road_names",
                  "area", "roads", "note", "starts_at", "ends_at", "lifted_at", "in_force", "state",
                  "created_at"]
        read_only_fields = fields

    def get_segments(self, obj) -> list[int]:
        return sorted(s.pk for s in obj.segments.all())

    def get_road_names(self, obj) -> list[str]:
        return sorted({s.name for s in obj.segments.all() if s.name})[:20]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_roads(self, obj):
        lines = [[[round(x, 7), round(y, 7)] for x, y in s.geom.coords] for s in obj.segments.all()]
        return {"type": "MultiLineString", "coordinates": lines}

    def get_state(self, obj) -> str:
        from django.utils import timezone

        now = timezone.now()
        if obj.lifted_at is not None:
            return "lifted"
        if obj.ends_at is not None and obj.ends_at <= now:
            return "ended"
        return "scheduled" if obj.starts_at > now else "active"

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_area(self, obj):
        return geojson_of(obj.area)

    def get_in_force(self, obj) -> bool:
        from django.utils import timezone

        now = timezone.now()
        return obj.lifted_at is None and obj.starts_at <= now and (obj.ends_at is None or obj.ends_at > now)


class ZoneCreateSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=ZoneTier.choices)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    incident = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    geometry = PolygonField(required=False, allow_null=True, help_text="a drawn zone")
    addresses = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                      max_length=2000, default=list,
                                      help_text="generate the zone around these addresses")
    buffer_m = serializers.FloatField(min_value=0, max_value=5000, required=False, allow_null=True)


class ZoneGeoSerializer(GeoFeatureModelSerializer):
    tier_label = serializers.SerializerMethodField()

    class Meta:
        model = ControlZone
        geo_field = "geom"
        fields = ["id", "incident", "tier", "tier_label", "name", "generated", "buffer_m",
                  "buildings_count", "addresses_count", "people_estimate", "status", "created_at",
                  "lifted_at"]
        read_only_fields = fields

    def get_tier_label(self, obj) -> str:
        from emergency.services.zones import zone_label

        return zone_label(obj.tier)


class AlertIssueSerializer(serializers.Serializer):
    incident = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    headline = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    instruction = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    event = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    category = serializers.ChoiceField(choices=CapCategory.choices, required=False)
    urgency = serializers.ChoiceField(choices=CapUrgency.choices, default=CapUrgency.IMMEDIATE)
    severity = serializers.ChoiceField(choices=CapSeverity.choices, required=False)
    certainty = serializers.ChoiceField(choices=CapCertainty.choices, default=CapCertainty.OBSERVED)
    status = serializers.ChoiceField(choices=CapStatus.choices, default=CapStatus.ACTUAL)
    area = PolygonField(required=False, allow_null=True)
    area_desc = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    expires = serializers.DateTimeField(required=False, allow_null=True)


class AlertCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class AlertSerializer(serializers.ModelSerializer):
    area = serializers.SerializerMethodField()
    cap_url = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = ["id", "identifier", "incident", "division_code", "sender", "sender_name", "sent",
                  "status", "msg_type", "references", "category", "event", "urgency", "severity",
                  "certainty", "headline", "description", "instruction", "area_desc", "area", "expires",
                  "cap_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_area(self, obj):
        return geojson_of(obj.area)

    def get_cap_url(self, obj) -> str:
        return f"/api/emergency/alerts/{obj.pk}/cap/"


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "kind", "payload", "created_at"]
        read_only_fields = fields


class NearestSegmentSerializer(serializers.Serializer):
    """The road segment nearest a clicked point (for picking roads to close)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    road_class = serializers.CharField()
    distance_m = serializers.FloatField()
    geometry = serializers.DictField()
