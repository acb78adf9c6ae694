"""Incidents: list/map, take, edit, life cycle, level, merge, timeline,
attachments, cameras.  Roles are in :mod:`emergency.permissions`."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cim import roles
from cim.models import Address
from config.common.pagination import GeoPagination
from emergency import selectors, services
from emergency.api.common import ERRORS, get_or_400, incident_or_400
from emergency.api.queries import IncidentQuery, VideoWallQuery
from emergency.api.serializers import (
    AttachmentSerializer,
    CameraSerializer,
    CameraStreamSerializer,
    IncidentCreateSerializer,
    IncidentGeoSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    LevelSerializer,
    MergeCandidateSerializer,
    MergeSerializer,
    NoteSerializer,
    SplitSerializer,
    TimelineEntrySerializer,
    TransitionSerializer,
)
from emergency.api.views.incident_dispatch import IncidentDispatchMixin
from emergency.choices import IncidentLevel, IncidentStatus, IncidentType
from emergency.conf import emergency_settings
from emergency.errors import DomainError
from emergency.models import Camera
from emergency.permissions import CALLER_READERS, CommanderWrite, DispatcherWrite, IncidentAccess
from emergency.services.incidents import incident_caller_reveal

__all__ = ["IncidentViewSet"]

LIST_PARAMS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=IncidentStatus.values),
    OpenApiParameter("active", OpenApiTypes.BOOL, description="only open (true) or finished (false)"),
    OpenApiParameter("level", OpenApiTypes.STR, enum=IncidentLevel.values),
    OpenApiParameter("incident_type", OpenApiTypes.STR, enum=IncidentType.values),
    OpenApiParameter("bbox", OpenApiTypes.STR, description="minLon,minLat,maxLon,maxLat (WGS 84)"),
]


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    voice = serializers.BooleanField(required=False, default=False,
                                     help_text="a push-to-talk voice message to the incident's units")


class CameraLinkSerializer(serializers.Serializer):
    camera = serializers.IntegerField(min_value=1)


def _location_kwargs(data: dict) -> dict:
    out = {}
    if "lon" in data:
        out["location"] = Point(data["lon"], data["lat"], srid=4326)
    if "address" in data:
        out["address"] = get_or_400(Address, data["address"], "address") if data["address"] else None
    if "area" in data:
        out["area"] = data["area"]
    return out


@extend_schema(tags=["emergency"])
class IncidentViewSet(IncidentDispatchMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Incidents.  Read: admin, commander, dispatcher, responder (only the
    incidents their units were sent to).  Write: admin, commander,
    dispatcher; the level only commanders and admins.  Caller name and
    phone are masked; ``?reveal=caller`` shows them to the control room and
    is audited."""

    permission_classes = [IncidentAccess]
    serializer_class = IncidentSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if self.action not in ("list", "geojson"):
            return selectors.incidents_visible_to(self.request.user)
        return selectors.incidents_visible_to(self.request.user, **IncidentQuery.read(self.request))

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter(
        "reveal", OpenApiTypes.STR, enum=["caller"],
        description="show the caller's name and phone unmasked (control room only; audited)")],
        responses={200: IncidentSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        reveal = request.query_params.get("reveal")
        if reveal not in (None, "", "caller"):
            raise DomainError("reveal must be 'caller'", field="reveal")
        if reveal == "caller":
            if not roles.has_role(request.user, *CALLER_READERS):
                raise PermissionDenied("your role may not read callers' personal data")
            incident_caller_reveal(incident=incident, by=request.user)
        return Response(IncidentSerializer(incident, context={"reveal_caller": reveal == "caller"}).data)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer, **ERRORS})
    def create(self, request):
        s = IncidentCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        loc = _location_kwargs(data)
        incident = services.incident_create(
            title=data["title"], incident_type=data["incident_type"], category=data.get("category"),
            level=data["level"], source=data["source"], description=data["description"],
            caller_name=data["caller_name"], caller_phone=data["caller_phone"],
            external_ref=data["external_ref"], reported_at=data.get("reported_at"), by=request.user,
            location=loc.get("location"), address=loc.get("address"), area=loc.get("area"),
        )
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentUpdateSerializer, responses={200: IncidentSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        incident = self.get_object()
        s = IncidentUpdateSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        data = {k: v for k, v in s.validated_data.items() if k not in ("lon", "lat", "address", "area")}
        data.update(_location_kwargs(s.validated_data))
        incident = services.incident_update(incident=incident, data=data, by=request.user)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(parameters=LIST_PARAMS, responses={200: IncidentGeoSerializer(many=True)})
    @action(detail=False, pagination_class=GeoPagination, serializer_class=IncidentGeoSerializer)
    def geojson(self, request):
        """Incidents as a GeoJSON FeatureCollection for the map."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(IncidentGeoSerializer(page, many=True).data)

    @extend_schema(request=TransitionSerializer, responses={200: IncidentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move along received → verified → dispatched → on scene → contained
        → closed (with a disposition), or cancel (with a reason)."""
        incident = self.get_object()
        s = TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = services.incident_transition(incident=incident, by=request.user, **s.validated_data)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=LevelSerializer, responses={200: IncidentSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[CommanderWrite])
    def level(self, request, pk=None):
        """Change the response level (commanders, admins; logged with the reason)."""
        incident = self.get_object()
        s = LevelSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = services.incident_set_level(incident=incident, by=request.user, **s.validated_data)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=MergeSerializer, responses={200: IncidentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Mark this incident a duplicate of ``into``."""
        incident = self.get_object()
        s = MergeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        into = incident_or_400(request.user, s.validated_data["into"], "into")
        incident = services.incident_merge(duplicate=incident, into=into, by=request.user,
                                           reason=s.validated_data["reason"])
        return Response(IncidentSerializer(incident).data)

    @extend_schema(parameters=[OpenApiParameter(
        "q", OpenApiTypes.STR, description="number or title; default: open incidents within 3 km")],
                   responses={200: MergeCandidateSerializer(many=True), **ERRORS})
    @action(detail=True, url_path="merge-candidates", pagination_class=None)
    def merge_candidates(self, request, pk=None):
        """Open incidents this one may be merged into: nearby, or found by
        number or title; nearest first."""
        incident = self.get_object()
        q = (request.query_params.get("q") or "").strip()[:100]
        rows = selectors.incidents_merge_candidates(request.user, incident, q=q)
        return Response(MergeCandidateSerializer(rows, many=True).data)

    @extend_schema(request=SplitSerializer, responses={201: IncidentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split a new incident off this one: the selected caller notes and
        media move to it; it links back here (``split_from``)."""
        incident = self.get_object()
        s = SplitSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        lon, lat = data.pop("lon", None), data.pop("lat", None)
        new = services.incident_split(
            incident=incident, by=request.user,
            location=Point(lon, lat, srid=4326) if lon is not None else None, **data)
        return Response(IncidentSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: TimelineEntrySerializer(many=True)})
    @extend_schema(methods=["POST"], request=NoteSerializer,
                   responses={201: TimelineEntrySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def timeline(self, request, pk=None):
        """The incident's timeline; POST adds a note."""
        incident = self.get_object()
        if request.method == "POST":
            s = NoteSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            services.incident_add_note(incident=incident, text=s.validated_data["text"], by=request.user)
        data = TimelineEntrySerializer(incident.timeline.all(), many=True).data
        return Response(data, status=status.HTTP_201_CREATED if request.method == "POST" else 200)

    @extend_schema(methods=["GET"], responses={200: AttachmentSerializer(many=True)})
    @extend_schema(methods=["POST"], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Photos, video and voice files; POST (multipart, field ``file``) uploads one."""
        incident = self.get_object()
        if request.method == "GET":
            return Response(AttachmentSerializer(incident.attachments.all(), many=True).data)
        s = AttachmentUploadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        attachment = services.attachment_add(incident=incident, upload=s.validated_data["file"],
                                             note=s.validated_data["note"], by=request.user,
                                             channel=s.validated_data["voice"])
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)/file")
    def attachment_file(self, request, pk=None, attachment_id=None):
        """The stored file itself (permission-checked; the download is audited)."""
        incident = self.get_object()
        attachment = incident.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise DrfNotFound("no such attachment on this incident")
        services.attachment_read(attachment=attachment, by=request.user)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise DrfNotFound("the file is missing from storage") from None
        response = FileResponse(handle, content_type=attachment.content_type)
        response["Content-Disposition"] = f'inline; filename="attachment-{attachment.pk}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(methods=["GET"], responses={200: inline_serializer("IncidentCameras", {
        "linked": CameraSerializer(many=True), "nearby": CameraSerializer(many=True)})})
    @extend_schema(methods=["POST"], request=CameraLinkSerializer,
                   responses={201: CameraSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def cameras(self, request, pk=None):
        """Cameras linked to the incident and those within 500 m; POST links one."""
        incident = self.get_object()
        if request.method == "POST":
            s = CameraLinkSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            camera = get_or_400(Camera, s.validated_data["camera"], "camera")
            services.incident_link_camera(incident=incident, camera=camera, by=request.user)
            return Response(CameraSerializer(incident.cameras.all(), many=True).data,
                            status=status.HTTP_201_CREATED)
        # Stream addresses are for the roles that may see cameras (the control room).
        context = {"hide_streams": not roles.has_role(request.user, *roles.CONTROL_ROLES)}
        return Response({
            "linked": CameraSerializer(incident.cameras.all(), many=True, context=context).data,
            "nearby": CameraSerializer(selectors.cameras_near(incident.location), many=True,
                                       context=context).data,
        })

    @extend_schema(parameters=[VideoWallQuery],
                   responses={200: inline_serializer("VideoWall", {
                       "size": serializers.IntegerField(),
                       "radius_m": serializers.FloatField(),
                       "cameras": CameraStreamSerializer(many=True)}), **ERRORS})
    @action(detail=True, methods=["get"], url_path="video-wall", permission_classes=[DispatcherWrite])
    def video_wall(self, request, pk=None):
        """The cameras of a 2×2 or 3×3 video wall for the incident: those linked
        to it, then the nearest within ``VIDEO_WALL_RADIUS_M``; their streams are
        opened (audited once per user, camera and 10 minutes)."""
        incident = self.get_object()
        size = VideoWallQuery.read(request)["size"]
        radius = float(emergency_settings.VIDEO_WALL_RADIUS_M)
        cameras = selectors.cameras_for_wall(incident, size=size, radius_m=radius)
        services.camera_streams_open(cameras=cameras, by=request.user,
                                     context=f"video wall of {incident.number}")
        return Response({"size": size, "radius_m": radius,
                         "cameras": CameraStreamSerializer(cameras, many=True).data})
