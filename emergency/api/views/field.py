"""The responder's field app API (``/api/emergency/field/…``), responders only.

* ``GET field/`` — the crew's units, each with its active assignment
  (incident, level, address, masked caller, notes, the plan's tasks, voice
  messages) and the road route from the unit's position with its turns.
* ``POST field/ops/`` ``{"id", "type": "ack"|"status"|"positions", "at", …}``
  — one operation of the device, applied once: ``ack`` ``{"assignment"}``,
  ``status`` ``{"status", "note", "unit"?}``, ``positions`` ``{"items": [...]}``
  (the one ingestion path).  The answer is the operation's own status (200,
  400, 404, 409 with ``{"error", "detail", "field"}``); an operation sent
  again gets the first answer with ``Field-Op-Replayed: 1`` and changes
  nothing.
* ``POST field/media/`` (multipart ``file``, ``assignment``, ``note``,
  ``voice``) — a photo, or with ``voice=1`` a push-to-talk voice message, for
  the incident of one of the unit's active assignments.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from config.common.errors import error_body
from emergency import services
from emergency.api.common import ERRORS
from emergency.api.serializers import AttachmentSerializer
from emergency.conf import emergency_settings
from emergency.errors import NotFound
from emergency.models import Assignment
from emergency.permissions import FieldDevice
from emergency.selectors_field import field_state
from emergency.services.field import FIELD_OP_KINDS, field_op_apply

__all__ = ["FieldMediaView", "FieldOpView", "FieldStateView"]


class FieldThrottle(UserRateThrottle):
    scope = "field"

    def get_rate(self) -> str:
        return emergency_settings.FIELD_OP_RATE


@extend_schema(tags=["field"])
class FieldStateView(APIView):
    """The crew's units and their current assignments (see the module docstring)."""

    permission_classes = [FieldDevice]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 403: ERRORS[403]})
    def get(self, request):
        return Response(field_state(request.user))


_OP = inline_serializer("FieldOp", {
    "id": serializers.CharField(help_text="the device's operation id (8–64 characters, unique per user)"),
    "type": serializers.ChoiceField(choices=FIELD_OP_KINDS),
    "at": serializers.DateTimeField(help_text="when the crew did it on the device"),
    "assignment": serializers.IntegerField(required=False),
    "status": serializers.CharField(required=False),
    "note": serializers.CharField(required=False),
    "unit": serializers.IntegerField(required=False),
    "items": serializers.ListField(child=serializers.DictField(), required=False),
})


@extend_schema(tags=["field"])
class FieldOpView(APIView):
    """One operation of a field device, applied exactly once."""

    permission_classes = [FieldDevice]
    throttle_classes = [FieldThrottle]

    @extend_schema(request=_OP, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            return Response(error_body("invalid", "send one operation as a JSON object", "id"),
                            status=status.HTTP_400_BAD_REQUEST)
        code, answer, replayed = field_op_apply(user=request.user, client_id=data.get("id"),
                                                kind=data.get("type"), at=data.get("at"), body=data)
        response = Response({"id": data.get("id"), **answer}, status=code)
        if replayed:
            response["Field-Op-Replayed"] = "1"
        return response


class FieldMediaSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    assignment = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    voice = serializers.BooleanField(required=False, default=False)


@extend_schema(tags=["field"])
class FieldMediaView(APIView):
    """A photo or a voice message from the scene, filed with the incident."""

    permission_classes = [FieldDevice]
    throttle_classes = [FieldThrottle]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": FieldMediaSerializer},
                   responses={201: AttachmentSerializer, **ERRORS})
    def post(self, request):
        s = FieldMediaSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        assignment = (Assignment.objects.filter(pk=data["assignment"], unit__members=request.user,
                                                released_at__isnull=True).select_related("incident").first())
        if assignment is None:
            raise NotFound(f"assignment {data['assignment']} is not an active assignment of your unit",
                           field="assignment")
        attachment = services.attachment_add(incident=assignment.incident, upload=data["file"],
                                             note=data["note"], by=request.user, channel=data["voice"])
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
