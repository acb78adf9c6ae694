"""Writes to units: a unit reports its status along the unit state machine.

Positions are not written here: every position fix, also the one-fix
``/units/{id}/position/`` endpoint, goes through :mod:`emergency.live.ingest`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import IncidentStatus, UnitStatus
from emergency.errors import Conflict, DomainError
from emergency.events import emit
from emergency.models import Assignment, Unit
from emergency.services.assignments import assignment_release
from emergency.services.transitions import incident_auto_advance, unit_move

__all__ = ["unit_set_crew", "unit_set_status"]


def _active_assignment(unit_pk: int) -> Assignment | None:
    return Assignment.objects.filter(unit_id=unit_pk, released_at__isnull=True).first()


@transaction.atomic
def unit_set_status(*, unit: Unit, status: str, by, note: str = "", at: dt.datetime | None = None) -> Unit:
    """A unit reports a new status (responders for their own unit).

    en_route / on_scene while assigned; returning releases the assignment;
    available after returning (or to call off a dispatch before leaving);
    out_of_service (with a required reason, kept on the unit for the status
    board; refused while the unit is assigned) and back.  The first unit on
    scene puts a dispatched incident on scene.  "dispatched" comes only from
    an assignment.  ``at`` is when the crew pressed the button (a field
    device sending its offline queue); a status older than the unit's
    current one is stale and refused (409), one in the future is refused.
    """
    if status not in UnitStatus.values:
        raise DomainError(f"unknown status {status!r}", field="status")
    if status == UnitStatus.DISPATCHED:
        raise DomainError("a unit is dispatched by assigning it to an incident", field="status")
    note = note.strip()
    if status == UnitStatus.OUT_OF_SERVICE and not note:
        raise DomainError("taking a unit out of service needs a reason", field="note")
    # Lock order: incident, then unit (as the assignment service does).
    pending = _active_assignment(unit.pk)
    incident = locks.lock_incident(pending.incident_id) if pending else None
    locked = locks.lock_unit(unit.pk)
    if at is not None:
        if at > timezone.now() + dt.timedelta(seconds=60):
            raise DomainError("the status change's time lies in the future", field="at")
        if at < locked.status_changed_at:
            since = timezone.localtime(locked.status_changed_at)
            raise Conflict(f"stale status: reported for {timezone.localtime(at):%H:%M:%S}, but unit "
                           f"{locked.code} has been {locked.status} since {since:%H:%M:%S}",
                           field="at", code="stale_status")
    assignment = _active_assignment(unit.pk)
    if (assignment.incident_id if assignment else None) != (incident.pk if incident else None):
        raise Conflict("the unit's assignment changed meanwhile; try again", field="status")
    if status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE) and assignment is None:
        raise Conflict(f"unit {locked.code} has no assignment", field="status")
    if status == UnitStatus.OUT_OF_SERVICE and assignment is not None:
        raise Conflict(f"unit {locked.code} is assigned to incident {incident.number}; "
                       f"release it before taking it out of service", field="status")
    before = {"status": locked.status, "status_note": locked.status_note}
    if status == UnitStatus.AVAILABLE and locked.status == UnitStatus.DISPATCHED and assignment:
        assignment_release(assignment=assignment, by=by, reason="cancelled")
    else:
        unit_move(unit=locked, to=status, by=by, incident=incident, note=note, at=at)
        if status == UnitStatus.RETURNING and assignment is not None:
            assignment_release(assignment=assignment, by=by, reason="returning")  # the unit is moved already
        if status == UnitStatus.ON_SCENE and incident.status == IncidentStatus.DISPATCHED:
            incident_auto_advance(incident=incident, to=IncidentStatus.ON_SCENE, by=by)
    status_note = clip(Unit, "status_note", note) if status == UnitStatus.OUT_OF_SERVICE else ""
    Unit.objects.filter(pk=locked.pk).update(status_note=status_note)
    locked.refresh_from_db()
    audit_record(actor=by, action="unit.status", obj=locked, before=before,
                 after={"status": locked.status, "status_note": locked.status_note}, note=note)
    return locked


@transaction.atomic
def unit_set_crew(*, unit: Unit, crew: list[str], by, crew_size: int | None = None) -> Unit:
    """Replace a unit's crew list (the names on board today) and, if given,
    its establishment size; the roster of the units back office."""
    names = [c.strip() for c in crew if c and c.strip()]
    if len(names) != len(set(names)):
        raise DomainError("a crew member is listed twice", field="crew")
    locked = locks.lock_unit(unit.pk)
    size = locked.crew_size if crew_size is None else crew_size
    if crew_size is not None and len(names) > size:
        raise DomainError(f"{len(names)} names for an establishment of {size}", field="crew")
    before = {"crew": locked.crew, "crew_size": locked.crew_size}
    if any(len(n) > 100 for n in names):
        raise DomainError("a crew member's name is longer than 100 characters", field="crew")
    locked.crew = names
    locked.crew_size = size
    locked.full_clean(exclude=["members", "home_station", "agency"])
    locked.save(update_fields=["crew", "crew_size", "updated_at"])
    audit_record(actor=by, action="unit.crew", obj=locked, before=before,
                 after={"crew": locked.crew, "crew_size": locked.crew_size})
    emit("unit.updated", {"unit": locked.pk, "code": locked.code})
    return locked
