"""Agencies, units (registry, status, position, map), cameras and the list
of assignments."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.common.pagination import GeoPagination
from emergency import selectors, services
from emergency.api.common import ERRORS, reveal_asked, reveal_parameter
from emergency.api.live import PositionThrottle
from emergency.api.queries import AssignmentQuery, MutualAidQuery, UnitBoardQuery, UnitQuery
from emergency.api.serializers import (
    AgencySerializer,
    AssignmentSerializer,
    CameraGeoSerializer,
    CameraSerializer,
    CameraStreamSerializer,
    MutualAidDecisionSerializer,
    MutualAidSerializer,
    PositionSerializer,
    UnitBoardSerializer,
    UnitCrewSerializer,
    UnitGeoSerializer,
    UnitSerializer,
    UnitStatusSerializer,
)
from emergency.choices import MutualAidStatus, UnitStatus, UnitType
from emergency.live.ingest import position_report
from emergency.models import Agency, Camera
from emergency.permissions import (
    CommanderWrite,
    DispatcherWrite,
    IncidentAccess,
    RegistryWrite,
    UnitRegistry,
    UnitReport,
)
from emergency.services.dispatch_scope import mutual_aid_approver_required

__all__ = ["AgencyViewSet", "AssignmentViewSet", "CameraViewSet", "UnitViewSet"]


class _RegistryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Create/edit through the registry service (audited); no deletes (records
    are referenced by history)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    save_service = None

    def _data(self, serializer) -> dict:
        return dict(serializer.validated_data)

    def perform_create(self, serializer):
        serializer.instance = type(self).save_service(by=self.request.user, **self._data(serializer))

    def perform_update(self, serializer):
        serializer.instance = type(self).save_service(by=self.request.user, instance=serializer.instance,
                                                      **self._data(serializer))


class _PlacedRegistryViewSet(_RegistryViewSet):
    """A registry of things with a position, written as ``lon``/``lat`` (depots, cameras)."""

    def _data(self, serializer) -> dict:
        data = dict(serializer.validated_data)
        if "lon" in data:
            data["geom"] = Point(data.pop("lon"), data.pop("lat"), srid=4326)
        return data


@extend_schema(tags=["emergency"])
class AgencyViewSet(_RegistryViewSet):
    """Response agencies.  Read: admin, commander, dispatcher; write: admin."""

    permission_classes = [RegistryWrite]
    serializer_class = AgencySerializer
    queryset = Agency.objects.select_related("admin_area").order_by("code")
    save_service = staticmethod(services.agency_save)


@extend_schema(tags=["emergency"])
class UnitViewSet(_RegistryViewSet):
    """Units.  Read: admin, commander, dispatcher, responder (own units only);
    registry edits: admin.  ``/status/`` and ``/position/``: the control
    room for any unit, a responder for their own unit."""

    permission_classes = [UnitRegistry]
    serializer_class = UnitSerializer
    save_service = staticmethod(services.unit_save)

    def get_queryset(self):
        if self.action not in ("list", "geojson"):
            return selectors.units_visible_to(self.request.user)
        return selectors.units_visible_to(self.request.user, **UnitQuery.read(self.request))

    @extend_schema(parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=UnitStatus.values),
        OpenApiParameter("unit_type", OpenApiTypes.STR, enum=UnitType.values),
        OpenApiParameter("agency", OpenApiTypes.INT), OpenApiParameter("bbox", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=UnitStatus.values),
        OpenApiParameter("unit_type", OpenApiTypes.STR, enum=UnitType.values),
        OpenApiParameter("agency", OpenApiTypes.INT), OpenApiParameter("bbox", OpenApiTypes.STR)],
        responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, pagination_class=GeoPagination)
    def geojson(self, request):
        """Units at their last position (or station) as a GeoJSON
        FeatureCollection (paginated like the other map layers)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response({"features": [UnitGeoSerializer(u).data for u in page]})

    @extend_schema(request=UnitStatusSerializer, responses={200: UnitSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[UnitReport])
    def status(self, request, pk=None):
        """Report a new status (en_route, on_scene, returning, available, out_of_service)."""
        unit = self.get_object()
        s = UnitStatusSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        unit = services.unit_set_status(unit=unit, by=request.user, **s.validated_data)
        return Response(UnitSerializer(unit).data)

    @extend_schema(parameters=[OpenApiParameter("unit_type", OpenApiTypes.STR, enum=UnitType.values),
                               OpenApiParameter("agency", OpenApiTypes.INT)],
                   responses={200: UnitBoardSerializer(many=True)})
    @action(detail=False, pagination_class=None, permission_classes=[CommanderWrite])
    def board(self, request):
        """The units back office's roster and status board (control room):
        every unit with its crew, member accounts, status, the reason it is
        out of service and the incident it serves."""
        query = UnitBoardQuery.read(request)
        rows = selectors.unit_board(request.user, unit_type=query["unit_type"], agency=query["agency"])
        return Response(UnitBoardSerializer(rows[:5000], many=True).data)

    @extend_schema(request=UnitCrewSerializer, responses={200: UnitBoardSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[CommanderWrite])
    def crew(self, request, pk=None):
        """Replace the unit's crew list (commanders and admins)."""
        unit = self.get_object()
        s = UnitCrewSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        unit = services.unit_set_crew(unit=unit, by=request.user, **s.validated_data)
        row = selectors.unit_board(request.user).get(pk=unit.pk)
        return Response(UnitBoardSerializer(row).data)

    @extend_schema(request=PositionSerializer, responses={200: UnitSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[UnitReport],
            throttle_classes=[PositionThrottle])
    def position(self, request, pk=None):
        """Report one position fix (AVL): a batch of one through the ingest
        path (``POST /positions/`` takes many); the unit as it now stands."""
        unit = self.get_object()
        s = PositionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        fix = position_report(unit=unit.pk, by=request.user, lon=s.validated_data["lon"],
                              lat=s.validated_data["lat"], at=s.validated_data.get("at"))
        unit.refresh_from_db(fields=["last_position", "last_position_at", "status"])
        if fix is not None:  # the unit's row may take it a moment later (the write interval)
            unit.last_position, unit.last_position_at = Point(fix.lon, fix.lat, srid=4326), fix.at
        return Response(UnitSerializer(unit).data)


@extend_schema(tags=["emergency"])
class CameraViewSet(_PlacedRegistryViewSet):
    """Cameras with positions and stream URLs.  Read: admin, commander,
    dispatcher; write: admin.  Lists and answers show the addresses masked
    (``scheme://host/…``); ``GET cameras/{id}/?reveal=stream`` shows them
    whole and writes an audit row; ``…/stream/`` opens the player (audited)."""

    permission_classes = [RegistryWrite]
    serializer_class = CameraSerializer
    queryset = Camera.objects.order_by("code")
    save_service = staticmethod(services.camera_save)

    @extend_schema(parameters=[reveal_parameter("stream", "show the stream and snapshot addresses whole "
                                                          "(audited each time)")],
                   responses={200: CameraSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        """One camera; its addresses masked unless ``?reveal=stream`` (audited)."""
        camera = self.get_object()
        reveal = reveal_asked(request, "stream")
        if reveal:
            services.camera_stream_reveal(camera=camera, by=request.user)
        return Response(CameraSerializer(camera, context={"reveal_stream": reveal}).data)

    @extend_schema(responses={200: CameraGeoSerializer(many=True)})
    @action(detail=False, pagination_class=GeoPagination, serializer_class=CameraGeoSerializer)
    def geojson(self, request):
        """Cameras as GeoJSON (stream addresses masked)."""
        page = self.paginate_queryset(Camera.objects.order_by("code"))
        return self.get_paginated_response(CameraGeoSerializer(page, many=True).data)

    @extend_schema(responses={200: CameraStreamSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def stream(self, request, pk=None):
        """Open one camera's stream (audited once per user, camera and 10 minutes)."""
        camera = self.get_object()
        services.camera_streams_open(cameras=[camera], by=request.user, context="camera")
        return Response(CameraStreamSerializer(camera).data)


@extend_schema(tags=["emergency"])
class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Assignments with routes.  Read: admin, commander, dispatcher; a
    responder sees the assignments of their own units."""

    permission_classes = [IncidentAccess]
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        active = AssignmentQuery.read(self.request)["active"] if self.action == "list" else None
        return selectors.assignments_visible_to(self.request.user, active=active)

    @extend_schema(parameters=[OpenApiParameter("active", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["emergency"])
class MutualAidViewSet(viewsets.ReadOnlyModelViewSet):
    """Mutual-aid requests (跨区支援) across incidents: a city-level user
    sees all (the pending ones to decide), a district user those of their
    incidents and those for their units.  Read: the control room; deciding:
    city-level commanders and dispatchers (others 403)."""

    permission_classes = [DispatcherWrite]
    serializer_class = MutualAidSerializer

    def get_queryset(self):
        status_ = MutualAidQuery.read(self.request)["status"] if self.action == "list" else None
        return selectors.mutual_aid_visible_to(self.request.user, status=status_)

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=MutualAidStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MutualAidDecisionSerializer, responses={200: MutualAidSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Approve (the unit is assigned to the incident at once) or decline
        (with a note) a pending request.  Out of scope: 404; not city-level:
        403 (before the body is read); a bad body: 400."""
        aid = self.get_object()
        mutual_aid_approver_required(by=request.user, request=aid)
        s = MutualAidDecisionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        decided = services.mutual_aid_decide(request=aid, by=request.user, **s.validated_data)
        return Response(MutualAidSerializer(decided).data)
