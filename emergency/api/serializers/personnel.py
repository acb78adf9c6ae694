"""Serializers of personnel: shifts, duties, experts, team members and their
qualifications.  Phones go out masked unless the view was asked to reveal
them (``context["reveal_phone"]``, audited by the view's service call)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from cim.masking import mask_phone
from emergency.models import DutyAssignment, DutyShift, Expert, Qualification, TeamMember
from emergency.models.personnel import DutyPosition, ExpertAvailability, ExpertField

__all__ = [
    "CopyWeekSerializer",
    "DutyAssignInputSerializer",
    "DutyAssignmentSerializer",
    "DutyShiftSerializer",
    "ExpertSerializer",
    "QualificationSerializer",
    "TeamMemberSerializer",
]

_PHONE = r"^[0-9+\-() ]{3,32}$"


class _MaskedPhone:
    """Mixin: ``phone`` masked on the way out unless the context reveals it."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "phone" in data and not self.context.get("reveal_phone"):
            data["phone"] = mask_phone(data["phone"] or "")
        return data


class DutyShiftSerializer(serializers.ModelSerializer):
    crosses_midnight = serializers.BooleanField(read_only=True)

    class Meta:
        model = DutyShift
        fields = ["id", "code", "name", "start", "end", "order", "active", "crosses_midnight"]
        read_only_fields = ["id", "crosses_midnight"]


class DutyAssignmentSerializer(_MaskedPhone, serializers.ModelSerializer):
    shift_name = serializers.CharField(source="shift.name", read_only=True)
    position_label = serializers.CharField(source="get_position_display", read_only=True)
    agency_name = serializers.CharField(source="agency.name", default=None, read_only=True)

    class Meta:
        model = DutyAssignment
        fields = ["id", "date", "shift", "shift_name", "position", "position_label", "agency", "agency_name",
                  "user", "person_name", "phone", "starts_at", "ends_at", "note", "synthetic"]
        read_only_fields = fields


class DutyAssignInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    shift = serializers.IntegerField(min_value=1, max_value=2**62)
    position = serializers.ChoiceField(choices=DutyPosition.choices)
    user = serializers.IntegerField(min_value=1, max_value=2**62, required=False, allow_null=True)
    person_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(_PHONE, required=False, allow_blank=True, default="")
    agency = serializers.IntegerField(min_value=1, max_value=2**62, required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CopyWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="the Monday of the week to fill from the week before")


class ExpertSerializer(_MaskedPhone, serializers.ModelSerializer):
    fields = serializers.ListField(child=serializers.ChoiceField(choices=ExpertField.choices),
                                   min_length=1, max_length=8)
    field_labels = serializers.SerializerMethodField()
    phone = serializers.RegexField(_PHONE)
    availability = serializers.ChoiceField(choices=ExpertAvailability.choices, required=False)
    availability_label = serializers.CharField(source="get_availability_display", read_only=True)

    class Meta:
        model = Expert
        fields = ["id", "name", "fields", "field_labels", "organisation", "title", "phone", "availability",
                  "availability_label", "note", "synthetic"]
        read_only_fields = ["id", "field_labels", "availability_label", "synthetic"]
        # the (name, organisation) pair is checked by the service's full_clean
        validators = []

    def get_field_labels(self, obj) -> list[str]:
        labels = dict(ExpertField.choices)
        return [str(labels.get(f, f)) for f in obj.fields]


class QualificationSerializer(serializers.ModelSerializer):
    expired = serializers.SerializerMethodField()

    class Meta:
        model = Qualification
        fields = ["id", "name", "certificate_no", "issued_on", "expires_on", "expired"]
        read_only_fields = ["id", "expired"]
        validators = []

    def get_expired(self, obj) -> bool:
        return obj.expires_on is not None and obj.expires_on < timezone.localdate()


class TeamMemberSerializer(_MaskedPhone, serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    phone = serializers.RegexField(_PHONE, required=False, allow_blank=True)
    qualifications = QualificationSerializer(many=True, read_only=True)
    has_expired = serializers.SerializerMethodField()

    class Meta:
        model = TeamMember
        fields = ["id", "unit", "unit_code", "unit_name", "name", "role", "phone", "user", "active",
                  "qualifications", "has_expired", "synthetic"]
        read_only_fields = ["id", "unit_code", "unit_name", "qualifications", "has_expired", "synthetic"]
        validators = []

    def get_has_expired(self, obj) -> bool:
        today = timezone.localdate()
        return any(q.expires_on is not None and q.expires_on < today for q in obj.qualifications.all())
