"""Escalating a resident's plate report into an incident."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.errors import NotFound
from cim.selectors.scoped import reports_visible_to
from cim.services.reports import normalize_tracking
from emergency.api.common import ERRORS
from emergency.api.serializers import IncidentSerializer
from emergency.choices import IncidentLevel, IncidentType
from emergency.permissions import DispatcherWrite
from emergency.services.reports import incident_from_report

__all__ = ["ReportEscalateView"]


class ReportEscalateSerializer(serializers.Serializer):
    incident_type = serializers.ChoiceField(choices=IncidentType.choices)
    level = serializers.ChoiceField(choices=IncidentLevel.choices, default=IncidentLevel.IV)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


@extend_schema(tags=["emergency"])
class ReportEscalateView(APIView):
    """Turn a resident's report (by tracking code) into an incident at its
    address.  Admin, commander, dispatcher; the report is claimed by the caller
    and moves to *in progress*; a report already escalated is a 409."""

    permission_classes = [DispatcherWrite]

    @extend_schema(request=ReportEscalateSerializer, responses={201: IncidentSerializer, **ERRORS})
    def post(self, request, tracking: str):
        code = normalize_tracking(tracking)
        report = reports_visible_to(request.user).filter(tracking_code=code).first() if code else None
        if report is None:
            raise NotFound(f"no report with tracking code {tracking!r}", field="tracking")
        s = ReportEscalateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = incident_from_report(report=report, by=request.user, **s.validated_data)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)
