"""API of addresses, door plates, plate alerts and residents' reports.

* ``/api/cim/addresses/`` — standard addresses (staff read).
* ``/api/cim/plates/`` — plates: issue, lifecycle, artwork, print sheets, scan
  statistics (admins only).
* ``/api/cim/plate-alerts/`` — fake-plate alerts (admins).
* ``/api/cim/reports/`` — the staff queue of residents' reports (admins,
  commanders, dispatchers), with claims.
* ``/api/cim/public/…`` — what the scan page offers, for apps: plate lookup,
  report filing, report tracking (anyone, rate-limited per client).
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from cim import errors, roles
from cim.choices import (
    AddressKind,
    PlateAlertStatus,
    PlateSize,
    PlateStatus,
    ReportCategory,
    ReportStatus,
)
from cim.masking import mask_phone
from cim.models import Address, Plate, PlateAlert, PublicReport
from cim.permissions import AdminOnly, StaffRead, RolePermission
from cim.plates import artwork, qr, sheets
from cim.services import plates as plate_services
from cim.services import reports as report_services
from cim.services.audit import audit_record


class ReportQueue(RolePermission):
    """The report queue: admins, commanders and dispatchers read and work it."""

    read_roles = roles.CONTROL_ROLES
    write_roles = roles.CONTROL_ROLES


class PublicSubmit(BasePermission):
    """Anyone, signed in or not: public endpoints (always with a throttle)."""

    def has_permission(self, request, view) -> bool:
        return True


class PublicThrottle(SimpleRateThrottle):
    """Per-client limit for anonymous callers, keyed by the salted client hash
    (never the address itself); rates are read from settings at request time."""

    scope = "public"

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope,
                                    "ident": plate_services.client_hash(request.META)}


class PublicWriteThrottle(PublicThrottle):
    scope = "public_write"


# ---------------------------------------------------------------------------
# Serializers


class AddressSerializer(serializers.ModelSerializer):
    lon = serializers.FloatField(source="position.x", default=None, read_only=True)
    lat = serializers.FloatField(source="position.y", default=None, read_only=True)
    admin_code = serializers.CharField(source="admin_area.code", read_only=True)

    class Meta:
        model = Address
        fields = ["id", "kind", "parent", "label", "number", "full_name", "code", "plus_code",
                  "status", "lon", "lat", "position_kind", "admin_code", "building", "synthetic",
                  "source"]


class PlateSerializer(serializers.ModelSerializer):
    address_name = serializers.CharField(source="address.full_name", read_only=True)
    url = serializers.SerializerMethodField()
    replaced_by_code = serializers.CharField(source="replaced_by.code", default=None,
                                             read_only=True)

    class Meta:
        model = Plate
        fields = ["id", "code", "url", "address", "address_name", "status", "size", "issued_at",
                  "installed_at", "status_changed_at", "replaced_by_code", "note"]
        read_only_fields = ["code", "status", "issued_at", "installed_at", "status_changed_at"]

    def get_url(self, obj) -> str:
        return qr.plate_url(obj.code, settings.CIM["PLATE_HOST"])


class PlateIssueSerializer(serializers.Serializer):
    address = serializers.PrimaryKeyRelatedField(queryset=Address.objects.all())
    size = serializers.ChoiceField(choices=PlateSize.choices, default=PlateSize.MEDIUM)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class PlateTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[PlateStatus.INSTALLED, PlateStatus.DAMAGED,
                                              PlateStatus.RETIRED])
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class PlateReplaceSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    size = serializers.ChoiceField(choices=PlateSize.choices, required=False)


class PlateAlertSerializer(serializers.ModelSerializer):
    plate_code = serializers.CharField(source="plate.code", read_only=True)
    address_name = serializers.CharField(source="plate.address.full_name", read_only=True)

    class Meta:
        model = PlateAlert
        fields = ["id", "plate", "plate_code", "address_name", "kind", "status", "created_at",
                  "detail", "comment", "closed_at"]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer):
    """A report for the staff queue; the reporter's phone is shown in full to
    dispatchers (who call back) and masked for everyone else."""

    address_name = serializers.CharField(source="address.full_name", read_only=True)
    address_code = serializers.CharField(source="address.code", read_only=True)
    lon = serializers.FloatField(source="position.x", default=None, read_only=True)
    lat = serializers.FloatField(source="position.y", default=None, read_only=True)
    claimed_by = serializers.CharField(source="claimed_by.username", default=None, read_only=True)
    plate_code = serializers.CharField(source="plate.code", default=None, read_only=True)
    reporter_phone = serializers.SerializerMethodField()
    photo = serializers.SerializerMethodField()

    class Meta:
        model = PublicReport
        fields = ["id", "tracking_code", "address", "address_name", "address_code", "plate_code",
                  "lon", "lat", "category", "description", "photo", "reporter_name",
                  "reporter_phone", "status", "claimed_by", "claimed_at", "public_reply",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_reporter_phone(self, obj) -> str:
        user = self.context["request"].user
        if roles.has_role(user, roles.DISPATCHER):
            return obj.reporter_phone
        return mask_phone(obj.reporter_phone) if obj.reporter_phone else ""

    def get_photo(self, obj) -> str | None:
        # Served through the queue's permission check, never as a public media URL.
        return reverse("report-photo", kwargs={"pk": obj.pk}) if obj.photo else None


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


_TRACKING = inline_serializer("ReportTracking", {
    "tracking_code": serializers.CharField(), "status": serializers.CharField(),
    "category": serializers.CharField(), "address": serializers.CharField(),
    "public_reply": serializers.CharField(), "created_at": serializers.DateTimeField(),
    "events": serializers.ListField(child=serializers.DictField()),
})


def _tracking_body(report: PublicReport) -> dict:
    return {"tracking_code": report.tracking_code, "status": report.status,
            "category": report.category, "address": report.address.full_name,
            "public_reply": report.public_reply, "created_at": report.created_at,
            "events": [{"at": e.at, "status": e.status, "note": e.public_note}
                       for e in report.events.all()]}


def _forget_page(plate: Plate) -> None:
    plate_services.scan_page_forget(plate.code)


# ---------------------------------------------------------------------------
# Staff views


@extend_schema(tags=["addresses"])
class AddressViewSet(viewsets.ReadOnlyModelViewSet):
    """Standard addresses with their chain (staff).  Filters: kind, parent,
    admin_code (prefix of the community code)."""

    permission_classes = [StaffRead]
    serializer_class = AddressSerializer

    def get_queryset(self):
        qs = Address.objects.select_related("admin_area").order_by("code")
        p = self.request.query_params
        if p.get("kind"):
            if p["kind"] not in AddressKind.values:
                raise ValidationError({"kind": [f"one of {', '.join(AddressKind.values)}"]})
            qs = qs.filter(kind=p["kind"])
        if p.get("parent"):
            if not p["parent"].isdigit():
                raise ValidationError({"parent": ["must be an address id"]})
            qs = qs.filter(parent_id=int(p["parent"]))
        if p.get("admin_code"):
            qs = qs.filter(admin_area__code__startswith=p["admin_code"][:12])
        return qs

    @extend_schema(parameters=[
        OpenApiParameter("kind", OpenApiTypes.STR, enum=AddressKind.values),
        OpenApiParameter("parent", OpenApiTypes.INT),
        OpenApiParameter("admin_code", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["plates"])
class PlateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Door plates (admins only): issue, install/damage/retire, replace,
    artwork (SVG/PNG), print sheets (PDF) and scan statistics."""

    permission_classes = [AdminOnly]
    serializer_class = PlateSerializer
    lookup_field = "code"
    lookup_value_regex = "[0-9A-Za-z]{11}"

    def get_queryset(self):
        qs = Plate.objects.select_related("address", "replaced_by").order_by("id")
        p = self.request.query_params
        if p.get("status"):
            if p["status"] not in PlateStatus.values:
                raise ValidationError({"status": [f"one of {', '.join(PlateStatus.values)}"]})
            qs = qs.filter(status=p["status"])
        if p.get("community"):
            qs = qs.filter(address__admin_area__code__startswith=p["community"][:12])
        return qs

    def get_object(self):
        code = self.kwargs["code"].upper()
        plate = self.get_queryset().filter(code=code).first()
        if plate is None:
            raise NotFound(f"no plate with code {code}")
        return plate

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=PlateStatus.values),
                               OpenApiParameter("community", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PlateIssueSerializer, responses={201: PlateSerializer})
    def create(self, request, *args, **kwargs):
        s = PlateIssueSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plate = plate_services.plate_issue(by=request.user, **s.validated_data)
        return Response(PlateSerializer(plate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlateTransitionSerializer, responses={200: PlateSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, code=None):
        s = PlateTransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plate = plate_services.plate_transition(plate=self.get_object(), by=request.user,
                                                to_status=s.validated_data["status"],
                                                note=s.validated_data["note"])
        _forget_page(plate)
        return Response(PlateSerializer(plate).data)

    @extend_schema(request=PlateReplaceSerializer, responses={201: PlateSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, code=None):
        s = PlateReplaceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        old = self.get_object()
        new = plate_services.plate_replace(plate=old, by=request.user, **s.validated_data)
        _forget_page(old)
        return Response(PlateSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[
        OpenApiParameter("size", OpenApiTypes.STR, enum=PlateSize.values),
        OpenApiParameter("file", OpenApiTypes.STR, enum=["svg", "png"])],
        responses={(200, "image/svg+xml"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="artwork", methods=["get"])
    def artwork(self, request, code=None):
        plate = self.get_object()
        size = request.query_params.get("size") or plate.size
        fmt = request.query_params.get("file", "svg")
        if size not in PlateSize.values:
            raise ValidationError({"size": [f"one of {', '.join(PlateSize.values)}"]})
        if fmt not in ("svg", "png"):
            raise ValidationError({"file": ["svg or png"]})
        text = plate_text(plate)
        url = qr.plate_url(plate.code, settings.CIM["PLATE_HOST"])
        if fmt == "svg":
            return HttpResponse(artwork.plate_svg(text=text, url=url, size=size),
                                content_type="image/svg+xml")
        return HttpResponse(artwork.plate_png(text=text, url=url, size=size),
                            content_type="image/png")

    @extend_schema(parameters=[
        OpenApiParameter("community", OpenApiTypes.STR, required=True),
        OpenApiParameter("size", OpenApiTypes.STR, enum=PlateSize.values),
        OpenApiParameter("paper", OpenApiTypes.STR, enum=[*sheets.PAPERS])],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=False, url_path="sheet", methods=["get"])
    def sheet(self, request):
        p = request.query_params
        community = p.get("community", "")
        if not community.isdigit() or not 6 <= len(community) <= 12:
            raise ValidationError({"community": ["a 6–12 digit division code"]})
        size, paper = p.get("size", PlateSize.MEDIUM), p.get("paper", "A3")
        if size not in PlateSize.values:
            raise ValidationError({"size": [f"one of {', '.join(PlateSize.values)}"]})
        if paper not in sheets.PAPERS:
            raise ValidationError({"paper": [f"one of {', '.join(sheets.PAPERS)}"]})
        plates = community_plates(community)
        if not plates:
            raise NotFound(f"no plates in service in {community}")
        if len(plates) > 2000:
            raise ValidationError({"community": ["more than 2000 plates: use print_plates"]})
        pdf = sheets.print_sheet(((plate_text(pl), qr.plate_url(pl.code, settings.CIM["PLATE_HOST"]))
                                  for pl in plates), size=size, paper=paper, title=community)
        resp = HttpResponse(pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'attachment; filename="plates-{community}-{size}.pdf"'
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


def plate_text(plate: Plate) -> artwork.PlateText:
    """What a plate prints, from its address chain."""
    address = plate.address
    node = address
    while node.parent_id is not None:
        node = node.parent
    headline = f"{node.label} {address.label}" if address.kind == AddressKind.DOOR else address.label
    area = address.admin_area
    chain = [*area.ancestors(), area]
    community = " ".join(a.name for a in chain if a.level in ("street", "community"))
    return artwork.PlateText(headline=headline, address=address.full_name, community=community,
                             domain=settings.CIM["PLATE_HOST"].lower(), code=plate.code)


def community_plates(community_code: str) -> list[Plate]:
    return list(Plate.objects.filter(
        status__in=[PlateStatus.ISSUED, PlateStatus.INSTALLED, PlateStatus.DAMAGED],
        address__admin_area__code__startswith=community_code,
    ).select_related("address__admin_area", "address__parent").order_by("address__code"))


@extend_schema(tags=["plates"])
class PlateAlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts about possibly fake plates (scan spikes, residents' flags)."""

    permission_classes = [AdminOnly]
    serializer_class = PlateAlertSerializer

    def get_queryset(self):
        qs = PlateAlert.objects.select_related("plate__address").order_by("-created_at", "-id")
        st = self.request.query_params.get("status")
        if st:
            if st not in PlateAlertStatus.values:
                raise ValidationError({"status": [f"one of {', '.join(PlateAlertStatus.values)}"]})
            qs = qs.filter(status=st)
        return qs

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR,
                                                enum=PlateAlertStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: PlateAlertSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        alert = plate_services.plate_alert_close(alert=self.get_object(), by=request.user)
        return Response(PlateAlertSerializer(alert).data)


@extend_schema(tags=["reports"])
class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """The staff queue of residents' reports.  Claim a report before working
    it; a claimed report cannot be claimed by another operator (409)."""

    permission_classes = [ReportQueue]
    serializer_class = ReportSerializer

    def get_queryset(self):
        qs = PublicReport.objects.select_related("address", "claimed_by", "plate").order_by(
            "created_at", "id")
        p = self.request.query_params
        if p.get("status"):
            wanted = p["status"].split(",")
            bad = [w for w in wanted if w not in ReportStatus.values]
            if bad:
                raise ValidationError({"status": [f"unknown {', '.join(bad)}; one of "
                                                  f"{', '.join(ReportStatus.values)}"]})
            qs = qs.filter(status__in=wanted)
        if p.get("unclaimed") in ("1", "true"):
            qs = qs.filter(claimed_by__isnull=True)
        if p.get("mine") in ("1", "true"):
            qs = qs.filter(claimed_by=self.request.user)
        return qs

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR),
                               OpenApiParameter("unclaimed", OpenApiTypes.BOOL),
                               OpenApiParameter("mine", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        report = self.get_object()
        if report.reporter_phone and roles.has_role(request.user, roles.DISPATCHER):
            from django.db import transaction

            with transaction.atomic():
                audit_record(actor=request.user, action="report.read_contact", obj=report)
        return Response(self.get_serializer(report).data)

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
        s = ReportStatusSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_services.report_set_status(report=self.get_object(), by=request.user,
                                                   **s.validated_data)
        return Response(self.get_serializer(report).data)


# ---------------------------------------------------------------------------
# Public views


def _public_plate(code: str) -> Plate:
    normalized, plate, suggestions = plate_services.plate_code_lookup(code)
    if plate is None:
        extra = {"suggestions": suggestions} if suggestions else {}
        raise errors.NotFound(f"no plate with code {code[:20]}", field="code", **extra)
    return plate


@extend_schema(tags=["public"])
class PublicPlateView(APIView):
    """The public facts of a plate: its standard address and community."""

    permission_classes = [PublicSubmit]
    throttle_classes = [PublicThrottle]

    @extend_schema(responses={200: inline_serializer("PublicPlate", {
        "code": serializers.CharField(), "status": serializers.CharField(),
        "address": serializers.CharField(), "address_code": serializers.CharField(),
        "plus_code": serializers.CharField(), "lon": serializers.FloatField(allow_null=True),
        "lat": serializers.FloatField(allow_null=True),
        "community": serializers.CharField(allow_null=True),
        "community_phone": serializers.CharField(allow_null=True)})})
    def get(self, request, code: str):
        plate = _public_plate(code)
        a = plate.address
        chain = [*a.admin_area.ancestors(), a.admin_area]
        community = next((x for x in chain if x.level == "community"), None)
        return Response({
            "code": plate.code, "status": plate.status, "address": a.full_name,
            "address_code": a.code, "plus_code": a.plus_code,
            "lon": a.position.x if a.position else None, "lat": a.position.y if a.position else None,
            "community": community.name if community else None,
            "community_phone": community.contact_phone if community else None,
        })


@extend_schema(tags=["public"])
class PublicPlateReportView(APIView):
    """File a report at a plate's address (JSON or multipart with a photo).
    Returns the tracking code."""

    permission_classes = [PublicSubmit]
    throttle_classes = [PublicWriteThrottle]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    authentication_classes: list = []

    @extend_schema(request=PublicReportSerializer, responses={201: _TRACKING})
    def post(self, request, code: str):
        plate = _public_plate(code)
        if not isinstance(request.data, dict) and not hasattr(request.data, "getlist"):
            raise ValidationError({"non_field_errors": ["expected an object"]})
        s = PublicReportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_services.report_create(
            address=plate.address, plate=plate, client=plate_services.client_hash(request.META),
            language=getattr(request, "LANGUAGE_CODE", "zh-hans"), **s.validated_data)
        return Response(_tracking_body(report), status=status.HTTP_201_CREATED)


@extend_schema(tags=["public"])
class PublicTrackingView(APIView):
    """The public status of a report by its tracking code."""

    permission_classes = [PublicSubmit]
    throttle_classes = [PublicThrottle]

    @extend_schema(responses={200: _TRACKING})
    def get(self, request, tracking: str):
        report = report_services.tracking_lookup(tracking)
        if report is None:
            raise errors.NotFound("no report with this tracking code", field="tracking")
        return Response(_tracking_body(report))

