"""Writes of assignments: sending units to an incident (atomic, exactly one
winner per unit) and releasing them again (a unit calls a dispatch off,
returns, or its incident is closed or cancelled)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import IncidentStatus, TimelineKind, UnitStatus
from emergency.errors import Conflict, DomainError, NotFound, UnitUnavailable
from emergency.events import emit
from emergency.models import Assignment, DispatchRequest, Incident, Unit
from emergency.recommend import unit_origin
from emergency.routing import drive_graph, route_line, snap_point
from emergency.services._common import incident_brief, timeline_add
from emergency.services.dispatch_scope import units_scope_check
from emergency.services.notifications import notification_send
from emergency.services.recipients import crew_recipients
from emergency.services.transitions import incident_auto_advance, unit_move
from emergency.states import INCIDENT_DISPATCHABLE

__all__ = ["assignment_create", "assignment_release", "assignments_release_all"]


def _busy_reason(unit: Unit) -> str:
    active = (Assignment.objects.filter(unit=unit, released_at__isnull=True)
              .select_related("incident").first())
    if active is not None:
        since = timezone.localtime(active.assigned_at)
        return (f"unit {unit.code} is already assigned to incident {active.incident.number} "
                f"since {since:%H:%M:%S} (status {unit.status})")
    return f"unit {unit.code} is not available (status {unit.status})"


def _crew_notify(*, unit: Unit, incident: Incident, assignment: Assignment, by) -> None:
    """The unit's crew hears of the assignment (in-app, e-mail)."""
    point = incident.location
    where = incident.address.full_name if incident.address_id else f"{point.y:.5f},{point.x:.5f}"
    notification_send(kind="assignment", recipients=crew_recipients(unit), ref=f"assignment:{assignment.pk}",
                      by=by, context={"unit": f"{unit.code} {unit.name}", "level": incident.level,
                                      "incident": incident.number or incident.title, "address": where})


def assignment_create(*, incident: Incident, units: list[int], by) -> list[Assignment]:
    """Send units to an incident, all or none.

    Units outside ``by``'s scope (another district's, for a district
    dispatcher) are refused first — 403 ``mutual_aid_required``, audited:
    they come only through an approved mutual-aid request.
    Under row locks (incident, then units in pk order) each unit must be
    available; a unit already taken — e.g. by another commander a moment
    earlier — makes the whole call a 409 naming the unit and where it is.
    Each assignment keeps the road route and ETA from the unit's fresh
    position (or its station) to the incident, closures respected.
    """
    if units:
        units_scope_check(by=by, incident=incident, units=units)
    return _assignment_create(incident=incident, units=units, by=by)


@transaction.atomic
def _assignment_create(*, incident: Incident, units: list[int], by) -> list[Assignment]:
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
            # what a crew's device needs to sound its alarm before it loads the details
            "brief": incident_brief(locked_incident),
        })
        _crew_notify(unit=unit, incident=locked_incident, assignment=assignment, by=by)
        created.append(assignment)
    if locked_incident.status == IncidentStatus.VERIFIED:
        incident_auto_advance(incident=locked_incident, to=IncidentStatus.DISPATCHED, by=by)
    return created


def assignment_release(*, assignment: Assignment, by, reason: str) -> Assignment:
    """End an active assignment; a unit that had left starts returning, one
    that had not goes straight back to available.  Caller holds the
    incident lock; the unit is locked here (incident before unit)."""
    unit = locks.lock_unit(assignment.unit_id)
    assignment.released_at = timezone.now()
    assignment.release_reason = clip(Assignment, "release_reason", reason)
    assignment.save(update_fields=["released_at", "release_reason"])
    if unit.status == UnitStatus.DISPATCHED:
        unit_move(unit=unit, to=UnitStatus.AVAILABLE, by=by, incident=assignment.incident, note=reason)
    elif unit.status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE):
        unit_move(unit=unit, to=UnitStatus.RETURNING, by=by, incident=assignment.incident, note=reason)
    return assignment


def assignments_release_all(*, incident: Incident, by, reason: str) -> list[int]:
    """Release the active assignments of a locked incident (its units
    return); the ids of the units released, in id order."""
    released = []
    for assignment in incident.assignments.filter(released_at__isnull=True).order_by("unit_id"):
        assignment_release(assignment=assignment, by=by, reason=reason)
        released.append(assignment.unit_id)
    return released
