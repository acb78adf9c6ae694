"""Writes of the responder's field app: acknowledging an assignment, and the
one idempotent entry for everything a device sends (:func:`field_op_apply`),
whether at once or from its offline queue on reconnect.

Positions still go through the one ingestion path
(:func:`emergency.live.ingest.positions_ingest`) and status changes through
the unit state machine (:func:`emergency.services.units.unit_set_status`);
this module only adds the device's operation id, so a resent operation gets
the answer it got the first time and changes nothing again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from emergency import locks
from emergency.choices import TimelineKind
from emergency.conf import emergency_settings
from emergency.errors import Conflict, DomainError, NotFound
from emergency.events import emit
from emergency.live.choices import PositionSource
from emergency.live.ingest import positions_ingest
from emergency.models import Assignment, FieldOp, Unit
from emergency.services._common import timeline_add
from emergency.services.units import unit_set_status

__all__ = ["FIELD_OP_KINDS", "assignment_acknowledge", "field_op_apply", "field_unit_of"]

FIELD_OP_KINDS = ("ack", "positions", "status")


def field_unit_of(user, unit_id: int | None = None) -> Unit:
    """The unit a responder reports for: the one named (they must crew it)
    or, when they crew exactly one, that one."""
    units = Unit.objects.filter(members=user).order_by("pk")
    if unit_id is not None:
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise NotFound(f"you are not a crew member of unit {unit_id}", field="unit")
        return unit
    found = list(units[:2])
    if not found:
        raise NotFound("your account belongs to no unit; ask the duty officer to add you to one",
                       field="unit")
    if len(found) > 1:
        raise DomainError("you crew several units; name the unit", field="unit")
    return found[0]


@transaction.atomic
def assignment_acknowledge(*, assignment_id: int, by, at: dt.datetime | None = None) -> Assignment:
    """The crew confirms on its device that it received an assignment.
    Only a member of the assigned unit may; a released assignment cannot be
    acknowledged (409); acknowledging twice keeps the first time."""
    current = Assignment.objects.filter(pk=assignment_id).values_list("incident_id", "unit_id").first()
    if current is None or not Unit.members.through.objects.filter(unit_id=current[1], user_id=by.pk).exists():
        raise NotFound(f"assignment {assignment_id} is not one of your unit's", field="assignment")
    locks.lock_incident(current[0])
    assignment = locks.lock_assignment(assignment_id)
    if assignment.released_at is not None:
        raise Conflict(f"assignment {assignment_id} was released at "
                       f"{timezone.localtime(assignment.released_at):%H:%M:%S} ({assignment.release_reason})",
                       field="assignment", code="released")
    if assignment.acknowledged_at is not None:
        return assignment
    now = timezone.now()
    assignment.acknowledged_at = min(max(at or now, assignment.assigned_at), now)
    assignment.acknowledged_by = roles.acting_user(by)
    assignment.save(update_fields=["acknowledged_at", "acknowledged_by"])
    waited = (assignment.acknowledged_at - assignment.assigned_at).total_seconds()
    unit = assignment.unit
    timeline_add(incident=assignment.incident, kind=TimelineKind.ASSIGNMENT, by=by,
                 text=f"{unit.code} 已确认接收派遣({waited:.0f} 秒)",
                 data={"unit": unit.pk, "assignment": assignment.pk, "acknowledged": True})
    audit_record(actor=by, action="assignment.acknowledge", obj=assignment,
                 after={"acknowledged_at": assignment.acknowledged_at.isoformat(), "waited_s": waited})
    emit("assignment.acknowledged", {"assignment": assignment.pk, "incident": assignment.incident_id,
                                     "unit": unit.pk, "code": unit.code,
                                     "at": assignment.acknowledged_at.isoformat()})
    return assignment


def _client_at(raw: Any) -> dt.datetime:
    if not isinstance(raw, str):
        raise DomainError("at must be the ISO 8601 time the operation was made on the device", field="at")
    try:
        at = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise DomainError(f"at {raw[:40]!r} is not an ISO 8601 time", field="at") from None
    if at.tzinfo is None:
        raise DomainError("at needs a time-zone offset", field="at")
    now = timezone.now()
    if at > now + dt.timedelta(seconds=60):
        raise DomainError("at lies in the future (check the device's clock)", field="at")
    if at < now - dt.timedelta(seconds=float(emergency_settings.FIELD_OP_MAX_AGE_S)):
        raise DomainError("the operation is too old to be applied", field="at", code="expired")
    return at


def _apply(*, user, kind: str, at: dt.datetime, body: dict) -> dict:
    if kind == "ack":
        assignment = body.get("assignment")
        if not isinstance(assignment, int) or isinstance(assignment, bool):
            raise DomainError("assignment must be an assignment id", field="assignment")
        done = assignment_acknowledge(assignment_id=assignment, by=user, at=at)
        return {"assignment": done.pk, "acknowledged_at": done.acknowledged_at.isoformat()}
    if kind == "status":
        unit = field_unit_of(user, body.get("unit") if isinstance(body.get("unit"), int) else None)
        status, note = body.get("status"), body.get("note", "")
        if not isinstance(status, str):
            raise DomainError("status is required", field="status")
        if not isinstance(note, str):
            raise DomainError("note must be text", field="note")
        moved = unit_set_status(unit=unit, status=status, by=user, note=note, at=at)
        return {"unit": moved.pk, "status": moved.status,
                "status_changed_at": moved.status_changed_at.isoformat()}
    result = positions_ingest(items=body.get("items"), by=user, source=PositionSource.HTTP)
    if not result.accepted:
        raise DomainError("no position fix was accepted", field="items", **result.as_dict())
    return result.as_dict()


def field_op_apply(*, user, client_id: Any, kind: Any, at: Any, body: dict) -> tuple[int, dict, bool]:
    """Apply one operation of a field device, once: ``(http status, answer,
    replayed)``.  The operation and its answer are stored under the device's
    ``client_id`` in the same transaction as the change; sent again, the
    stored answer comes back (``replayed``) and nothing changes.  A refusal
    (400/404/409) is stored too: resending a refused status change is
    refused the same way, never applied later out of order."""
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
        raise DomainError("id must be the device's operation id (8–64 characters)", field="id")
    if kind not in FIELD_OP_KINDS:
        raise DomainError(f"type must be one of {', '.join(FIELD_OP_KINDS)}", field="type")
    stored = FieldOp.objects.filter(user=user, client_id=client_id).first()
    if stored is not None:
        return _replayed(stored, kind)
    when = timezone.now()
    try:
        with transaction.atomic():
            when = _client_at(at)
            op = FieldOp.objects.create(user=user, client_id=client_id, kind=kind, client_at=when,
                                        http_status=200, answer={})
            answer = _apply(user=user, kind=kind, at=when, body=body)
            op.answer = answer
            op.save(update_fields=["answer"])
            return 200, answer, False
    except IntegrityError:  # the same id sent twice at once: the first one won
        first = FieldOp.objects.filter(user=user, client_id=client_id).first()
        if first is None:
            raise
        return _replayed(first, kind)
    except DomainError as exc:
        answer = {"error": exc.code, "detail": exc.message, "field": exc.field, **exc.extra}
        try:
            with transaction.atomic():
                FieldOp.objects.create(user=user, client_id=client_id, kind=kind, client_at=when,
                                       http_status=exc.http_status, answer=answer)
        except IntegrityError:
            return _replayed(FieldOp.objects.get(user=user, client_id=client_id), kind)
        return exc.http_status, answer, False


def _replayed(op: FieldOp, kind: str) -> tuple[int, dict, bool]:
    if op.kind != kind:
        raise Conflict(f"operation id {op.client_id} was used for a {op.kind} operation", field="id")
    return op.http_status, op.answer, True
