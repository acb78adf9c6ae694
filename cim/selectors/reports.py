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

import math
import re
from datetime import timedelta

import shapely
from django.db import connection
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
from cim.scope import Scope

__all__ = [
    "REPORT_FILTERS",
    "report_detail",
    "report_map_data",
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
    interval = Case(
        *[When(category=c, then=Value(timedelta(hours=h))) for c, h in hours.items()],
        default=Value(timedelta(hours=hours[ReportCategory.OTHER])),
        output_field=DurationField(),
    )
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
        due_at=Case(
            When(status__in=CLOSED, then=Value(None)),
            When(acknowledged_at__isnull=True, then=F("respond_by")),
            default=F("resolve_by"),
            output_field=DateTimeField(),
        ),
        overdue=ExpressionWrapper(late, output_field=BooleanField()),
    )


def _visible(user) -> QuerySet:
    """The reports ``user`` may see: those at addresses in the user's districts
    (:mod:`cim.scope`); the queue and the detail both start here."""
    return Scope.for_user(user).filter_reports(PublicReport.objects.all())


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
                raise DomainError(
                    f"unknown status {value!r}; one of open, {', '.join(ReportStatus.values)}",
                    field="status",
                    code="invalid_choice",
                )
        qs = qs.filter(status__in=wanted)
    category = str(params.get("category", "") or "").strip()
    if category:
        if category not in ReportCategory.values:
            raise DomainError(
                f"unknown category {category!r}; one of {', '.join(ReportCategory.values)}",
                field="category",
                code="invalid_choice",
            )
        qs = qs.filter(category=category)
    area = str(params.get("area", "") or "").strip()
    if area:
        if not _AREA_CODE.match(area):
            raise DomainError(
                "area is the 6- to 12-digit code of a district, street or community", field="area"
            )
        qs = qs.filter(
            Q(address__admin_area__code=area)
            | Q(address__admin_area__parent__code=area)
            | Q(address__admin_area__parent__parent__code=area)
        )
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
        qs = qs.filter(
            Q(tracking_code__icontains=compact)
            | Q(address__full_name__icontains=text)
            | Q(description__icontains=text)
        )
    return qs.order_by(Case(When(status__in=CLOSED, then=Value(1)), default=Value(0)), "created_at", "id")


def report_detail(*, user, pk) -> PublicReport:
    """One report ``user`` may see, with its SLA clocks and its events in
    order; :class:`NotFound` otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("no such report", field="id") from None
    if not 0 < pk < 2**63:  # beyond bigint: not a record, and not a database error either
        raise NotFound(f"no report {pk}", field="id")
    report = (
        with_sla(_visible(user))
        .select_related("address__admin_area__parent", "claimed_by", "plate")
        .prefetch_related("events")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFound(f"no report {pk}", field="id")
    return report


# Map colours of a report: overdue, open, closed.
MAP_COLOURS = {"overdue": "#d1242f", "open": "#1f4e9c", "closed": "#8c959f"}
_MAP_ROAD_ORDER = ("motorway", "trunk", "primary", "secondary", "tertiary", "residential", "service")


def report_map_data(reports, *, labels=None):
    """A 2D map (the scan page's :mod:`cim.plates.mapdraw`) of ``reports``:
    one numbered pin each (``labels``, default 1, 2, …), red when overdue, grey
    once closed, over the roads of the area.  None when no report has a place."""
    from cim.plates.mapdraw import MapData, fit_radius

    placed = [
        (r, lbl)
        for r, lbl in zip(reports, labels or range(1, len(reports) + 1), strict=False)
        if r.position is not None
    ]
    if not placed:
        return None
    lons = [r.position.x for r, _ in placed]
    lats = [r.position.y for r, _ in placed]
    centre = ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
    radius = fit_radius(centre, list(zip(lons, lats, strict=True)), least=350.0, most=8000.0)
    # reports at the same place share one pin, labelled with the first number and "+"
    groups: dict[tuple[float, float], list] = {}
    for report, label in placed:
        groups.setdefault((round(report.position.x, 6), round(report.position.y, 6)), []).append(
            (report, label)
        )
    points = []
    for (lon, lat), members in groups.items():
        states = set()
        for report, _label in members:
            state = "closed" if report.status in CLOSED else "open"
            if state == "open" and getattr(report, "overdue", False):
                state = "overdue"
            states.add(state)
        state = next(s for s in ("overdue", "open", "closed") if s in states)
        labels_here = [str(label) for _r, label in members]
        text = labels_here[0] if len(labels_here) == 1 else f"{labels_here[0]}+"
        points.append((lon, lat, text, MAP_COLOURS[state]))
    data = MapData(centre=centre, radius_m=radius, points=points, mark_centre=False)
    dlat = radius / 110_574.0
    dlon = radius / (111_320.0 * max(0.1, math.cos(math.radians(centre[1]))))
    # a wide view draws the main roads only; a street-sized one every road
    classes = _MAP_ROAD_ORDER[:5] if radius > 1500 else _MAP_ROAD_ORDER
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_AsBinary(geom), road_class, name FROM cim_roadsegment "
            "WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND road_class = ANY(%s) "
            "ORDER BY array_position(%s::text[], road_class::text) LIMIT 2500",
            [
                centre[0] - dlon,
                centre[1] - dlat,
                centre[0] + dlon,
                centre[1] + dlat,
                list(classes),
                list(_MAP_ROAD_ORDER),
            ],
        )
        for wkb, road_class, name in cur.fetchall():
            data.roads.append((list(shapely.from_wkb(bytes(wkb)).coords), road_class, name))
    return data
