"""The buildings' history under ``/api/cim/``: one building's versions,
the city as of a date, the difference between two dates or two import
runs, and the undo of an import run (admins)."""

from __future__ import annotations

import datetime as dt
import json

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.errors import DomainError, NotFound
from cim.models import ImportRun
from cim.permissions import AdminOnly, StaffRead
from cim.selectors import history as selectors
from cim.services.history import import_run_undo
from config.common.filters import parse_bbox

AS_OF_LIMIT = 10000
DEMOLISHED_LIMIT = 5000


def parse_when(raw: str | None, field: str) -> dt.datetime:
    """A date (its end of day, local time) or an ISO date-time; a 400 naming ``field``."""
    if not raw:
        raise DomainError("required: an ISO date or date-time", field=field)
    try:
        day = parse_date(raw) if len(raw) == 10 else None
        when = dt.datetime.combine(day, dt.time.max) if day else parse_datetime(raw)
    except ValueError:
        when = None
    if when is None:
        raise DomainError(f"not an ISO date or date-time: {raw[:40]!r}", field=field)
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


def _run(raw: str | None, field: str) -> ImportRun:
    if not raw or not raw.isdigit() or len(raw) > 18:
        raise DomainError("must be the id of an import run", field=field)
    run = ImportRun.objects.filter(pk=int(raw)).first()
    if run is None:
        raise NotFound(f"no import run {raw}", field=field)
    return run


@extend_schema(tags=["cim"], responses={200: OpenApiTypes.OBJECT})
class BuildingHistoryView(APIView):
    """The versions of a building, oldest first (also for a deleted one)."""

    permission_classes = [StaffRead]

    def get(self, request, pk: int):
        versions = selectors.building_history(pk)
        if not versions:
            raise NotFound(f"no building {pk}, now or in the past", field="pk")
        return Response({"building": pk, "versions": versions})


@extend_schema(tags=["cim"], responses={200: OpenApiTypes.OBJECT}, parameters=[
    OpenApiParameter("at", str, required=True, description="ISO date or date-time"),
    OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat")])
class CityAsOfView(APIView):
    """The buildings as they were at a date (in a bbox), at most 10,000."""

    permission_classes = [StaffRead]

    def get(self, request):
        when = parse_when(request.query_params.get("at"), "at")
        bbox = parse_bbox(request.query_params.get("bbox"))
        rows = selectors.city_as_of(when, bbox=bbox, limit=AS_OF_LIMIT + 1)
        return Response({"at": when, "count": min(len(rows), AS_OF_LIMIT),
                         "truncated": len(rows) > AS_OF_LIMIT, "buildings": rows[:AS_OF_LIMIT]})


@extend_schema(tags=["cim"], responses={200: OpenApiTypes.OBJECT}, parameters=[
    OpenApiParameter("at", str, required=True, description="ISO date or date-time"),
    OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat")])
class DemolishedAsOfView(APIView):
    """GeoJSON of the buildings that stood at a date and are deleted now, as
    they were then (footprint, height, attributes, when and why deleted), at
    most 5,000: the planner's time slider draws them."""

    permission_classes = [StaffRead]

    def get(self, request):
        when = parse_when(request.query_params.get("at"), "at")
        bbox = parse_bbox(request.query_params.get("bbox"))
        rows = selectors.demolished_as_of(when, bbox=bbox, limit=DEMOLISHED_LIMIT + 1)
        features = [{"type": "Feature", "id": row["id"], "geometry": json.loads(row.pop("footprint")),
                     "properties": row} for row in rows[:DEMOLISHED_LIMIT]]
        return Response({"type": "FeatureCollection", "at": when, "truncated": len(rows) > DEMOLISHED_LIMIT,
                         "features": features})


@extend_schema(tags=["cim"], responses={200: OpenApiTypes.OBJECT}, parameters=[
    OpenApiParameter("from", str, description="ISO date or date-time (or give from_run)"),
    OpenApiParameter("to", str, description="ISO date or date-time (or give to_run)"),
    OpenApiParameter("from_run", int), OpenApiParameter("to_run", int),
    OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat")])
class CityDiffView(APIView):
    """New, changed (with the fields) and removed buildings between two
    dates or two import runs (the city just after each run)."""

    permission_classes = [StaffRead]

    def get(self, request):
        q = request.query_params
        ends = []
        for name in ("from", "to"):
            if q.get(f"{name}_run") is not None:
                ends.append(selectors.run_time(_run(q.get(f"{name}_run"), f"{name}_run")))
            else:
                ends.append(parse_when(q.get(name), name))
        a, b = ends
        if a > b:
            raise DomainError("must not be before from", field="to")
        diff = selectors.city_diff(a, b, bbox=parse_bbox(q.get("bbox")))
        return Response({"from": a, "to": b, **diff})


@extend_schema(tags=["cim"], request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
class ImportRunUndoView(APIView):
    """Undo an import run's changes to buildings (409 naming what depends on them)."""

    permission_classes = [AdminOnly]

    def post(self, request, pk: int):
        run = get_object_or_404(ImportRun, pk=pk)
        return Response(import_run_undo(run=run, by=request.user, reason=request.data.get("reason")))


__all__ = ["BuildingHistoryView", "CityAsOfView", "CityDiffView", "DemolishedAsOfView",
           "ImportRunUndoView"]
