"""``/api/cim/public/…``: what the scan page offers, for apps: plate lookup,
report filing, report tracking (anyone, rate-limited per client)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cim import errors
from cim.api.permissions import PublicSubmit
from cim.api.serializers.reports import TRACKING, PublicReportSerializer, tracking_body
from cim.api.throttles import PublicThrottle, ReportActionThrottle, TrackActionThrottle
from cim.models import Plate
from cim.selectors.addresses import address_community_street
from cim.services import plates as plate_services
from cim.services import reports as report_services
from config.common.parsers import LimitedJSONParser

__all__ = ["PublicPlateReportView", "PublicPlateView", "PublicTrackingView"]


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
        community, _street = address_community_street(a)
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
    throttle_classes = [ReportActionThrottle]
    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]
    authentication_classes: list = []

    @extend_schema(request=PublicReportSerializer, responses={201: TRACKING})
    def post(self, request, code: str):
        plate = _public_plate(code)
        if not isinstance(request.data, dict) and not hasattr(request.data, "getlist"):
            raise errors.DomainError("expected an object")
        s = PublicReportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        report = report_services.report_create(
            address=plate.address, plate=plate, client=plate_services.client_hash(request.META),
            language=getattr(request, "LANGUAGE_CODE", "zh-hans"), **s.validated_data)
        return Response(tracking_body(report), status=status.HTTP_201_CREATED)


@extend_schema(tags=["public"])
class PublicTrackingView(APIView):
    """The public status of a report by its tracking code."""

    permission_classes = [PublicSubmit]
    throttle_classes = [PublicThrottle, TrackActionThrottle]

    @extend_schema(responses={200: TRACKING})
    def get(self, request, tracking: str):
        report = report_services.tracking_lookup(tracking)
        if report is None:
            raise errors.NotFound("no report with this tracking code", field="tracking")
        return Response(tracking_body(report))
