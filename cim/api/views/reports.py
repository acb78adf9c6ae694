"""``/api/cim/reports/``: the staff queue of residents' reports (admins,
commanders, dispatchers), with claims."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cim import roles
from cim.api.filters import ReportFilter
from cim.api.permissions import ReportQueue
from cim.api.serializers.reports import ReportSerializer, ReportStatusSerializer
from cim.errors import DomainError
from cim.selectors.scoped import reports_visible_to
from cim.services import reports as report_services
from cim.services.report_contacts import report_contact_read

__all__ = ["ReportViewSet"]


@extend_schema(tags=["reports"])
class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """The staff queue of residents' reports.  Claim a report before working
    it; a claimed report cannot be claimed by another operator (409)."""

    permission_classes = [ReportQueue]
    serializer_class = ReportSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter

    def get_queryset(self):
        return reports_visible_to(self.request.user)

    @extend_schema(parameters=[OpenApiParameter(
        "reveal", OpenApiTypes.STR, enum=["contact"],
        description="show the reporter's name and phone unmasked (dispatchers; audited)")])
    def retrieve(self, request, *args, **kwargs):
        """One report; the reporter's contact is masked unless a dispatcher asks
        ``?reveal=contact`` (each reveal is an audit row)."""
        report = self.get_object()
        reveal = request.query_params.get("reveal")
        if reveal not in (None, "", "contact"):
            raise DomainError("reveal must be 'contact'", field="reveal")
        if reveal == "contact":
            if not roles.has_role(request.user, roles.DISPATCHER):
                raise PermissionDenied("only dispatchers may reveal a reporter's contact")
            report_contact_read(report=report, by=request.user)
        context = {**self.get_serializer_context(), "reveal_contact": reveal == "contact"}
        return Response(ReportSerializer(report, context=context).data)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        report = report_services.report_claim(report=self.get_object(), by=request.user)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        report = report_services.report_release(report=self.get_object(), by=request.user)
        return Response(self.get_serializer(report).data)

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

    @extend_schema(request=ReportStatusSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        report = self.get_object()  # out of the user's scope: 404 before the body is judged
        s = ReportStatusSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_services.report_set_status(report=report, by=request.user, **s.validated_data)
        return Response(self.get_serializer(report).data)
