"""Writes to units: status along the unit state machine, AVL positions, and
releasing a unit from its assignment."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from emergency import locks
from emergency.choices import IncidentStatus, TimelineKind, UnitStatus
from emergency.errors import Conflict, DomainError, InvalidTransition
from emergency.events import emit
from emergency.models import Assignment, Incident, Unit, UnitStatusChange
from emergency.services._common import timeline_add
from emergency.states import UNIT_TRANSITIONS, allowed

__all__ = ["release_assignment", "unit_move", "unit_report_position", "unit_set_status"]


def unit_move(*, unit: Unit, to: str, by, incident: Incident | None = None, note: str = "",
              at: dt.datetime | None = None) -> UnitStatusChange:
    """Move a locked unit to ``to`` (state machine checked), log the change
    with its time, tell the incident's timeline and the consoles."""
    if not allowed(UNIT_TRANSITIONS, unit.status, to):
        raise InvalidTransition(f"unit {unit.code}", unit.status, to,
                                UNIT_TRANSITIONS.get(unit.status, frozenset()))
    at = at or timezone.now()
    change = UnitStatusChange.objects.create(
        unit=unit, from_status=unit.status, to_status=to, at=at, incident=incident, note=note[:500],
        by=roles.acting_user(by),
    )
    unit.status = to
    unit.status_changed_at = at
    unit.save(update_fields=["status", "status_changed_at", "updated_at"])
    if incident is not None:
        timeline_add(incident=incident, kind=TimelineKind.UNIT, by=by,
                     text=f"{unit.code} {UnitStatus(change.from_status).label} → {UnitStatus(to).label}",
                     data={"unit": unit.pk, "from": change.from_status, "to": to})
    emit("unit.status", {"unit": unit.pk, "code": unit.code, "unit_type": unit.unit_type,
                         "from": change.from_status, "status": to, "at": at.isoformat(),
                         "incident": incident.pk if incident else None})
    return change


def release_assignment(*, assignment: Assignment, by, reason: str) -> Assignment:
    """End an active assignment; a unit that had left starts returning, one
    that had not goes straight back to available.  Caller holds the
    incident lock; the unit is locked here (incident before unit)."""
    unit = locks.lock_unit(assignment.unit_id)
    assignment.released_at = timezone.now()
    assignment.release_reason = reason[:200]
    assignment.save(update_fields=["released_at", "release_reason"])
    if unit.status == UnitStatus.DISPATCHED:
        unit_move(unit=unit, to=UnitStatus.AVAILABLE, by=by, incident=assignment.incident, note=reason)
    elif unit.status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE):
        unit_move(unit=unit, to=UnitStatus.RETURNING, by=by, incident=assignment.incident, note=reason)
    return assignment


def _active_assignment(unit_pk: int) -> Assignment | None:
    return Assignment.objects.filter(unit_id=unit_pk, released_at__isnull=True).first()


@transaction.atomic
def unit_set_status(*, unit: Unit, status: str, by, note: str = "") -> Unit:
    """A unit reports a new status (responders for their own unit).

    en_route / on_scene while assigned; returning releases the assignment;
    available after returning (or to call off a dispatch before leaving);
    out_of_service and back.  The first unit on scene puts a dispatched
    incident on scene.  "dispatched" comes only from an assignment.
    """
    if status not in UnitStatus.values:
        raise DomainError(f"unknown status {status!r}", field="status")
    if status == UnitStatus.DISPATCHED:
        raise DomainError("a unit is dispatched by assigning it to an incident", field="status")
    # Lock order: incident, then unit (as the assignment service does).
    pending = _active_assignment(unit.pk)
    incident = locks.lock_incident(pending.incident_id) if pending else None
    locked = locks.lock_unit(unit.pk)
    assignment = _active_assignment(unit.pk)
    if (assignment.incident_id if assignment else None) != (incident.pk if incident else None):
        raise Conflict("the unit's assignment changed meanwhile; try again", field="status")
    if status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE) and assignment is None:
        raise Conflict(f"unit {locked.code} has no assignment", field="status")
    before = {"status": locked.status}
    if status == UnitStatus.AVAILABLE and locked.status == UnitStatus.DISPATCHED and assignment:
        release_assignment(assignment=assignment, by=by, reason="cancelled")
    else:
        unit_move(unit=locked, to=status, by=by, incident=incident, note=note)
        if status == UnitStatus.RETURNING and assignment is not None:
            assignment.released_at = timezone.now()
            assignment.release_reason = "returning"
            assignment.save(update_fields=["released_at", "release_reason"])
        if status == UnitStatus.ON_SCENE and incident.status == IncidentStatus.DISPATCHED:
            from emergency.services.incidents import incident_auto_advance

            incident_auto_advance(incident=incident, to=IncidentStatus.ON_SCENE, by=by)
    locked.refresh_from_db()
    audit_record(actor=by, action="unit.status", obj=locked, before=before,
                 after={"status": locked.status}, note=note[:500])
    return locked


@transaction.atomic
def unit_report_position(*, unit: Unit, lon: float, lat: float, by, at: dt.datetime | None = None) -> Unit:
    """Store a unit's position fix (AVL).  A fix older than the one stored is
    ignored (fixes can arrive out of order); one from the future is refused."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DomainError("longitude must lie in [-180, 180] and latitude in [-90, 90]", field="lon")
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(seconds=60):
        raise DomainError("the fix time lies in the future", field="at")
    locked = locks.lock_unit(unit.pk)
    if locked.last_position_at and at <= locked.last_position_at:
        return locked
    before = {"lon": locked.last_position.x, "lat": locked.last_position.y} if locked.last_position else None
    locked.last_position = Point(lon, lat, srid=4326)
    locked.last_position_at = at
    locked.save(update_fields=["last_position", "last_position_at", "updated_at"])
    audit_record(actor=by, action="unit.position", obj=locked, before=before,
                 after={"lon": lon, "lat": lat, "at": at.isoformat()})
    emit("unit.position", {"unit": locked.pk, "code": locked.code, "lon": lon, "lat": lat,
                           "at": at.isoformat(), "status": locked.status})
    return locked
