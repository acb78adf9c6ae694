"""State-machine steps taken inside a caller's transaction on rows the
caller has locked: move a unit to a new status (:func:`unit_move`) and
advance an incident as a side effect of dispatch (:func:`incident_auto_advance`).

They are shared by the assignment, unit and incident services and import
none of them, so those services depend on this module and never on each
other in a circle.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency.choices import IncidentStatus, TimelineKind, UnitStatus
from emergency.errors import InvalidTransition
from emergency.events import emit
from emergency.models import Incident, Unit, UnitStatusChange
from emergency.services._common import incident_brief, timeline_add
from emergency.states import INCIDENT_TRANSITIONS, UNIT_TRANSITIONS, allowed

__all__ = ["INCIDENT_STATUS_TIME", "incident_auto_advance", "unit_move"]

# The incident field that records when it reached each status.
INCIDENT_STATUS_TIME = {
    IncidentStatus.VERIFIED: "verified_at", IncidentStatus.DISPATCHED: "dispatched_at",
    IncidentStatus.ON_SCENE: "on_scene_at", IncidentStatus.CONTAINED: "contained_at",
    IncidentStatus.CLOSED: "closed_at", IncidentStatus.CANCELLED: "cancelled_at",
}


def unit_move(*, unit: Unit, to: str, by, incident: Incident | None = None, note: str = "",
              at: dt.datetime | None = None) -> UnitStatusChange:
    """Move a locked unit to ``to`` (state machine checked), log the change
    with its time, tell the incident's timeline and the consoles."""
    if not allowed(UNIT_TRANSITIONS, unit.status, to):
        raise InvalidTransition(f"unit {unit.code}", unit.status, to,
                                UNIT_TRANSITIONS.get(unit.status, frozenset()))
    at = at or timezone.now()
    change = UnitStatusChange.objects.create(
        unit=unit, from_status=unit.status, to_status=to, at=at, incident=incident,
        note=clip(UnitStatusChange, "note", note),
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


def incident_auto_advance(*, incident: Incident, to: str, by) -> bool:
    """Advance a locked incident as a side effect of dispatch (first unit
    assigned → dispatched, first unit on scene → on_scene) when the state
    machine allows it; otherwise leave it.  Caller holds the incident lock."""
    if not allowed(INCIDENT_TRANSITIONS, incident.status, to):
        return False
    current = incident.status
    incident.status = to
    setattr(incident, INCIDENT_STATUS_TIME[to], timezone.now())
    incident.save(update_fields=["status", INCIDENT_STATUS_TIME[to], "updated_at"])
    timeline_add(incident=incident, kind=TimelineKind.STATUS, by=by,
                 text=f"状态: {IncidentStatus(current).label} → {IncidentStatus(to).label}",
                 data={"from": current, "to": to, "automatic": True})
    audit_record(actor=by, action="incident.transition", obj=incident, before={"status": current},
                 after={"status": to}, note="automatic")
    emit("incident.status", {**incident_brief(incident), "from": current, "disposition": ""})
    return True
