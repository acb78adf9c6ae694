"""Writes of dispatch requests: asking for units of a type by hand (the
assignments that follow fill them, :mod:`emergency.services.assignments`)."""

from __future__ import annotations

from django.db import transaction

from cim import roles
from cim.services.audit import audit_record
from emergency import locks
from emergency.choices import TimelineKind, UnitType
from emergency.errors import Conflict, DomainError
from emergency.events import emit
from emergency.models import DispatchRequest, Incident
from emergency.services._common import timeline_add
from emergency.states import INCIDENT_TERMINAL

__all__ = ["dispatch_request_create"]


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
