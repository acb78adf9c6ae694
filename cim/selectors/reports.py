"""Reads of the residents' report queue: the filtered list and one report,
each with its SLA clocks computed in the database.

Every read takes the user, so that scoping (district, department) is
applied here, in one place, for the API and the pages alike.  The SLA
deadlines come from ``REPORT_RESPOND_HOURS`` / ``REPORT_RESOLVE_HOURS`` (per
category, in :mod:`cim.conf`): a report is *overdue* while it is open and
either nobody has claimed it by its response deadline or it is still open
after its resolution deadline.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from cim.choices import ReportCategory, ReportStatus
from cim.conf import cim_settings
from cim.errors import DomainError, NotFound
from cim.models import PublicReport

__all__ = [
    "REPORT_FILTERS",
    "report_detail",
    "report_queue",
    "report_sla_hours",
    "with_sla",
]

CLOSED = (ReportStatus.RESOLVED, ReportStatus.REJECTED)
REPORT_FILTERS = ("status", "category", "area", "overdue", "mine", "unclaimed", "q")
_AREA_CODE = re.compile(r"^[0-9]{6,12}$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def report_sla_hours(kind: str) -> dict[str, float]:
    """Hours per category for ``kind`` ("respond" or "resolve"); a category the
    setting does not list takes the value of ``other``."""
    table = cim_settings.REPORT_RESPOND_HOURS if kind == "respond" else cim_settings.REPORT_RESOLVE_HOURS
    fallback = float(table.get(ReportCategory.OTHER, 72))
    return {c: float(table.get(c, fallback)) for c in ReportCategory.values}


def _deadline(kind: str):
    hours = report_sla_hours(kind)
    interval = Case(*[When(category=c, then=Value(timedelta(hours=h))) for c, h in hours.items()],
                    default=Value(timedelta(hours=hours[ReportCategory.OTHER])),
                    output_field=DurationField())
    return ExpressionWrapper(F("created_at") + interval, output_field=DateTimeField())


def with_sla(qs: QuerySet, *, now=None) -> QuerySet:
    """``respond_by``, ``resolve_by``, ``due_at`` (the deadline that applies now:
    response while unclaimed, then resolution; none once closed) and
    ``overdue``, all computed by PostgreSQL."""
    now = now or timezone.now()
    qs = qs.annotate(respond_by=_deadline("respond"), resolve_by=_deadline("resolve"))
    open_ = ~Q(status__in=CLOSED)
    late = open_ & ((Q(acknowledged_at__isnull=True) & Q(respond_by__lt=now)) | Q(resolve_by__lt=now))
    return qs.annotate(
        due_at=Case(When(status__in=CLOSED, then=Value(None)),
                    When(acknowledged_at__isnull=True, then=F("respond_by")),
                    default=F("resolve_by"), output_field=DateTimeField()),
        overdue=ExpressionWrapper(late, output_field=BooleanField()),
    )


def _visible(user) -> QuerySet:
    """The reports ``user`` may see (scoping by district/department goes here)."""
    return PublicReport.objects.all()


def _flag(params, name: str) -> bool:
    value = str(params.get(name, "") or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise DomainError(f"{name} must be true or false", field=name)


def report_queue(*, user, params=None) -> QuerySet:
    """The queue as ``user`` sees it, filtered by ``params`` (a GET mapping):

    ``status`` (one or a comma list; ``open`` = not closed), ``category``,
    ``area`` (code of a community, street or district), ``overdue``, ``mine``
    (claimed by the user), ``unclaimed``, ``q`` (tracking code, address or
    description).  Open reports first, the oldest first.  A value that is
    not understood is a :class:`DomainError` naming the parameter."""
    params = params or {}
    qs = with_sla(_visible(user)).select_related("address__admin_area__parent", "claimed_by", "plate")
    status = str(params.get("status", "") or "").strip()
    if status:
        wanted = set()
        for value in (v.strip() for v in status.split(",") if v.strip()):
            if value == "open":
                wanted |= {s for s in ReportStatus.values if s not in CLOSED}
            elif value in ReportStatus.values:
                wanted.add(value)
            else:
                raise DomainError(f"unknown status {value!r}; one of open, "
                                  f"{', '.join(ReportStatus.values)}", field="status")
        qs = qs.filter(status__in=wanted)
    category = str(params.get("category", "") or "").strip()
    if category:
        if category not in ReportCategory.values:
            raise DomainError(f"unknown category {category!r}; one of "
                              f"{', '.join(ReportCategory.values)}", field="category")
        qs = qs.filter(category=category)
    area = str(params.get("area", "") or "").strip()
    if area:
        if not _AREA_CODE.match(area):
            raise DomainError("area is the 6- to 12-digit code of a district, street or community",
                              field="area")
        qs = qs.filter(Q(address__admin_area__code=area) | Q(address__admin_area__parent__code=area)
                       | Q(address__admin_area__parent__parent__code=area))
    if _flag(params, "overdue"):
        qs = qs.filter(overdue=True)
    if _flag(params, "mine"):
        qs = qs.filter(claimed_by=user if getattr(user, "pk", None) else None)
    if _flag(params, "unclaimed"):
        qs = qs.filter(claimed_by__isnull=True)
    text = str(params.get("q", "") or "").strip()
    if len(text) > 100:
        raise DomainError("search text is longer than 100 characters", field="q")
    if text:
        compact = text.replace("-", "").replace(" ", "").upper()
        qs = qs.filter(Q(tracking_code__icontains=compact) | Q(address__full_name__icontains=text)
                       | Q(description__icontains=text))
    return qs.order_by(Case(When(status__in=CLOSED, then=Value(1)), default=Value(0)),
                       "created_at", "id")


def report_detail(*, user, pk) -> PublicReport:
    """One report ``user`` may see, with its SLA clocks and its events in
    order; :class:`NotFound` otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("no such report", field="id") from None
    report = (with_sla(_visible(user)).select_related("address__admin_area__parent", "claimed_by",
                                                      "plate")
              .prefetch_related("events").filter(pk=pk).first())
    if report is None:
        raise NotFound(f"no report {pk}", field="id")
    return report
