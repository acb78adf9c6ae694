"""Plans, tasks, road closures, control zones, public alerts (CAP) and the
event log."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.common.pagination import GeoPagination
from emergency import selectors, services
from emergency.api.common import ERRORS, incident_or_400
from emergency.api.queries import ClosureQuery, EventQuery, PointQuery, ZoneQuery
from emergency.api.serializers import (
    AlertCancelSerializer,
    AlertIssueSerializer,
    AlertSerializer,
    ClosureCreateSerializer,
    ClosureSerializer,
    EventSerializer,
    NearestSegmentSerializer,
    PlanSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
    ZoneCreateSerializer,
    ZoneGeoSerializer,
)
from emergency.errors import NotFound
from emergency.models import Alert, Plan
from emergency.permissions import CommanderWrite, DispatcherWrite, IncidentAccess
from emergency.services.zones import zone_contents

__all__ = ["AlertViewSet", "ClosureViewSet", "EventViewSet", "PlanViewSet", "TaskViewSet", "ZoneViewSet"]


@extend_schema(tags=["emergency"])
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Emergency plans (预案).  Read: admin, commander, dispatcher; write:
    admin, commander.  PUT/PATCH replace the requirements given."""

    permission_classes = [CommanderWrite]
    serializer_class = PlanSerializer
    queryset = Plan.objects.prefetch_related("unit_requirements", "supply_requirements",
                                             "notify_agencies").order_by("incident_type", "level", "code")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        if instance is not None:  # a partial update keeps what was not sent
            current = PlanSerializer(instance).data
            for key in ("code", "name", "incident_type", "level", "description", "checklist", "active",
                        "units", "notify_agencies"):
                data.setdefault(key, current[key])
            data.setdefault("supplies", {int(k): v for k, v in current["supplies"].items()})
        return services.plan_save(by=self.request.user, plan=instance, **data)

    def perform_create(self, serializer):
        serializer.instance = self._save(serializer)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer, serializer.instance)


@extend_schema(tags=["emergency"])
class TaskViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Tasks of incidents; PATCH ticks one.  Admin, commander, dispatcher."""

    permission_classes = [DispatcherWrite]
    serializer_class = TaskSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.tasks_visible_to(self.request.user)

    @extend_schema(request=TaskUpdateSerializer, responses={200: TaskSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        task = self.get_object()
        s = TaskUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        task = services.task_set_done(task=task, done=s.validated_data["done"], by=request.user)
        return Response(TaskSerializer(task).data)


@extend_schema(tags=["emergency"])
class ClosureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Temporary road closures, honoured by routing from the next query.
    Read and write: admin, commander, dispatcher."""

    permission_classes = [DispatcherWrite]
    serializer_class = ClosureSerializer

    def get_queryset(self):
        if self.action == "list" and ClosureQuery.read(self.request)["in_force"]:
            return selectors.closures_in_force(self.request.user)
        return selectors.closures_visible_to(self.request.user)

    @extend_schema(parameters=[OpenApiParameter("in_force", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ClosureCreateSerializer, responses={201: ClosureSerializer, **ERRORS})
    def create(self, request):
        s = ClosureCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        incident = incident_or_400(request.user, data["incident"]) if data.get("incident") else None
        data.pop("incident", None)
        closure = services.closure_create(by=request.user, incident=incident, **data)
        return Response(ClosureSerializer(closure).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ClosureSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        """Reopen the roads (or call off a scheduled closure)."""
        closure = services.closure_lift(closure=self.get_object(), by=request.user)
        return Response(ClosureSerializer(closure).data)

    @extend_schema(responses={200: ClosureSerializer(many=True)})
    @action(detail=False, pagination_class=None, permission_classes=[IncidentAccess])
    def current(self, request):
        """Closures in force and scheduled (not lifted, not ended), for the
        console's closure panel and map layer (unpaginated); responders read
        them too (their console draws closed roads)."""
        rows = selectors.closures_current(request.user)[:1000]
        return Response(ClosureSerializer(rows, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True),
                               OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True)],
                   responses={200: NearestSegmentSerializer, **ERRORS})
    @action(detail=False, url_path="nearest-segment")
    def nearest_segment(self, request):
        """The road segment nearest a point (within 80 m): clicking a road on
        the map to close it."""
        point = PointQuery.read(request)
        segment = selectors.road_segment_nearest(Point(point["lon"], point["lat"], srid=4326))
        if segment is None:
            raise NotFound("no road within 80 m of this point", field="lon")
        return Response(NearestSegmentSerializer({
            "id": segment.pk, "name": segment.name, "road_class": segment.road_class,
            "distance_m": round(segment.distance.m, 1),
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in segment.geom.coords]},
        }).data)


