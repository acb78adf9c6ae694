"""Writes of dispatch: assigning units to an incident (atomic, exactly one
winner per unit), dispatch requests by hand, and road closures."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Polygon
from django.db import IntegrityError, transaction
from django.utils import timezone

from cim import roles
from cim.models import RoadSegment
from cim.services.audit import audit_record
from emergency import locks
from emergency.choices import ClosureReason, IncidentStatus, TimelineKind, UnitStatus, UnitType
from emergency.errors import Conflict, DomainError, NotFound, UnitUnavailable
from emergency.events import emit
from emergency.models import Assignment, DispatchRequest, Incident, RoadClosure, Unit
from emergency.recommend import unit_origin
from emergency.routing import drive_graph, route_line, snap_point
from emergency.services._common import timeline_add
from emergency.services.incidents import incident_auto_advance
from emergency.services.units import unit_move
from emergency.states import INCIDENT_DISPATCHABLE, INCIDENT_TERMINAL

__all__ = ["assignment_create", "closure_create", "closure_lift", "dispatch_request_create"]


def _busy_reason(unit: Unit) -> str:
    active = (Assignment.objects.filter(unit=unit, released_at__isnull=True)
              .select_related("incident").first())
    if active is not None:
        since = timezone.localtime(active.assigned_at)
        return (f"unit {unit.code} is already assigned to incident {active.incident.number} "
                f"since {since:%H:%M:%S} (status {unit.status})")
    return f"unit {unit.code} is not available (status {unit.status})"


@transaction.atomic
def assignment_create(*, incident: Incident, units: list[int], by) -> list[Assignment]:
    """Send units to an incident, all or none.

    Under row locks (incident, then units in pk order) each unit must be
    available; a unit already taken — e.g. by another commander a moment
    earlier — makes the whole call a 409 naming the unit and where it is.
    Each assignment keeps the road route and ETA from the unit's fresh
    position (or its station) to the incident, closures respected.
    """
    if not units:
        raise DomainError("name at least one unit", field="units")
    if len(set(units)) != len(units):
        raise DomainError("a unit is named twice", field="units")
    graph, closed = drive_graph()
    locked_incident = locks.lock_incident(incident.pk)
    if locked_incident.status not in INCIDENT_DISPATCHABLE:
        hint = " (verify it first)" if locked_incident.status == IncidentStatus.RECEIVED else ""
        raise Conflict(f"incident {locked_incident.number} is {locked_incident.status}; "
                       f"units cannot be sent{hint}", field="incident")
    target = snap_point(graph, locked_incident.location)
    locked_units = locks.lock_units(units)
    missing = set(units) - {u.pk for u in locked_units}
    if missing:
        raise NotFound(f"unit {min(missing)} does not exist", field="units")
    for unit in locked_units:
        if unit.status != UnitStatus.AVAILABLE:
            raise UnitUnavailable(_busy_reason(unit), field="units")
    now = timezone.now()
    open_requests = list(DispatchRequest.objects.filter(incident=locked_incident).order_by("pk"))
    created = []
    for unit in locked_units:
        origin = unit_origin(unit, now=now)
        if origin is None:
            raise DomainError(f"unit {unit.code} has neither a recent position nor a home station",
                              field="units")
        route = graph.route(snap_point(graph, origin.point, field="units"), target, closed=closed)
        request = next((r for r in open_requests if r.unit_type == unit.unit_type
                        and r.assignments.exclude(release_reason="cancelled").count() < r.count), None)
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    incident=locked_incident, unit=unit, dispatch_request=request, assigned_at=now,
                    assigned_by=roles.acting_user(by),
                    position_source=origin.source,
                    eta_s=round(route.seconds, 1) if route else None,
                    distance_m=round(route.meters, 1) if route else None,
                    route=route_line(route.coords) if route else None,
                    route_edge_ids=route.edge_ids if route else [],
                )
        except IntegrityError:  # the partial unique index backs the lock up
            raise UnitUnavailable(_busy_reason(unit), field="units") from None
        unit_move(unit=unit, to=UnitStatus.DISPATCHED, by=by, incident=locked_incident, at=now)
        eta = f"{route.seconds / 60:.1f} 分钟, {route.meters / 1000:.2f} 公里" if route else "无可达道路"
        timeline_add(incident=locked_incident, kind=TimelineKind.ASSIGNMENT, by=by,
                     text=f"派遣 {unit.code} {unit.name}(预计 {eta})",
                     data={"unit": unit.pk, "assignment": assignment.pk,
                           "eta_s": assignment.eta_s, "distance_m": assignment.distance_m})
        audit_record(actor=by, action="assignment.create", obj=assignment,
                     after={"incident": locked_incident.pk, "unit": unit.pk, "eta_s": assignment.eta_s,
                            "position_source": origin.source})
        emit("assignment.created", {
            "assignment": assignment.pk, "incident": locked_incident.pk, "unit": unit.pk,
            "code": unit.code, "eta_s": assignment.eta_s, "distance_m": assignment.distance_m,
            "route": route.coords if route else None,
        })
        created.append(assignment)
    if locked_incident.status == IncidentStatus.VERIFIED:
        incident_auto_advance(incident=locked_incident, to=IncidentStatus.DISPATCHED, by=by)
    return created


@transaction.atomic
def dispatch_request_create(*, incident: Incident, unit_type: str, count: int, by) -> DispatchRequest:
    """Ask for units of a type by hand (beyond or without a plan)."""
    if unit_type not in UnitType.values:
        raise DomainError(f"unknown unit type {unit_type!r}", field="unit_type")
    if not 1 <= count <= 100:
        raise DomainError("count must lie between 1 and 100", field="count")
    locked = locks.lock_incident(incident.pk)
    if locked.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.number} is {locked.status}", field="incident")
    request = DispatchRequest.objects.create(
        incident=locked, unit_type=unit_type, count=count,
        created_by=roles.acting_user(by))
    timeline_add(incident=locked, kind=TimelineKind.ASSIGNMENT, by=by,
                 text=f"请求力量: {UnitType(unit_type).label} × {count}",
                 data={"dispatch_request": request.pk})
    audit_record(actor=by, action="dispatch_request.create", obj=request,
                 after={"unit_type": unit_type, "count": count, "incident": locked.pk})
    emit("dispatch_request.created", {"incident": locked.pk, "unit_type": unit_type, "count": count})
    return request


@transaction.atomic
def closure_create(*, reason: str, by, segments: list[int] | None = None, area: Polygon | None = None,
                   incident: Incident | None = None, ends_at: dt.datetime | None = None,
                   note: str = "") -> RoadClosure:
    """Close road segments — named, or every segment crossing ``area`` — from
    now until ``ends_at`` or until lifted.  Routing honours it from the next
    query on."""
    if reason not in ClosureReason.values:
        raise DomainError(f"unknown reason {reason!r}", field="reason")
    if not segments and area is None:
        raise DomainError("name road segments or draw an area", field="segments")
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise DomainError("the closure would end before it starts", field="ends_at")
    ids: set[int] = set()
    if segments:
        found = set(RoadSegment.objects.filter(pk__in=segments).values_list("pk", flat=True))
        if missing := set(segments) - found:
            raise NotFound(f"road segment {min(missing)} does not exist", field="segments")
        ids |= found
    if area is not None:
        crossing = set(RoadSegment.objects.filter(geom__intersects=area).values_list("pk", flat=True))
        if not crossing:
            raise DomainError("no road segment crosses the area", field="area")
        ids |= crossing
    closure = RoadClosure.objects.create(
        reason=reason, incident=incident, area=area, note=note[:500], starts_at=now, ends_at=ends_at,
        created_by=roles.acting_user(by))
    closure.segments.set(sorted(ids))
    if incident is not None:
        timeline_add(incident=incident, kind=TimelineKind.CLOSURE, by=by,
                     text=f"封闭道路 {len(ids)} 段", data={"closure": closure.pk})
    audit_record(actor=by, action="closure.create", obj=closure,
                 after={"segments": sorted(ids), "reason": reason, "ends_at": ends_at})
    emit("closure.created", {"closure": closure.pk, "segments": sorted(ids), "reason": reason,
                             "incident": incident.pk if incident else None})
    return closure


@transaction.atomic
def closure_lift(*, closure: RoadClosure, by) -> RoadClosure:
    """Reopen the roads of a closure."""
    locked = locks.lock_closure(closure.pk)
    if locked.lifted_at is not None:
        raise Conflict("the closure is already lifted", field="closure")
    locked.lifted_at = timezone.now()
    locked.save(update_fields=["lifted_at"])
    audit_record(actor=by, action="closure.lift", obj=locked, after={"lifted_at": locked.lifted_at})
    emit("closure.lifted", {"closure": locked.pk})
    return locked

