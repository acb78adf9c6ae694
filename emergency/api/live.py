"""Live operations API: AVL batch ingestion and the dashboard's figures.

* ``POST /api/emergency/positions/`` ``{"positions": [{"unit", "lon",
  "lat", "at", "speed_kmh", "heading"}, …]}`` — admin, commander,
  dispatcher (any unit) and responders (their own units); rate-limited per
  user.  200 with ``{"accepted", "applied", "rejected": [{"index", "unit",
  "field", "code", "reason"}]}`` when at least one report was stored, 400
  with the same lists when none was (or the batch itself is malformed).
* ``GET /api/emergency/stats/{incidents,response-times,units,supplies,plates}/``
  — admin, commander, dispatcher; ``since``/``until`` (ISO 8601) where a
  time window applies (default: the last 24 hours).
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from cim.scope import Scope
from config.common.errors import error_body
from config.common.replica import replica_reads
from emergency import stats
from emergency.api.common import ERRORS
from emergency.conf import emergency_settings
from emergency.live.choices import PositionSource
from emergency.live.ingest import positions_ingest
from emergency.permissions import DispatcherWrite, UnitReport

__all__ = ["PositionBatchView", "StatsIncidentsView", "StatsPlatesView", "StatsResponseTimesView",
           "StatsSuppliesView", "StatsUnitsView"]

MAX_WINDOW = dt.timedelta(days=366)


class PositionThrottle(UserRateThrottle):
    """Batches per user (``POSITION_HTTP_RATE``); a batch holds up to
    ``POSITION_BATCH_MAX`` reports."""

    scope = "positions"

    def get_rate(self) -> str:
        return emergency_settings.POSITION_HTTP_RATE


class _PositionItem(serializers.Serializer):
    unit = serializers.IntegerField(help_text="unit id")
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    at = serializers.DateTimeField(required=False, help_text="time of the fix, ISO 8601 with offset")
    speed_kmh = serializers.FloatField(required=False, allow_null=True)
    heading = serializers.FloatField(required=False, allow_null=True, help_text="degrees from north")


class _PositionBatch(serializers.Serializer):
    positions = _PositionItem(many=True)


_RESULT = inline_serializer("PositionBatchResult", {
    "accepted": serializers.IntegerField(help_text="reports stored"),
    "applied": serializers.IntegerField(help_text="units moved (older reports are history only)"),
    "rejected": inline_serializer("PositionRejection", {
        "index": serializers.IntegerField(), "unit": serializers.IntegerField(allow_null=True),
        "field": serializers.CharField(), "code": serializers.CharField(),
        "reason": serializers.CharField(),
    }, many=True),
})


@extend_schema(tags=["emergency"])
class PositionBatchView(APIView):
    """AVL position reports in batches (see the module docstring)."""

    permission_classes = [UnitReport]
    throttle_classes = [PositionThrottle]

    @extend_schema(request=_PositionBatch, responses={
        200: _RESULT,
        400: OpenApiResponse(_RESULT, description="nothing stored: the batch or every report refused"),
        403: ERRORS[403]})
    def post(self, request):
        data = request.data
        if not isinstance(data, dict) or "positions" not in data:
            return Response(error_body("invalid", 'send a JSON object {"positions": [...]}',
                                       "positions"), status=status.HTTP_400_BAD_REQUEST)
        result = positions_ingest(items=data["positions"], by=request.user, source=PositionSource.HTTP)
        body = result.as_dict()
        if not result.accepted:
            return Response(error_body("rejected", "no position report was accepted", "positions",
                                       **body), status=status.HTTP_400_BAD_REQUEST)
        return Response(body)


def _when(params, name: str, default: dt.datetime) -> dt.datetime:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        try:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        except ValueError:
            raise ValidationError({name: "must be an ISO 8601 date or time"}) from None
    if value.tzinfo is None:
        from django.utils import timezone

        value = timezone.make_aware(value)
    return value


def _window(request) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    until = _when(request.query_params, "until", timezone.now())
    since = _when(request.query_params, "since", until - dt.timedelta(hours=24))
    if since >= until:
        raise ValidationError({"since": "must lie before until"})
    if until - since > MAX_WINDOW:
        raise ValidationError({"since": "the window may span at most 366 days"})
    return since, until


_WINDOW = [OpenApiParameter("since", OpenApiTypes.DATETIME, description="start (default: until − 24 h)"),
           OpenApiParameter("until", OpenApiTypes.DATETIME, description="end, exclusive (default: now)")]
_STATS_ERRORS = {400: ERRORS[400], 403: ERRORS[403]}


class _StatsView(APIView):
    permission_classes = [DispatcherWrite]  # reads: admin, commander, dispatcher

    @staticmethod
    def figures(compute, **kwargs):
        """The statistics, read from the replica when there is a healthy one (the
        request's own sign-in and scope are read from the primary before)."""
        with replica_reads():
            return compute(**kwargs)


@extend_schema(tags=["emergency"])
class StatsIncidentsView(_StatsView):
    """Incidents in a window by category, level, status and hour."""

    @extend_schema(parameters=_WINDOW, responses={200: OpenApiTypes.OBJECT, **_STATS_ERRORS})
    def get(self, request):
        since, until = _window(request)
        return Response(self.figures(stats.incident_stats, since=since, until=until,
                                     scope=Scope.for_user(request.user)))


@extend_schema(tags=["emergency"])
class StatsResponseTimesView(_StatsView):
    """Response-time segments per incident against their targets."""

    @extend_schema(parameters=_WINDOW, responses={200: OpenApiTypes.OBJECT, **_STATS_ERRORS})
    def get(self, request):
        since, until = _window(request)
        return Response(self.figures(stats.response_times, since=since, until=until,
                                     scope=Scope.for_user(request.user)))


@extend_schema(tags=["emergency"])
class StatsUnitsView(_StatsView):
    """Units by status and type; stale and unplaced units."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 403: ERRORS[403]})
    def get(self, request):
        return Response(self.figures(stats.unit_stats, scope=Scope.for_user(request.user)))


@extend_schema(tags=["emergency"])
class StatsSuppliesView(_StatsView):
    """Supplies against their minimum levels."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 403: ERRORS[403]})
    def get(self, request):
        return Response(self.figures(stats.supply_stats))


@extend_schema(tags=["emergency"])
class StatsPlatesView(_StatsView):
    """Door plates, scans and residents' reports per community."""

    @extend_schema(parameters=_WINDOW, responses={200: OpenApiTypes.OBJECT, **_STATS_ERRORS})
    def get(self, request):
        since, until = _window(request)
        return Response(self.figures(stats.plate_stats, since=since, until=until,
                                     scope=Scope.for_user(request.user)))
