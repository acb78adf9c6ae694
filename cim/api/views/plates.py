"""Staff API of addresses, door plates and plate alerts.

* ``/api/cim/addresses/`` — standard addresses (staff read).
* ``/api/cim/plates/`` — plates: issue, lifecycle, artwork, print sheets, scan
  statistics (admins only).
* ``/api/cim/plate-alerts/`` — fake-plate alerts (admins).
"""

from __future__ import annotations

from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cim import errors, roles
from cim.api.filters import AddressFilter, PlateAlertFilter, PlateFilter
from cim.api.serializers.plates import (
    AddressSerializer,
    PlateAlertSerializer,
    PlateArtworkQuery,
    PlateHistorySerializer,
    PlateIssueSerializer,
    PlateReplaceSerializer,
    PlateSerializer,
    PlateSheetQuery,
    PlateTransitionSerializer,
)
from cim.conf import cim_settings
from cim.permissions import RolePermission, StaffRead
from cim.plates import artwork, qr
from cim.selectors.plates import plate_detail, plate_text, plates_search
from cim.selectors.scoped import addresses_visible_to, plate_alerts_visible_to, plates_visible_to
from cim.services import plates as plate_services
from cim.services.plates.sheets import SHEET_MAX_PLATES, plates_sheet_pdf

__all__ = ["SHEET_MAX_PLATES", "AddressViewSet", "PlateAlertViewSet", "PlateStaff", "PlateViewSet"]


class PlateStaff(RolePermission):
    """Plates: admins and community staff manage them, dispatchers read."""

    read_roles = roles.PLATE_READ_ROLES
    write_roles = roles.PLATE_ROLES


class PlatePrinters(RolePermission):
    """Print sheets and artwork: those who manage plates (a GET, but a print run)."""

    read_roles = roles.PLATE_ROLES
    write_roles = roles.PLATE_ROLES


@extend_schema(tags=["addresses"])
class AddressViewSet(viewsets.ReadOnlyModelViewSet):
    """Standard addresses with their chain (staff).  Filters: kind, parent,
    admin_code (prefix of the community code)."""

    permission_classes = [StaffRead]
    serializer_class = AddressSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AddressFilter

    def get_queryset(self):
        return addresses_visible_to(self.request.user)


@extend_schema(tags=["plates"])
class PlateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Door plates: search, issue, install/damage/retire, replace, artwork
    (SVG/PNG), print sheets (PDF), history and scan statistics.  Admins and
    community staff write; dispatchers read."""

    permission_classes = [PlateStaff]
    serializer_class = PlateSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlateFilter

    def get_queryset(self):
        return plates_visible_to(self.request.user)

    lookup_field = "code"
    lookup_value_regex = "[0-9A-Za-z]{11}"

    def get_object(self):
        code = self.kwargs["code"].upper()
        plate = self.get_queryset().filter(code=code).first()
        if plate is None:
            raise errors.NotFound(f"no plate with code {code}", field="code")
        return plate

    def get_permissions(self):
        if self.action in ("artwork", "sheet"):
            return [PlatePrinters()]
        return super().get_permissions()

    @extend_schema(parameters=[
        OpenApiParameter("q", str, description="plate code (dashes optional) or address text"),
        OpenApiParameter("status", str), OpenApiParameter("community", str)],
        responses={200: PlateSerializer(many=True)})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def search(self, request):
        """At most 50 plates matching a code or an address, newest first."""
        plates = plates_search(request.user, request.query_params.get("q", "")[:100],
                               status=request.query_params.get("status", "")[:16],
                               community=request.query_params.get("community", "")[:12])
        return Response(PlateSerializer(plates, many=True).data)

    @extend_schema(responses={200: PlateHistorySerializer})
    @action(detail=True, methods=["get"])
    def history(self, request, code=None):
        """A plate's status history, alerts, predecessor/successor and scans per day."""
        plate = self.get_object()
        plate_services.plate_scans_flush(plate_ids=[plate.pk])
        detail = plate_detail(request.user, plate.code)
        return Response(PlateHistorySerializer(detail).data)

    @extend_schema(request=PlateIssueSerializer, responses={201: PlateSerializer})
    def create(self, request, *args, **kwargs):
        s = PlateIssueSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plate = plate_services.plate_issue(by=request.user, **s.validated_data)
        return Response(PlateSerializer(plate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlateTransitionSerializer, responses={200: PlateSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, code=None):
        current = self.get_object()  # out of the user's scope: 404 before the body is judged
        s = PlateTransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plate = plate_services.plate_transition(plate=current, by=request.user,
                                                to_status=s.validated_data["status"],
                                                note=s.validated_data["note"])
        plate_services.scan_page_forget(plate.code)
        return Response(PlateSerializer(plate).data)

    @extend_schema(request=PlateReplaceSerializer, responses={201: PlateSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, code=None):
        old = self.get_object()  # out of the user's scope: 404 before the body is judged
        s = PlateReplaceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        new = plate_services.plate_replace(plate=old, by=request.user, **s.validated_data)
        plate_services.scan_page_forget(old.code)
        return Response(PlateSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[PlateArtworkQuery],
                   responses={(200, "image/svg+xml"): OpenApiTypes.BINARY,
                              (200, "image/png"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="artwork", methods=["get"], filter_backends=[])
    def artwork(self, request, code=None):
        query = PlateArtworkQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        plate = self.get_object()
        size = query.validated_data.get("size") or plate.size
        text = plate_text(plate)
        url = qr.plate_url(plate.code, cim_settings.PLATE_HOST)
        if query.validated_data["file"] == "svg":
            return HttpResponse(artwork.plate_svg(text=text, url=url, size=size),
                                content_type="image/svg+xml")
        return HttpResponse(artwork.plate_png(text=text, url=url, size=size),
                            content_type="image/png")

    @extend_schema(parameters=[PlateSheetQuery],
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=False, url_path="sheet", methods=["get"], filter_backends=[])
    def sheet(self, request):
        query = PlateSheetQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        sheet = plates_sheet_pdf(by=request.user, **query.validated_data)
        resp = HttpResponse(sheet.pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'attachment; filename="{sheet.filename}"'
        return resp

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def scans(self, request, code=None):
        plate = self.get_object()
        plate_services.plate_scans_flush(plate_ids=[plate.pk])
        days = [{"day": d.day, "scans": d.scans, "clients": d.clients}
                for d in plate.scan_days.all()[:90]]
        return Response({"code": plate.code, "days": days,
                         "total": sum(d["scans"] for d in days)})


@extend_schema(tags=["plates"])
class PlateAlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts about possibly fake plates (scan spikes, residents' flags)."""

    permission_classes = [PlateStaff]
    serializer_class = PlateAlertSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlateAlertFilter

    def get_queryset(self):
        return plate_alerts_visible_to(self.request.user)

    @extend_schema(request=None, responses={200: PlateAlertSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        alert = plate_services.plate_alert_close(alert=self.get_object(), by=request.user)
        return Response(PlateAlertSerializer(alert).data)
