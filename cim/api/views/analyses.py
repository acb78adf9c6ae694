"""Planning analyses (``/api/cim/analyses/…``): planners run and save them,
commanders read them, the public nothing.

* ``height-zones/`` — height-control zones (GeoJSON); create one drawn in the
  viewer, import a FeatureCollection, delete.
* ``height-check/`` — run the height-limit check; the saved run is returned.
* ``runs/`` — saved runs; ``runs/{id}/csv/`` the violations (sunlight: the
  hours per calculation point) as CSV, ``runs/{id}/pdf/`` the printable report.

Sunlight analyses (日照分析) are long: they run as the job kind
``analysis.sunlight`` (``POST /api/jobs/``), whose result names the saved run.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.api.serializers.analyses import (
    AnalysisRunBriefSerializer,
    AnalysisRunSerializer,
    FloodSerializer,
    HeightCheckSerializer,
    HeightZoneGeoSerializer,
    HeightZoneImportSerializer,
    HeightZoneInputSerializer,
)
from cim.errors import DomainError
from cim.models import AnalysisRun, HeightZone
from cim.models.analyses import AnalysisKind
from cim.permissions import AnalysisAccess
from cim.services.analyses import height_limit

__all__ = ["AnalysisRunViewSet", "FloodView", "HeightCheckView", "HeightZoneViewSet"]


@extend_schema(tags=["analyses"])
class HeightZoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                        viewsets.GenericViewSet):
    permission_classes = [AnalysisAccess]
    serializer_class = HeightZoneGeoSerializer
    queryset = HeightZone.objects.all()
    pagination_class = None

    @extend_schema(request=HeightZoneInputSerializer, responses={201: HeightZoneGeoSerializer})
    def create(self, request):
        data = HeightZoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        zone = height_limit.zone_create(by=request.user, zone=height_limit.ZoneInput(
            name=v["name"], kind=v["kind"], geom=v["geometry"], datum=v["datum"], shape=v["shape"],
            max_height=v["max_height"], plane_origin=v["plane_origin"],
            plane_azimuth=v["plane_azimuth"], plane_slope=v["plane_slope"], note=v["note"]))
        return Response(HeightZoneGeoSerializer(zone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HeightZoneImportSerializer, responses={201: HeightZoneGeoSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="import")
    def import_zones(self, request):
        data = HeightZoneImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zones = height_limit.zones_import(document=data.validated_data["document"], by=request.user,
                                          default_datum=data.validated_data.get("datum"))
        return Response(HeightZoneGeoSerializer(zones, many=True).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        height_limit.zone_delete(zone=instance, by=self.request.user)


@extend_schema(tags=["analyses"])
class HeightCheckView(APIView):
    permission_classes = [AnalysisAccess]

    @extend_schema(request=HeightCheckSerializer, responses={201: AnalysisRunSerializer})
    def post(self, request):
        data = HeightCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data.get("zones")
        zones = None
        if ids:
            zones = list(HeightZone.objects.filter(pk__in=ids))
            missing = sorted(set(ids) - {z.pk for z in zones})
            if missing:
                raise DomainError(f"unknown zone id(s): {', '.join(map(str, missing))}", field="zones")
        run = height_limit.height_check(by=request.user, zones=zones, title=data.validated_data["title"])
        return Response(AnalysisRunSerializer(run).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["analyses"])
class FloodView(APIView):
    """淹没分析: the flooded area, depth image, buildings, dwellings and roads."""

    permission_classes = [AnalysisAccess]

    @extend_schema(request=FloodSerializer, responses={201: AnalysisRunSerializer})
    def post(self, request):
        from cim.services.analyses import flood

        data = FloodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        extent = tuple(v["extent"]) if v.get("extent") else flood.city_extent()
        run = flood.flood_run(by=request.user, extent=extent, level=v["level"], rise=v["rise"],
                              cell=v["cell"], obstacles=v["obstacles"], title=v["title"])
        return Response(AnalysisRunSerializer(run).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["analyses"])
class AnalysisRunViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AnalysisAccess]
    queryset = AnalysisRun.objects.select_related("created_by")

    def get_serializer_class(self):
        return AnalysisRunBriefSerializer if self.action == "list" else AnalysisRunSerializer

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, url_path="csv")
    def export_csv(self, request, pk=None):
        run = self.get_object()
        if run.kind == AnalysisKind.SUNLIGHT:
            from cim.services.analyses.sunlight import sunlight_csv

            text = sunlight_csv(run)
        elif run.kind == AnalysisKind.SCHEME_COMPARE:
            from cim.services.analyses.scheme_pdf import scheme_compare_csv

            text = scheme_compare_csv(run)
        else:
            text = height_limit.height_check_csv(run)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="analysis-{run.pk}.csv"'
        return response

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="depth")
    def depth_image(self, request, pk=None):
        """The flood's depth as a PNG to drape over its ``summary.image_bounds``."""
        from cim.services.analyses import flood

        run = self.get_object()
        path = flood.depth_image_path(run)
        if run.kind != "flood" or not path.exists():
            raise DomainError("this run has no depth image", field="id")
        return HttpResponse(path.read_bytes(), content_type="image/png")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="pdf")
    def export_pdf(self, request, pk=None):
        from cim.services.analyses.report_pdf import height_check_pdf, sunlight_pdf
        from cim.services.analyses.scheme_pdf import scheme_compare_pdf

        run = self.get_object()
        if run.kind == AnalysisKind.SUNLIGHT:
            pdf = sunlight_pdf(run)
        elif run.kind == AnalysisKind.SCHEME_COMPARE:
            pdf = scheme_compare_pdf(run)
        else:
            pdf = height_check_pdf(run)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="analysis-{run.pk}.pdf"'
        return response
