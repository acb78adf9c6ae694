"""Personnel: duty shifts, the duty roster (and who is on duty now), the
expert directory, team members and their qualifications.

Read: admin, commander, dispatcher; write: admin, commander
(:class:`emergency.permissions.CommanderWrite`); everyone else 403.  Phones
are masked; ``?reveal=phone`` on an expert or a team member shows the number
and is audited."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from emergency import selectors_personnel as sel
from emergency.api.common import ERRORS, get_or_400, reveal_asked, reveal_parameter
from emergency.api.queries import AgencyFilterQuery, UnitFilterQuery
from emergency.api.serializers.personnel import (
    CopyWeekSerializer,
    DutyAssignInputSerializer,
    DutyAssignmentSerializer,
    DutyShiftSerializer,
    ExpertSerializer,
    QualificationSerializer,
    TeamMemberSerializer,
)
from emergency.errors import DomainError
from emergency.models import Agency, DutyAssignment, DutyShift, Expert, Qualification
from emergency.models.personnel import ExpertAvailability, ExpertField
from emergency.permissions import CommanderWrite
from emergency.services import personnel as svc

__all__ = ["DutyShiftViewSet", "DutyViewSet", "ExpertViewSet", "QualificationViewSet", "TeamMemberViewSet"]

REVEAL = reveal_parameter("phone", "show the phone unmasked (audited)")


def _date_param(params, name: str, default: dt.date) -> dt.date:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{name} must be a date (YYYY-MM-DD)", field=name) from None
    return sel.check_roster_date(day, name)


class _SavedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Create and edit through a service (audited); PATCH only."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [CommanderWrite]
    save_service = None

    def perform_create(self, serializer):
        serializer.instance = type(self).save_service(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = type(self).save_service(by=self.request.user, instance=serializer.instance,
                                                      **serializer.validated_data)


@extend_schema(tags=["emergency-personnel"])
class DutyShiftViewSet(_SavedViewSet):
    """Shifts of the roster (白班, 夜班, …; a shift ending at or before its
    start ends the next day)."""

    serializer_class = DutyShiftSerializer
    queryset = DutyShift.objects.order_by("order", "start", "code")
    save_service = staticmethod(svc.shift_save)


@extend_schema(tags=["emergency-personnel"])
class DutyViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The duty roster: list a date range (at most 31 days; default this
    week), put a person on a shift, take them off, copy last week, and who is
    on duty now."""

    permission_classes = [CommanderWrite]
    serializer_class = DutyAssignmentSerializer
    pagination_class = None
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if self.action != "list":
            return DutyAssignment.objects.select_related("shift", "agency")
        params = self.request.query_params
        monday = sel.week_start_of(timezone.localdate())
        start = _date_param(params, "start", monday)
        end = _date_param(params, "end", start + dt.timedelta(days=6))
        return sel.duty_between(start, end, agency=AgencyFilterQuery.read(self.request)["agency"])

    @extend_schema(parameters=[
        OpenApiParameter("start", OpenApiTypes.DATE, description="first day (default: this Monday)"),
        OpenApiParameter("end", OpenApiTypes.DATE,
                         description="last day, at most 31 days on (default: start + 6)"),
        OpenApiParameter("agency", OpenApiTypes.INT)],
        responses={200: DutyAssignmentSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DutyAssignInputSerializer, responses={201: DutyAssignmentSerializer, **ERRORS})
    def create(self, request):
        s = DutyAssignInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        shift = get_or_400(DutyShift, data.pop("shift"), "shift")
        user = data.pop("user", None)
        agency = data.pop("agency", None)
        duty = svc.duty_assign(
            by=request.user, shift=shift,
            user=get_or_400(get_user_model(), user, "user") if user else None,
            agency=get_or_400(Agency, agency, "agency") if agency else None, **data)
        return Response(DutyAssignmentSerializer(duty).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request, *args, **kwargs):
        svc.duty_unassign(by=request.user, assignment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=CopyWeekSerializer, responses={
        200: inline_serializer("CopyWeekResult", {"made": serializers.IntegerField(),
                                                  "skipped": serializers.IntegerField()}), **ERRORS})
    @action(detail=False, methods=["post"], url_path="copy-week")
    def copy_week(self, request):
        """Fill the week starting on ``week`` (a Monday) from the week before;
        duties already there or clashing are skipped."""
        s = CopyWeekSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(svc.duty_copy_week(by=request.user, week_start=s.validated_data["week"]))

    @extend_schema(responses={200: DutyAssignmentSerializer(many=True)})
    @action(detail=False)
    def now(self, request):
        """Who is on duty now (leaders, duty officers, dispatchers…; phones masked)."""
        return Response(DutyAssignmentSerializer(sel.on_duty_now(), many=True).data)


@extend_schema(tags=["emergency-personnel"])
class ExpertViewSet(_SavedViewSet):
    """The expert directory, searchable by field of expertise."""

    serializer_class = ExpertSerializer
    save_service = staticmethod(svc.expert_save)

    def get_queryset(self):
        if self.action != "list":
            return Expert.objects.all()
        p = self.request.query_params
        return sel.experts_matching(field=p.get("field"), q=p.get("q"), availability=p.get("availability"))

    @extend_schema(parameters=[
        OpenApiParameter("field", OpenApiTypes.STR, enum=ExpertField.values),
        OpenApiParameter("availability", OpenApiTypes.STR, enum=ExpertAvailability.values),
        OpenApiParameter("q", OpenApiTypes.STR, description="name, organisation or title contains")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[REVEAL], responses={200: ExpertSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        expert = self.get_object()
        reveal = reveal_asked(request, "phone")
        if reveal:
            svc.expert_phone_reveal(expert=expert, by=request.user)
        return Response(ExpertSerializer(expert, context={"reveal_phone": reveal}).data)


@extend_schema(tags=["emergency-personnel"])
class TeamMemberViewSet(_SavedViewSet):
    """Members of response units' teams with their qualifications (expired
    ones flagged)."""

    serializer_class = TeamMemberSerializer
    save_service = staticmethod(svc.team_member_save)

    def get_queryset(self):
        unit = UnitFilterQuery.read(self.request)["unit"] if self.action == "list" else None
        return sel.team_members_of(unit=unit)

    @extend_schema(parameters=[OpenApiParameter("unit", OpenApiTypes.INT)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[REVEAL], responses={200: TeamMemberSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        member = self.get_object()
        reveal = reveal_asked(request, "phone")
        if reveal:
            svc.team_member_phone_reveal(member=member, by=request.user)
        return Response(TeamMemberSerializer(member, context={"reveal_phone": reveal}).data)

    @extend_schema(request=QualificationSerializer, responses={201: QualificationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def qualifications(self, request, pk=None):
        """Record a certificate of this member."""
        member = self.get_object()
        s = QualificationSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        qual = svc.qualification_add(by=request.user, member=member, **s.validated_data)
        return Response(QualificationSerializer(qual).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["emergency-personnel"])
class QualificationViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Remove a certificate record (add one through ``/team-members/{id}/qualifications/``)."""

    permission_classes = [CommanderWrite]
    serializer_class = QualificationSerializer
    queryset = Qualification.objects.all()
    lookup_value_regex = r"[0-9]+"

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request, *args, **kwargs):
        svc.qualification_remove(by=request.user, qualification=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
