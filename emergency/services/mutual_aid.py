"""Mutual aid across districts (跨区支援).

A dispatcher limited to districts sends their own districts' units; a unit
of another district comes only through a request that a city-level
commander or dispatcher (no district limit, :func:`approves_mutual_aid`)
approves — the unit is then assigned by :func:`assignment_create` as the
approver — or declines.  City-level roles assign any unit directly.  Every
request and decision is audited, written on the incident's timeline and
announced on the live stream (``mutual_aid.requested`` / ``.decided``) to the
consoles of both districts and the city.  Refusals are audited too
(:func:`refusal_audit`), in a transaction of their own when the caller has none."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.scope import Scope
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import MutualAidStatus, TimelineKind, UnitStatus
from emergency.errors import Conflict, DomainError, NotFound
from emergency.events import emit
from emergency.models import Incident, MutualAidRequest, Unit
from emergency.services._common import timeline_add
from emergency.services.assignments import assignment_create
from emergency.services.dispatch_scope import mutual_aid_approver_required, unit_district_names
from emergency.states import INCIDENT_DISPATCHABLE

__all__ = ["mutual_aid_decide", "mutual_aid_request"]


def _clean_text(value: str, *, field: str, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(f"give a {field}", field=field)
    return clip(MutualAidRequest, "reason" if field == "reason" else "decision_note", text)


@transaction.atomic
def mutual_aid_request(*, incident: Incident, unit: int, reason: str, by) -> MutualAidRequest:
    """Ask for a unit of another district for ``incident`` (which the caller
    already found in their scope).  Refused: a unit of one's own scope
    (assign it directly), a city-level caller (likewise), an incident that
    cannot take units, a unit not available, a request already pending."""
    reason = _clean_text(reason, field="reason", required=True)
    found = Unit.objects.filter(pk=unit).first()
    if found is None:
        raise NotFound(f"unit {unit} does not exist", field="unit")
    if not Scope.for_user(roles.acting_user(by)).units_outside(Unit.objects.filter(pk=unit)).exists():
        raise DomainError(f"unit {found.code} is in your scope: assign it directly", field="unit",
                          code="in_scope")
    locked = locks.lock_incident(incident.pk)
    if locked.status not in INCIDENT_DISPATCHABLE:
        raise Conflict(f"incident {locked.number} is {locked.status}; units cannot be sent", field="incident")
    unit_row = locks.lock_unit(found.pk)
    if unit_row.status != UnitStatus.AVAILABLE:
        raise Conflict(f"unit {unit_row.code} is not available (status {unit_row.status})", field="unit",
                       code="unit_unavailable")
    pending = MutualAidRequest.objects.filter(incident=locked, unit=unit_row, status=MutualAidStatus.PENDING)
    if pending.exists():
        raise Conflict(f"a request for {unit_row.code} is already pending", field="unit")
    district = unit_district_names([unit_row.pk]).get(unit_row.pk, "")
    request = MutualAidRequest.objects.create(incident=locked, unit=unit_row, reason=reason,
                                              requested_by=roles.acting_user(by))
    timeline_add(incident=locked, kind=TimelineKind.MUTUAL_AID, by=by,
                 text=f"申请跨区支援 {unit_row.code} {unit_row.name}({district}):{reason}",
                 data={"mutual_aid": request.pk, "unit": unit_row.pk, "status": request.status})
    audit_record(actor=by, action="mutual_aid.request", obj=request,
                 after={"incident": locked.pk, "unit": unit_row.pk, "reason": reason})
    emit("mutual_aid.requested", {"mutual_aid": request.pk, "incident": locked.pk, "number": locked.number,
                                  "unit": unit_row.pk, "code": unit_row.code, "district": district,
                                  "status": request.status})
    return request


def mutual_aid_decide(*, request: MutualAidRequest, approve: bool, note: str, by) -> MutualAidRequest:
    """Approve (the unit is assigned to the incident, as ``by``) or decline
    (a note says why) a pending request; city-level commanders and
    dispatchers only (anyone else: 403, audited).  All or nothing: a unit
    taken meanwhile is a 409 and the request stays pending."""
    mutual_aid_approver_required(by=by, request=request)
    note = _clean_text(note, field="note", required=not approve)
    return _decide(request=request, approve=approve, note=note, by=by)


@transaction.atomic
def _decide(*, request: MutualAidRequest, approve: bool, note: str, by) -> MutualAidRequest:
    incident = locks.lock_incident(request.incident_id)
    locked = locks.lock_mutual_aid(request.pk)
    if locked.status != MutualAidStatus.PENDING:
        raise Conflict(f"the request is already {locked.status}", field="status")
    if approve:
        locked.assignment = assignment_create(incident=incident, units=[locked.unit_id], by=by)[0]
    locked.status = MutualAidStatus.APPROVED if approve else MutualAidStatus.DECLINED
    locked.decided_by = roles.acting_user(by)
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "assignment", "decided_by", "decided_at", "decision_note"])
    unit = locked.unit
    verb = "批准" if approve else "拒绝"
    timeline_add(incident=incident, kind=TimelineKind.MUTUAL_AID, by=by,
                 text=f"{verb}跨区支援 {unit.code} {unit.name}" + (f":{note}" if note else ""),
                 data={"mutual_aid": locked.pk, "unit": unit.pk, "status": locked.status})
    audit_record(actor=by, action="mutual_aid.approve" if approve else "mutual_aid.decline", obj=locked,
                 before={"status": MutualAidStatus.PENDING},
                 after={"status": locked.status, "note": note, "assignment": locked.assignment_id})
    emit("mutual_aid.decided", {"mutual_aid": locked.pk, "incident": incident.pk, "number": incident.number,
                                "unit": unit.pk, "code": unit.code, "status": locked.status})
    return locked