@extend_schema(tags=["emergency"])
class ZoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Control zones as GeoJSON with their counts.  Read: admin, commander,
    dispatcher; draw, generate and lift: admin, commander."""

    permission_classes = [CommanderWrite]
    serializer_class = ZoneGeoSerializer
    pagination_class = GeoPagination

    def get_queryset(self):
        qs = selectors.zones_visible_to(self.request.user)
        if self.action == "list":
            query = ZoneQuery.read(self.request)
            if query["incident"]:
                qs = qs.filter(incident_id=query["incident"])
            if query["active"]:
                qs = qs.filter(status="active")
        return qs

    @extend_schema(parameters=[OpenApiParameter("incident", OpenApiTypes.INT),
                               OpenApiParameter("active", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ZoneCreateSerializer, responses={201: ZoneGeoSerializer, **ERRORS})
    def create(self, request):
        s = ZoneCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        incident = incident_or_400(request.user, data["incident"]) if data.get("incident") else None
        zone = services.zone_create(by=request.user, tier=data["tier"], name=data["name"], incident=incident,
                                    geom=data.get("geometry"), addresses=data.get("addresses") or None,
                                    buffer_m=data.get("buffer_m"))
        return Response(ZoneGeoSerializer(zone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ZoneGeoSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        """Lift the zone's measures."""
        zone = services.zone_lift(zone=self.get_object(), by=request.user)
        return Response(ZoneGeoSerializer(zone).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def contents(self, request, pk=None):
        """Ids of the buildings and addresses inside the zone now, and the
        people estimate."""
        return Response(zone_contents(self.get_object().geom))


@extend_schema(tags=["emergency"])
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public alerts and their CAP 1.2 documents.  Read: admin, commander,
    dispatcher; issue and cancel: admin, commander."""

    permission_classes = [CommanderWrite]
    serializer_class = AlertSerializer
    queryset = Alert.objects.select_related("incident").order_by("-sent", "-id")

    @extend_schema(request=AlertIssueSerializer, responses={201: AlertSerializer, **ERRORS})
    def create(self, request):
        s = AlertIssueSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        incident_id = data.pop("incident", None)
        incident = incident_or_400(request.user, incident_id, "incident") if incident_id else None
        alert = services.alert_issue(by=request.user, incident=incident, **data)
        return Response(AlertSerializer(alert).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/cap+xml"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def cap(self, request, pk=None):
        """The CAP 1.2 XML document as issued."""
        alert = self.get_object()
        return HttpResponse(alert.xml.encode(), content_type="application/cap+xml; charset=utf-8")

    @extend_schema(request=AlertCancelSerializer, responses={201: AlertSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Issue the CAP Cancel message for this alert."""
        s = AlertCancelSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        cancel = services.alert_cancel(alert=self.get_object(), by=request.user, **s.validated_data)
        return Response(AlertSerializer(cancel).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["emergency"])
class EventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The event log, for a console resuming after a gap: events with an id
    above ``after``, oldest first (at most 500).  Admin, commander, dispatcher."""

    permission_classes = [DispatcherWrite]
    serializer_class = EventSerializer
    pagination_class = None

    def get_queryset(self):
        after = EventQuery.read(self.request)["after"]
        return selectors.events_visible_to(self.request.user, after)

    @extend_schema(parameters=[OpenApiParameter("after", OpenApiTypes.INT,
                                                description="last event id the console has")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
