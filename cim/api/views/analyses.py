"""Planning analyses (``/api/cim/analyses/…``): planners run and save them,
commanders read them, the public nothing.

* ``height-zones/`` — height-control zones (GeoJSON); create one drawn in the
  viewer, import a FeatureCollection, delete.
* ``height-check/`` — run the height-limit check; the saved run is returned.
* ``flood/``, ``viewshed/``, ``line-of-sight/`` — run a flood, a viewshed, a line of
  sight; the saved run is returned.  (Long runs go through ``/api/jobs/`` as
  ``analysis.*`` jobs instead, with progress and cancel.)
* ``runs/`` — saved runs (commanders: flood runs only); ``runs/{id}/csv/`` and
  ``runs/{id}/pdf/`` the CSV and the printable report of a height check (its
  violations), a sunlight analysis (hours per calculation point) or a scheme
  comparison (a viewshed and a line of sight have a PDF report only);
  ``runs/{id}/image/`` the picture to drape (flood depth, viewshed),
  ``runs/{id}/raster/`` a viewshed as GeoTIFF.

Sunlight analyses (日照分析) are long: they run only as the job kind
``analysis.sunlight`` (``POST /api/jobs/``), whose result names the saved run.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cim import roles
from cim.api.serializers.analyses import (
    AnalysisRunBriefSerializer,
    AnalysisRunSerializer,
    FloodSerializer,
    HeightCheckSerializer,
    HeightZoneGeoSerializer,
    HeightZoneImportSerializer,
    HeightZoneInputSerializer,
    LineOfSightSerializer,
    ViewshedSerializer,
)
from cim.errors import DomainError
from cim.models import AnalysisRun, HeightZone
from cim.models.analyses import AnalysisKind
from cim.permissions import AnalysisAccess
from cim.services.analyses import height_limit

__all__ = ["AnalysisRunViewSet", "FloodView", "HeightCheckView", "HeightZoneViewSet", "LineOfSightView",
           "ViewshedView"]


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


class _RunAnalysisView(APIView):
    """POST the analysis's parameters (``body``: its serializer); the saved run comes back (201)."""

    permission_classes = [AnalysisAccess]
    body: type[serializers.Serializer]

    def run(self, user, params: dict) -> AnalysisRun:
        raise NotImplementedError

    def post(self, request):
        data = self.body(data=request.data)
        data.is_valid(raise_exception=True)
        run = self.run(request.user, data.validated_data)
        return Response(AnalysisRunSerializer(run).data, status=status.HTTP_201_CREATED)


def _post_schema(body):
    return extend_schema_view(post=extend_schema(request=body, responses={201: AnalysisRunSerializer}))


@extend_schema(tags=["analyses"])
@_post_schema(FloodSerializer)
class FloodView(_RunAnalysisView):
    """淹没分析: the flooded area, depth image, buildings, dwellings and roads."""

    body = FloodSerializer

    def run(self, user, v):
        from cim.services.analyses import flood

        extent = tuple(v["extent"]) if v.get("extent") else flood.city_extent()
        return flood.flood_run(by=user, extent=extent, level=v["level"], rise=v["rise"], cell=v["cell"],
                               obstacles=v["obstacles"], title=v["title"])


@extend_schema(tags=["analyses"])
@_post_schema(ViewshedSerializer)
class ViewshedView(_RunAnalysisView):
    """可视域分析: the visible and hidden cells around an observer, the visible area."""

    body = ViewshedSerializer

    def run(self, user, v):
        from cim.services.analyses import viewshed

        return viewshed.viewshed_run(by=user, **v)


@extend_schema(tags=["analyses"])
@_post_schema(LineOfSightSerializer)
class LineOfSightView(_RunAnalysisView):
    """通视分析: can the target be seen from the observer; if not, where it is blocked."""

    body = LineOfSightSerializer

    def run(self, user, v):
        from cim.services.analyses import viewshed

        return viewshed.line_of_sight_run(by=user, **v)


def _only_for(run: AnalysisRun, *kinds: str, what: str) -> None:
    """A 400 naming the run when an export does not apply to its kind."""
    if run.kind not in kinds:
        raise DomainError(f"{what} applies to {', '.join(kinds)} runs, not to a {run.kind} run", field="id")


@extend_schema(tags=["analyses"])
class AnalysisRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Saved runs.  Planners (and admins) see every run; commanders see the flood
    results they decide with, nothing else."""

    permission_classes = [AnalysisAccess]

    def get_queryset(self):
        runs = AnalysisRun.objects.select_related("created_by")
        if not roles.has_role(self.request.user, *AnalysisAccess.write_roles):
            runs = runs.filter(kind=AnalysisKind.FLOOD)
        return runs

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
            _only_for(run, AnalysisKind.HEIGHT_LIMIT, what="the CSV export")
            text = height_limit.height_check_csv(run)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="analysis-{run.pk}.csv"'
        return response

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="depth")
    def depth_image(self, request, pk=None):
        """The flood's depth as a PNG to drape over its ``summary.image_bounds``."""
        return self._image(self.get_object(), AnalysisKind.FLOOD)

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="image")
    def image(self, request, pk=None):
        """The run's picture to drape over its ``summary.image_bounds`` (a flood's depth,
        a viewshed's visible and hidden cells)."""
        return self._image(self.get_object(), AnalysisKind.FLOOD, AnalysisKind.VIEWSHED)

    def _image(self, run: AnalysisRun, *kinds: str) -> HttpResponse:
        from cim.services.analyses import flood, viewshed

        _only_for(run, *kinds, what="an image")
        path = (flood.depth_image_path(run) if run.kind == AnalysisKind.FLOOD
                else viewshed.viewshed_image_path(run))
        if not path.exists():
            raise DomainError("this run's image is missing", field="id")
        return HttpResponse(path.read_bytes(), content_type="image/png")

    @extend_schema(responses={(200, "image/tiff"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="raster")
    def raster(self, request, pk=None):
        """A viewshed as GeoTIFF (EPSG:4544; 0 outside, 1 hidden, 2 visible)."""
        from cim.services.analyses import viewshed

        run = self.get_object()
        _only_for(run, AnalysisKind.VIEWSHED, what="the GeoTIFF export")
        path = viewshed.viewshed_raster_path(run)
        if not path.exists():
            raise DomainError("this run's raster is missing", field="id")
        response = HttpResponse(path.read_bytes(), content_type="image/tiff")
        response["Content-Disposition"] = f'attachment; filename="viewshed-{run.pk}.tif"'
        return response

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, url_path="pdf")
    def export_pdf(self, request, pk=None):
        from cim.services.analyses.report_pdf import height_check_pdf, sunlight_pdf
        from cim.services.analyses.scheme_pdf import scheme_compare_pdf
        from cim.services.analyses.viewshed_pdf import line_of_sight_pdf, viewshed_pdf

        run = self.get_object()
        if run.kind == AnalysisKind.SUNLIGHT:
            pdf = sunlight_pdf(run)
        elif run.kind == AnalysisKind.SCHEME_COMPARE:
            pdf = scheme_compare_pdf(run)
        elif run.kind == AnalysisKind.VIEWSHED:
            pdf = viewshed_pdf(run)
        elif run.kind == AnalysisKind.LINE_OF_SIGHT:
            pdf = line_of_sight_pdf(run)
        else:
            _only_for(run, AnalysisKind.HEIGHT_LIMIT, what="the PDF report")
            pdf = height_check_pdf(run)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="analysis-{run.pk}.pdf"'
        return response
