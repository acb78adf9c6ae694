"""Joint action and notifications over the API: sending a task to a
department, the department's inbox and its steps, the CAP Update message,
and a notification's delivery log (addresses masked)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.masking import mask_phone
from cim.models import Department
from emergency import services
from emergency.api.common import ERRORS, incident_or_400
from emergency.api.fields import PolygonField
from emergency.api.serializers.command import AlertSerializer
from emergency.errors import DomainError, NotFound
from emergency.models import Alert
from emergency.permissions import CommanderWrite, DepartmentInbox, DispatcherWrite
from emergency.selectors import tasks_visible_to
from emergency.selectors_notify import inbox_tasks, notifications_visible_to
from emergency.services.agency_tasks import AGENCY_TASK_ACTIONS
from emergency.services.notifications import notification_summary

__all__ = ["AgencyTaskActView", "AgencyTaskListView", "AlertUpdateView", "InboxView", "NotificationLogView"]


class AgencyTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident = serializers.IntegerField(source="incident_id")
    incident_number = serializers.CharField(source="incident.number")
    incident_title = serializers.CharField(source="incident.title")
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    sent_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField()
    progress = serializers.IntegerField()
    progress_note = serializers.CharField()
    escalation_level = serializers.IntegerField()
    done_at = serializers.DateTimeField()


class AgencyTaskSendSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    department = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=300)
    deadline = serializers.DateTimeField(required=False, allow_null=True)


class AgencyTaskActSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(AGENCY_TASK_ACTIONS))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    progress = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)


class AlertUpdateSerializer(serializers.Serializer):
    headline = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=4000, required=False)
    instruction = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    severity = serializers.CharField(max_length=10, required=False)
    urgency = serializers.CharField(max_length=10, required=False)
    area = PolygonField(required=False, help_text="a new alert area (GeoJSON Polygon/MultiPolygon)")
    area_desc = serializers.CharField(max_length=300, required=False)
    expires = serializers.DateTimeField(required=False)


@extend_schema(tags=["emergency"])
class AgencyTaskListView(APIView):
    """Tasks sent to partner departments (in the caller's scope); POST
    sends one.  Admin, commander, dispatcher.  An unknown department is a
    400 naming ``department``; a deadline in the past, one naming ``deadline``."""

    permission_classes = [DispatcherWrite]

    @extend_schema(responses={200: AgencyTaskSerializer(many=True)})
    def get(self, request):
        rows = (
            tasks_visible_to(request.user)
            .filter(department__isnull=False)
            .select_related("incident", "department")
            .order_by("-sent_at")[:500]
        )
        return Response(AgencyTaskSerializer(rows, many=True).data)

    @extend_schema(request=AgencyTaskSendSerializer, responses={201: AgencyTaskSerializer, **ERRORS})
    def post(self, request):
        s = AgencyTaskSendSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        incident = incident_or_400(request.user, data["incident"])
        department = Department.objects.filter(code=data["department"].strip()).first()
        if department is None:
            raise DomainError(f"unknown department {data['department']!r}", field="department")
        task = services.agency_task_send(
            incident=incident,
            department=department,
            title=data["title"],
            deadline=data.get("deadline"),
            by=request.user,
        )
        return Response(AgencyTaskSerializer(task).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["emergency"])
class InboxView(APIView):
    """The caller's department inbox: its tasks, open first."""

    permission_classes = [DepartmentInbox]

    @extend_schema(responses={200: AgencyTaskSerializer(many=True)})
    def get(self, request):
        return Response(AgencyTaskSerializer(inbox_tasks(request.user)[:500], many=True).data)


@extend_schema(tags=["emergency"])
class AgencyTaskActView(APIView):
    """One step on a task of the caller's department: acknowledge, accept,
    progress (with a percentage and a note), done.  Another department's
    task is a 404; a step the task's state does not allow, a 409."""

    permission_classes = [DepartmentInbox]

    @extend_schema(request=AgencyTaskActSerializer, responses={200: AgencyTaskSerializer, **ERRORS})
    def post(self, request, pk: int):
        task = inbox_tasks(request.user).filter(pk=pk).first()
        if task is None:
            raise NotFound(f"no task {pk} in your department's inbox", field="task")
        s = AgencyTaskActSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        task = services.agency_task_act(task=task, by=request.user, **s.validated_data)
        return Response(AgencyTaskSerializer(task).data)


@extend_schema(tags=["emergency"])
class AlertUpdateView(APIView):
    """Issue the CAP Update of an alert in force (commander, admin)."""

    permission_classes = [CommanderWrite]

    @extend_schema(request=AlertUpdateSerializer, responses={201: AlertSerializer, **ERRORS})
    def post(self, request, pk: int):
        alert = Alert.objects.filter(pk=pk).first()
        if alert is None:
            raise NotFound(f"no alert {pk}", field="alert")
        s = AlertUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        update = services.alert_update(alert=alert, by=request.user, **s.validated_data)
        return Response(AlertSerializer(update).data, status=status.HTTP_201_CREATED)


def _masked(address: str, channel: str) -> str:
    if channel == "sms":
        return mask_phone(address)
    if channel == "email" and "@" in address:
        name, domain = address.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return address


@extend_schema(tags=["emergency"])
class NotificationLogView(APIView):
    """A message and its per-recipient delivery log (addresses masked):
    admin, commander, dispatcher; a message about something out of the
    caller's scope is a 404."""

    permission_classes = [DispatcherWrite]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, pk: int):
        note = notifications_visible_to(request.user).filter(pk=pk).first()
        if note is None:
            raise NotFound(f"no notification {pk}", field="notification")
        rows = note.deliveries.order_by("id").values(
            "id", "channel", "address", "language", "status", "attempts", "last_error", "sent_at"
        )[:1000]
        return Response(
            {
                "id": note.pk,
                "kind": note.kind,
                "ref": note.ref,
                "created_at": note.created_at,
                "summary": notification_summary(note),
                "deliveries": [{**r, "address": _masked(r["address"], r["channel"])} for r in rows],
            }
        )
