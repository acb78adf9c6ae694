"""The audit trail: every write service calls :func:`audit_record` inside its
own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import models, transaction
from django.forms.models import model_to_dict

from cim import roles
from cim.models import AuditLog
from config.common.clip import clip


def _jsonable(value: Any) -> Any:
    if isinstance(value, GEOSGeometry):
        return value.ewkt if value.num_coords < 200 else f"{value.geom_type}({value.num_coords} pts)"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-able picture of a model instance for the before/after columns."""
    data = model_to_dict(instance, exclude=list(exclude))
    data["id"] = instance.pk
    return _jsonable(data)


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> AuditLog:
    """Append one audit row.  Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the write's transaction")
    user = roles.acting_user(actor)
    label = roles.actor_label(actor) if user or isinstance(actor, str) else "anonymous"
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    return AuditLog.objects.create(
        actor=user,
        actor_label=clip(AuditLog, "actor_label", label),
        action=action,
        object_type=object_type or "",
        object_id=clip(AuditLog, "object_id", object_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        note=clip(AuditLog, "note", note),
    )
