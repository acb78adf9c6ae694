"""``/api/cim/reports/``: the staff queue of residents' reports (admins,
dispatchers and 街道/社区 staff work it, commanders read it), with claims,
replies, status changes and SLA clocks.  Escalation into an incident is
``/api/emergency/reports/<tracking>/escalate/``."""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cim import roles
from cim.api.permissions import ReportQueue
from cim.api.serializers.reports import (
    ReportDetailSerializer,
    ReportReplySerializer,
    ReportSerializer,
    ReportStatusSerializer,
)
from cim.choices import ReportCategory
from cim.errors import DomainError
from cim.selectors.reports import report_detail, report_queue
from cim.services import reports as report_services
from cim.services.report_contacts import report_contact_read
from config.common.errors import ERRORS

__all__ = ["ReportViewSet"]


@extend_schema(tags=["reports"])
class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """The staff queue of residents' reports.  Claim a report before working
    it; a claimed report cannot be claimed by another operator (409)."""

    permission_classes = [ReportQueue]
    serializer_class = ReportSerializer

    def get_queryset(self):
        return report_queue(user=self.request.user, params=self.request.query_params)

    def get_object(self):
        report = report_detail(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, report)
        return report

    def _answer(self, report, *, reveal: bool = False):
        """The report as it is now (re-read: SLA clocks and timeline included)."""
        fresh = report_detail(user=self.request.user, pk=report.pk)
        context = {**self.get_serializer_context(), "reveal_contact": reveal}
        return Response(ReportDetailSerializer(fresh, context=context).data)

    @extend_schema(parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, description="one status or a comma list; "
                         "'open' = every status but resolved and rejected"),
        OpenApiParameter("category", OpenApiTypes.STR, enum=ReportCategory.values),
        OpenApiParameter("area", OpenApiTypes.STR, description="code of a district, street or "
                         "community (6 to 12 digits)"),
        OpenApiParameter("overdue", OpenApiTypes.BOOL, description="only reports past an SLA deadline"),
        OpenApiParameter("mine", OpenApiTypes.BOOL, description="only the reports I claimed"),
        OpenApiParameter("unclaimed", OpenApiTypes.BOOL, description="only unclaimed reports"),
        OpenApiParameter("q", OpenApiTypes.STR, description="tracking code, address or description"),
    ])
    def list(self, request, *args, **kwargs):
        """The queue, open reports first (oldest first), with SLA clocks; the
        reporter's contact is always masked here."""
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter(
        "reveal", OpenApiTypes.STR, enum=["contact"],
        description="show the reporter's name and phone unmasked (staff who work the queue; "
                    "audited)")], responses={200: ReportDetailSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        """One report with its timeline; the reporter's contact is masked unless
        someone who works the queue asks ``?reveal=contact`` (each reveal is an
        audit row)."""
        report = self.get_object()
        reveal = request.query_params.get("reveal")
        if reveal not in (None, "", "contact"):
            raise DomainError("reveal must be 'contact'", field="reveal")
        if reveal == "contact":
            if not roles.has_role(request.user, *roles.REPORT_WORK_ROLES):
                raise PermissionDenied("only staff who work the queue may reveal a reporter's contact")
            report_contact_read(report=report, by=request.user)
        return self._answer(report, reveal=reveal == "contact")

    @extend_schema(request=None, responses={200: ReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Take the report (409 while another operator holds it or once closed)."""
        report = report_services.report_claim(report=self.get_object(), by=request.user)
        return self._answer(report)

    @extend_schema(request=None, responses={200: ReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Give the report back to the queue (its holder or an admin)."""
        report = report_services.report_release(report=self.get_object(), by=request.user)
        return self._answer(report)

    @extend_schema(request=ReportReplySerializer, responses={200: ReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """A message to the resident, shown on the tracking page (the holder
        only; 409 otherwise or once closed)."""
        report = self.get_object()  # out of the user's scope: 404 before the body is judged
        s = ReportReplySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_services.report_reply(report=report, by=request.user,
                                              message=s.validated_data["message"])
        return self._answer(report)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, 404: None})
    @action(detail=True, url_path="photo", url_name="photo")
    def photo(self, request, pk=None):
        """The resident's photo, for staff of the queue only."""
        report = self.get_object()
        if not report.photo:
            raise Http404("this report has no photo")
        ext = report.photo.name.rsplit(".", 1)[-1].lower()
        content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
            ext, "application/octet-stream")
        response = FileResponse(report.photo.open("rb"), content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request=ReportStatusSerializer, responses={200: ReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """In progress, or close (resolved / rejected) with a reply to the resident."""
        report = self.get_object()  # out of the user's scope: 404 before the body is judged
        s = ReportStatusSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_services.report_set_status(report=report, by=request.user, **s.validated_data)
        return self._answer(report)
