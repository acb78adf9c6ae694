"""Reads of the audit trail: the one filter the viewer page and its CSV export use."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from cim.errors import DomainError
from cim.models import AuditLog

__all__ = ["AUDIT_FILTERS", "audit_entries", "recent_actions"]

# query parameter → what it filters
AUDIT_FILTERS = ("actor", "action", "object_type", "object_id", "since", "until")


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{field} must be a date like 2026-12-06, not {value[:20]!r}",
                          field=field) from None


def audit_entries(params) -> QuerySet[AuditLog]:
    """Audit rows, newest first, filtered by ``params`` (a QueryDict or dict):
    ``actor`` (part of the name), ``action`` (exact, or a prefix ending in
    ``.``: ``report.``), ``object_type``, ``object_id``, ``since`` / ``until``
    (dates, both days included).  A bad value is a :class:`DomainError`
    naming the parameter."""
    rows = AuditLog.objects.all()
    actor = (params.get("actor") or "").strip()
    if actor:
        rows = rows.filter(actor_label__icontains=actor[:150])
    action = (params.get("action") or "").strip()
    if action:
        rows = rows.filter(action__startswith=action) if action.endswith(".") else rows.filter(action=action)
    for field in ("object_type", "object_id"):
        value = (params.get(field) or "").strip()
        if value:
            rows = rows.filter(**{field: value[:64]})
    zone = timezone.get_current_timezone()
    since, until = (params.get("since") or "").strip(), (params.get("until") or "").strip()
    first = _day(since, "since") if since else None
    last = _day(until, "until") if until else None
    if first and last and last < first:
        raise DomainError("until is before since", field="until")
    if first:
        rows = rows.filter(at__gte=datetime.combine(first, time.min, tzinfo=zone))
    if last:
        rows = rows.filter(at__lte=datetime.combine(last, time.max, tzinfo=zone))
    return rows.order_by("-at", "-id")


def recent_actions(sample: int = 5000) -> list[str]:
    """The action names of the newest ``sample`` rows, sorted (suggestions for
    the filter): bounded work however long the trail grows."""
    newest = AuditLog.objects.order_by("-id").values_list("action", flat=True)[:sample]
    return sorted(set(newest))
