"""The audit trail for administrators (/audit/): who did or read what, when;
filtered, paged, exported as CSV (the export is itself audited)."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from cim import roles
from cim.errors import DomainError
from cim.selectors.audit import AUDIT_FILTERS, audit_entries, recent_actions
from cim.services.audit import audit_record

__all__ = ["audit_export", "audit_log"]

AUDIT_ROLES = roles.AUDIT_ROLES
PAGE_SIZE = 50
EXPORT_MAX_ROWS = 100_000


def _allowed(request) -> None:
    if not roles.has_role(request.user, *AUDIT_ROLES):
        raise PermissionDenied("the audit trail is for administrators and auditors")


@login_required
def audit_log(request):
    _allowed(request)
    filters = {name: request.GET.get(name, "") for name in AUDIT_FILTERS}
    try:
        rows = audit_entries(request.GET)
        error = None
    except DomainError as exc:
        rows, error = audit_entries({}).none(), exc
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})  # "&", "#", "+" in a value stay in it
    return render(request, "viewer/audit.html", {
        "page": page, "filters": filters, "error": error, "query": query,
        "actions": recent_actions(),
    }, status=400 if error else 200)


class _Echo:
    def write(self, value):
        return value


@login_required
def audit_export(request):
    """The filtered rows as CSV (UTF-8 with a byte-order mark, so that Excel
    reads the Chinese); the export itself is an audit row."""
    _allowed(request)
    try:
        rows = audit_entries(request.GET)
    except DomainError as exc:
        return render(request, "viewer/audit.html", {"error": exc, "filters": {}, "page": None}, status=400)
    with transaction.atomic():
        audit_record(actor=request.user, action="audit.export", object_type="cim.auditlog",
                     after={k: request.GET.get(k) for k in AUDIT_FILTERS if request.GET.get(k)},
                     note=f"{min(rows.count(), EXPORT_MAX_ROWS)} rows")
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(["at", "actor", "action", "object_type", "object_id", "note",
                                          "before", "after"])
        for row in rows[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            yield writer.writerow([timezone.localtime(row.at).isoformat(), row.actor_label, row.action,
                                   row.object_type, row.object_id, row.note,
                                   "" if row.before is None else row.before,
                                   "" if row.after is None else row.after])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
