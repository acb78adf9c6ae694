"""The map layers of the city model under ``/api/cim/``: admin areas,
buildings, roads, service points; import runs; ground height."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cim import selectors
from cim.api.serializers.city import (
    AdminAreaGeoSerializer,
    AdminAreaSerializer,
    BuildingGeoSerializer,
    BuildingSerializer,
    ImportRunSerializer,
    RoadSegmentGeoSerializer,
    ServicePointGeoSerializer,
)
from cim.choices import AdminLevel, BuildingUse, RoadClass, ServiceCategory
from cim.models import AdminArea, Building, ImportRun
from cim.permissions import AdminOnly, PlannerWrite, PublicRead, StaffRead
from cim.services.buildings import building_update
from config.common.filters import parse_bbox, parse_float
from config.common.pagination import GeoPagination

BBOX_PARAM = OpenApiParameter(
    "bbox", OpenApiTypes.STR, description="minLon,minLat,maxLon,maxLat (WGS 84)"
)


def _choice(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in choices.values:
        raise ValidationError({name: f"unknown value {value!r}; one of {', '.join(choices.values)}"})
    return value


@extend_schema(tags=["cim"])
class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative areas (public).  ``/tree/`` gives the nested hierarchy,
    ``/geojson/`` the boundaries."""

    permission_classes = [PublicRead]
    serializer_class = AdminAreaSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{6,12}"

    def get_queryset(self):
        qs = AdminArea.objects.select_related("parent").order_by("code")
        level = _choice(self.request, "level", AdminLevel)
        if level:
            qs = qs.filter(level=level)
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent__code=parent)
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("level", OpenApiTypes.STR, enum=AdminLevel.values),
                    OpenApiParameter("parent", OpenApiTypes.STR)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("max_level", OpenApiTypes.STR, enum=AdminLevel.values)],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False)
    def tree(self, request):
        max_level = _choice(request, "max_level", AdminLevel)
        return Response(selectors.admin_area_tree(max_level=max_level))

    @extend_schema(
        parameters=[OpenApiParameter("level", OpenApiTypes.STR, enum=AdminLevel.values),
                    OpenApiParameter("parent", OpenApiTypes.STR)],
        responses={200: AdminAreaGeoSerializer(many=True)},
    )
    @action(detail=False, pagination_class=GeoPagination, serializer_class=AdminAreaGeoSerializer)
    def geojson(self, request):
        qs = self.get_queryset().filter(boundary__isnull=False)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AdminAreaGeoSerializer(page, many=True).data)


@extend_schema(tags=["cim"])
class BuildingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Buildings: a paginated GeoJSON FeatureCollection with a bbox filter;
    detail and attribute edits (planners, audited)."""

    permission_classes = [PlannerWrite]
    pagination_class = GeoPagination
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        if self.action != "list":
            return Building.objects.select_related("admin_area")
        return selectors.buildings_in(
            bbox=parse_bbox(self.request.query_params.get("bbox")),
            use=_choice(self.request, "use", BuildingUse),
            admin_code=self.request.query_params.get("admin_code") or None,
        )

    def get_serializer_class(self):
        return BuildingGeoSerializer if self.action == "list" else BuildingSerializer

    @extend_schema(parameters=[
        BBOX_PARAM,
        OpenApiParameter("use", OpenApiTypes.STR, enum=BuildingUse.values),
        OpenApiParameter("admin_code", OpenApiTypes.STR),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_update(self, serializer):
        building = building_update(
            building=serializer.instance, data=serializer.validated_data, by=self.request.user
        )
        serializer.instance = building


@extend_schema(tags=["cim"])
class RoadViewSet(viewsets.ReadOnlyModelViewSet):
    """Road segments as GeoJSON (staff)."""

    permission_classes = [StaffRead]
    pagination_class = GeoPagination
    serializer_class = RoadSegmentGeoSerializer

    def get_queryset(self):
        return selectors.roads_in(
            bbox=parse_bbox(self.request.query_params.get("bbox")) if self.action == "list" else None,
            road_class=_choice(self.request, "road_class", RoadClass) if self.action == "list" else None,
        )

    @extend_schema(parameters=[BBOX_PARAM,
                               OpenApiParameter("road_class", OpenApiTypes.STR, enum=RoadClass.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["cim"])
class ServicePointViewSet(viewsets.ReadOnlyModelViewSet):
    """Service points (public information): halls, hospitals, stations…"""

    permission_classes = [PublicRead]
    pagination_class = GeoPagination
    serializer_class = ServicePointGeoSerializer

    def get_queryset(self):
        if self.action != "list":
            return selectors.service_points_in()
        return selectors.service_points_in(
            bbox=parse_bbox(self.request.query_params.get("bbox")),
            category=_choice(self.request, "category", ServiceCategory),
        )

    @extend_schema(parameters=[BBOX_PARAM,
                               OpenApiParameter("category", OpenApiTypes.STR,
                                                enum=ServiceCategory.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["cim"])
class ImportRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Import runs with their counts and rejections (admins)."""

    permission_classes = [AdminOnly]
    serializer_class = ImportRunSerializer
    queryset = ImportRun.objects.all()

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True)
    def rejections(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(run.rejections.all())
        data = [{"layer": r.layer, "source_id": r.source_id, "reason": r.reason, "detail": r.detail}
                for r in page]
        return self.get_paginated_response(data)


class TerrainHeightView(APIView):
    """Ground height (orthometric and ellipsoidal) at a point, from the DEMs."""

    permission_classes = [PublicRead]

    @extend_schema(
        tags=["cim"],
        parameters=[OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True),
                    OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True)],
        responses={200: inline_serializer("TerrainHeight", {
            "lon": serializers.FloatField(), "lat": serializers.FloatField(),
            "height": serializers.FloatField(allow_null=True),
            "ellipsoidal_height": serializers.FloatField(allow_null=True),
            "dem": serializers.CharField(allow_null=True)})},
    )
    def get(self, request):
        from cim.services.terrain import ground_height

        lon = parse_float(request.query_params.get("lon"), field="lon", lo=-180, hi=180)
        lat = parse_float(request.query_params.get("lat"), field="lat", lo=-90, hi=90)
        sample = ground_height(lon, lat)
        return Response({
            "lon": lon, "lat": lat,
            "height": sample.height if sample else None,
            "ellipsoidal_height": sample.ellipsoidal_height if sample else None,
            "dem": sample.dem_name if sample else None,
        })
