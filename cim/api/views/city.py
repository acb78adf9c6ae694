"""The map layers of the city model under ``/api/cim/``: admin areas,
buildings, roads, service points; import runs; ground height."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cim import selectors
from cim.api.filters import AdminAreaFilter, BuildingFilter, RoadFilter, ServicePointFilter
from cim.api.serializers.city import (
    AdminAreaGeoSerializer,
    AdminAreaSerializer,
    BuildingGeoSerializer,
    BuildingSerializer,
    ImportRunSerializer,
    RoadSegmentGeoSerializer,
    ServicePointGeoSerializer,
)
from cim.api.serializers.queries import AdminTreeQuery, PointQuery
from cim.api.views.layers import MapLayerViewSet
from cim.models import AdminArea, ImportRun
from cim.permissions import AdminOnly, PlannerWrite, PublicRead, StaffRead
from cim.services.buildings import building_update
from config.common.pagination import GeoPagination


@extend_schema(tags=["cim"])
class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative areas (public).  ``/tree/`` gives the nested hierarchy,
    ``/geojson/`` the boundaries."""

    permission_classes = [PublicRead]
    serializer_class = AdminAreaSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{6,12}"

    filter_backends = [DjangoFilterBackend]
    filterset_class = AdminAreaFilter
    queryset = AdminArea.objects.select_related("parent").order_by("code")

    @extend_schema(parameters=[AdminTreeQuery], responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, filter_backends=[])
    def tree(self, request):
        query = AdminTreeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.admin_area_tree(max_level=query.validated_data.get("max_level")))

    @extend_schema(responses={200: AdminAreaGeoSerializer(many=True)})
    @action(detail=False, pagination_class=GeoPagination, serializer_class=AdminAreaGeoSerializer)
    def geojson(self, request):
        qs = self.filter_queryset(self.get_queryset()).filter(boundary__isnull=False)
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
    filter_backends = [DjangoFilterBackend]
    filterset_class = BuildingFilter

    def get_queryset(self):
        return selectors.buildings_in()

    def get_serializer_class(self):
        return BuildingGeoSerializer if self.action == "list" else BuildingSerializer

    def perform_update(self, serializer):
        building = building_update(
            building=serializer.instance, data=serializer.validated_data, by=self.request.user,
            reason=self.request.data.get("reason"),
        )
        serializer.instance = building


@extend_schema(tags=["cim"])
class RoadViewSet(MapLayerViewSet):
    """Road segments as GeoJSON (staff)."""

    permission_classes = [StaffRead]
    serializer_class = RoadSegmentGeoSerializer
    filterset_class = RoadFilter
    selector = staticmethod(selectors.roads_in)


@extend_schema(tags=["cim"])
class ServicePointViewSet(MapLayerViewSet):
    """Service points (public information): halls, hospitals, stations…"""

    permission_classes = [PublicRead]
    serializer_class = ServicePointGeoSerializer
    filterset_class = ServicePointFilter
    selector = staticmethod(selectors.service_points_in)


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
        parameters=[PointQuery],
        responses={200: inline_serializer("TerrainHeight", {
            "lon": serializers.FloatField(), "lat": serializers.FloatField(),
            "height": serializers.FloatField(allow_null=True),
            "ellipsoidal_height": serializers.FloatField(allow_null=True),
            "dem": serializers.CharField(allow_null=True)})},
    )
    def get(self, request):
        from cim.services.terrain import ground_height

        query = PointQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        lon, lat = query.validated_data["lon"], query.validated_data["lat"]
        sample = ground_height(lon, lat)
        return Response({
            "lon": lon, "lat": lat,
            "height": sample.height if sample else None,
            "ellipsoidal_height": sample.ellipsoidal_height if sample else None,
            "dem": sample.dem_name if sample else None,
        })
