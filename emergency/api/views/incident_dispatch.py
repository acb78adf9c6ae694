"""The dispatch side of an incident: matching plans and activation, tasks,
dispatch requests, unit recommendations, assignments (with routes), supply
requests.  Mixed into :class:`IncidentViewSet`."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cim.scope import Scope
from emergency import selectors, services
from emergency.api.common import ERRORS, get_or_400
from emergency.api.queries import AssignmentQuery, MutualAidQuery, RecommendationQuery
from emergency.api.serializers import (
    ActivatePlanSerializer,
    AssignmentSerializer,
    AssignUnitsSerializer,
    DispatchRequestSerializer,
    MutualAidCreateSerializer,
    MutualAidSerializer,
    PlanSerializer,
    SupplyRequestSerializer,
    TaskSerializer,
)
from emergency.choices import UnitType
from emergency.models import Plan
from emergency.permissions import CommanderWrite, DispatcherWrite
from emergency.recommend import recommend_units

__all__ = ["IncidentDispatchMixin"]

_CANDIDATE_FIELDS = {
    "unit": serializers.IntegerField(), "code": serializers.CharField(), "name": serializers.CharField(),
    "unit_type": serializers.CharField(), "agency": serializers.CharField(),
    "eta_s": serializers.FloatField(allow_null=True),
    "position_source": serializers.ChoiceField(choices=["avl", "station"]),
    "position_age_s": serializers.FloatField(allow_null=True),
    "lon": serializers.FloatField(), "lat": serializers.FloatField(),
    "snap_distance_m": serializers.FloatField(), "recommended": serializers.BooleanField(),
    "mutual_aid": serializers.BooleanField(help_text="a unit of another district (跨区支援)"),
    "district": serializers.CharField(allow_null=True),
}
_CANDIDATE = inline_serializer("RecommendedUnit", _CANDIDATE_FIELDS)
RECOMMENDATION = inline_serializer("Recommendation", {
    "incident": serializers.IntegerField(),
    "computed_at": serializers.DateTimeField(),
    "target": serializers.DictField(),
    "closures": serializers.IntegerField(help_text="road segments closed now (respected)"),
    "groups": inline_serializer("RecommendationGroup", {
        "unit_type": serializers.CharField(), "label": serializers.CharField(),
        "requested": serializers.IntegerField(), "assigned": serializers.IntegerField(),
        "needed": serializers.IntegerField(), "shortfall": serializers.IntegerField(),
        "unreachable": serializers.ListField(child=serializers.IntegerField()),
        "candidates": _CANDIDATE,
        "mutual_aid": inline_serializer("MutualAidCandidate", _CANDIDATE_FIELDS, many=True,
                                        help_text="units of other districts: sent only through an "
                                                  "approved mutual-aid request"),
    }, many=True),
    "unpositioned": serializers.ListField(child=serializers.IntegerField()),
})


class IncidentDispatchMixin:
    @extend_schema(responses={200: PlanSerializer(many=True)})
    @action(detail=True, methods=["get"], permission_classes=[DispatcherWrite])
    def plans(self, request, pk=None):
        """Active plans for this incident's type, the best match first."""
        incident = self.get_object()
        qs = selectors.plans_matching(incident).prefetch_related(
            "unit_requirements", "supply_requirements", "notify_agencies")
        return Response(PlanSerializer(qs, many=True).data)

    @extend_schema(request=ActivatePlanSerializer, responses={201: TaskSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"], url_path="activate-plan", permission_classes=[CommanderWrite])
    def activate_plan(self, request, pk=None):
        """Activate a plan (commanders, admins): creates its tasks, dispatch
        requests and supply request; answers with the incident's tasks."""
        incident = self.get_object()
        s = ActivatePlanSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plan = get_or_400(Plan, s.validated_data["plan"], "plan") if s.validated_data.get("plan") else None
        services.plan_activate(incident=incident, plan=plan, by=request.user)
        return Response(TaskSerializer(incident.tasks.select_related("agency", "department"), many=True).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TaskSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def tasks(self, request, pk=None):
        """The incident's tasks (checklist and agencies to notify)."""
        incident = self.get_object()
        tasks = selectors.tasks_visible_to(request.user).filter(incident=incident)
        return Response(TaskSerializer(tasks, many=True).data)

    @extend_schema(methods=["GET"], responses={200: DispatchRequestSerializer(many=True)})
    @extend_schema(methods=["POST"], request=DispatchRequestSerializer,
                   responses={201: DispatchRequestSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"], url_path="dispatch-requests",
            permission_classes=[DispatcherWrite])
    def dispatch_requests(self, request, pk=None):
        """Units asked for by type and count; POST asks for more by hand."""
        incident = self.get_object()
        if request.method == "POST":
            s = DispatchRequestSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            created = services.dispatch_request_create(incident=incident, by=request.user,
                                                       **s.validated_data)
            return Response(DispatchRequestSerializer(created).data, status=status.HTTP_201_CREATED)
        return Response(DispatchRequestSerializer(incident.dispatch_requests.all(), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("unit_type", OpenApiTypes.STR, enum=UnitType.values,
                             description="ask for this type instead of the dispatch requests"),
            OpenApiParameter("count", OpenApiTypes.INT, description="how many of unit_type (1–100)"),
        ],
        responses={200: RECOMMENDATION, **ERRORS},
    )
    @action(detail=True, methods=["get"], permission_classes=[DispatcherWrite])
    def recommendations(self, request, pk=None):
        """The fastest available units of each needed type by road (one
        reverse search from the incident; closures respected).  Units
        without a fresh position count from their station.  A district
        dispatcher gets their districts' units as candidates and other
        districts' apart, as mutual-aid (跨区支援) candidates."""
        incident = self.get_object()
        query = RecommendationQuery.read(request)
        wanted = {query["unit_type"]: query["count"]} if query["unit_type"] else None
        return Response(recommend_units(incident=incident, wanted=wanted, scope=Scope.for_user(request.user)))

    @extend_schema(methods=["GET"], parameters=[OpenApiParameter("status", OpenApiTypes.STR)],
                   responses={200: MutualAidSerializer(many=True)})
    @extend_schema(methods=["POST"], request=MutualAidCreateSerializer,
                   responses={201: MutualAidSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"], url_path="mutual-aid", permission_classes=[DispatcherWrite])
    def mutual_aid(self, request, pk=None):
        """Mutual-aid requests (跨区支援) of this incident; POST asks for a
        unit of another district (a city-level commander or dispatcher
        approves or declines it)."""
        incident = self.get_object()
        if request.method == "POST":
            s = MutualAidCreateSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            created = services.mutual_aid_request(incident=incident, by=request.user, **s.validated_data)
            return Response(MutualAidSerializer(created).data, status=status.HTTP_201_CREATED)
        qs = selectors.mutual_aid_visible_to(request.user, incident=incident,
                                             status=MutualAidQuery.read(request)["status"])
        return Response(MutualAidSerializer(qs, many=True).data)

    @extend_schema(methods=["GET"], parameters=[OpenApiParameter("active", OpenApiTypes.BOOL)],
                   responses={200: AssignmentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=AssignUnitsSerializer,
                   responses={201: AssignmentSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def assignments(self, request, pk=None):
        """Units sent to the incident, with route and ETA.  POST sends units
        (all or none): 409 if one was taken meanwhile, naming it."""
        incident = self.get_object()
        if request.method == "POST":
            s = AssignUnitsSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            created = services.assignment_create(incident=incident, units=s.validated_data["units"],
                                                 by=request.user)
            return Response(AssignmentSerializer(created, many=True).data, status=status.HTTP_201_CREATED)
        qs = selectors.assignments_visible_to(request.user, incident=incident,
                                              active=AssignmentQuery.read(request)["active"])
        return Response(AssignmentSerializer(qs, many=True).data)

    @extend_schema(responses={200: SupplyRequestSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="supply-requests", permission_classes=[DispatcherWrite])
    def supply_requests(self, request, pk=None):
        """The incident's supply requests with their allocations."""
        incident = self.get_object()
        qs = incident.supply_requests.prefetch_related("lines__item", "lines__allocations__depot")
        return Response(SupplyRequestSerializer(qs, many=True).data)
