"""Serializers of residents' reports: the staff queue and the public side."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from cim.choices import ReportCategory, ReportStatus
from cim.masking import mask_name, mask_phone
from cim.models import PublicReport, PublicReportEvent
from config.common.fields import MaskedField, MaskedFlag

__all__ = [
    "PublicReportSerializer",
    "ReportDetailSerializer",
    "ReportEventSerializer",
    "ReportReplySerializer",
    "ReportSerializer",
    "ReportStatusSerializer",
    "TRACKING",
    "tracking_body",
]


class ReportSerializer(serializers.ModelSerializer):
    """A report for the staff queue.  The reporter's name and phone are masked
    everywhere (lists, claims, status changes) unless the view was asked to
    reveal them (``context["reveal_contact"]``: a dispatcher's audited
    ``?reveal=contact`` on one report)."""

    address_name = serializers.CharField(source="address.full_name", read_only=True)
    address_code = serializers.CharField(source="address.code", read_only=True)
    lon = serializers.FloatField(source="position.x", default=None, read_only=True)
    lat = serializers.FloatField(source="position.y", default=None, read_only=True)
    claimed_by = serializers.CharField(source="claimed_by.username", default=None, read_only=True)
    plate_code = serializers.CharField(source="plate.code", default=None, read_only=True)
    reporter_name = MaskedField(mask=mask_name, reveal="reveal_contact")
    reporter_phone = MaskedField(mask=mask_phone, reveal="reveal_contact")
    contact_masked = MaskedFlag(reveal="reveal_contact")
    photo = serializers.SerializerMethodField()
    community = serializers.CharField(source="address.admin_area.name", read_only=True)
    street = serializers.CharField(source="address.admin_area.parent.name", default=None,
                                   read_only=True)
    # SLA clocks, computed by the selector (cim.selectors.reports.with_sla)
    respond_by = serializers.DateTimeField(read_only=True, default=None)
    resolve_by = serializers.DateTimeField(read_only=True, default=None)
    due_at = serializers.DateTimeField(read_only=True, default=None,
                                       help_text="the deadline that applies now (none once closed)")
    overdue = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = PublicReport
        fields = ["id", "tracking_code", "address", "address_name", "address_code", "plate_code",
                  "community", "street", "lon", "lat", "category", "description", "photo",
                  "reporter_name", "reporter_phone", "contact_masked", "status", "claimed_by",
                  "claimed_at", "public_reply", "acknowledged_at", "closed_at", "incident_number",
                  "respond_by", "resolve_by", "due_at", "overdue", "created_at", "updated_at"]
        read_only_fields = fields

    def get_photo(self, obj) -> str | None:
        # Served through the queue's permission check, never as a public media URL.
        return reverse("report-photo", kwargs={"pk": obj.pk}) if obj.photo else None


class ReportEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicReportEvent
        fields = ["at", "status", "public_note", "actor"]
        read_only_fields = fields


class ReportDetailSerializer(ReportSerializer):
    """One report with its timeline (status changes and replies, in order)."""

    events = ReportEventSerializer(many=True, read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ReportReplySerializer(serializers.Serializer):
    message = serializers.CharField(max_length=500, help_text="shown to the resident on /track/")


class ReportStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED,
                                              ReportStatus.REJECTED])
    public_reply = serializers.CharField(max_length=500, required=False, default="",
                                         allow_blank=True)


class PublicReportSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=ReportCategory.choices)
    description = serializers.CharField(min_length=5, max_length=2000)
    photo = serializers.FileField(required=False, allow_empty_file=False)
    reporter_name = serializers.CharField(max_length=50, required=False, default="",
                                          allow_blank=True)
    reporter_phone = serializers.CharField(max_length=20, required=False, default="",
                                           allow_blank=True)


TRACKING = inline_serializer("ReportTracking", {
    "tracking_code": serializers.CharField(), "status": serializers.CharField(),
    "category": serializers.CharField(), "address": serializers.CharField(),
    "public_reply": serializers.CharField(), "created_at": serializers.DateTimeField(),
    "events": serializers.ListField(child=serializers.DictField()),
})


def tracking_body(report: PublicReport) -> dict:
    """What anyone holding the tracking code may see of a report."""
    return {"tracking_code": report.tracking_code, "status": report.status,
            "category": report.category, "address": report.address.full_name,
            "public_reply": report.public_reply, "created_at": report.created_at,
            "events": [{"at": e.at, "status": e.status, "note": e.public_note}
                       for e in report.events.all()]}
