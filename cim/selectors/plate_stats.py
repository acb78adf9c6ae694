"""Door-plate figures per community (read-only): plates in service, scans
and distinct clients, residents' reports.  The operations dashboard shows
them (``/api/emergency/stats/plates/`` through :mod:`emergency.stats`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from cim.choices import AdminLevel, ReportStatus
from cim.models import AdminArea, Plate, PlateScanDay, PublicReport
from cim.models.plates import ACTIVE_PLATE_STATUSES
from cim.scope import Scope

__all__ = ["plate_stats"]


def plate_stats(*, since: dt.datetime, until: dt.datetime, scope: Scope | None = None) -> dict[str, Any]:
    """Per community: plates in service, scans and distinct clients
    (estimated) on the days of ``[since, until)``, residents' reports made
    in the window and reports still open; with ``scope`` (a user's
    districts), only the communities in it."""
    scope = scope or Scope.city()
    first_day, last_day = timezone.localdate(since), timezone.localdate(until - dt.timedelta(microseconds=1))
    plates = dict(scope.filter_plates(Plate.objects.all()).filter(status__in=ACTIVE_PLATE_STATUSES)
                  .values_list("address__admin_area").annotate(n=Count("id"))
                  .values_list("address__admin_area", "n"))
    scans = {a: (s, c) for a, s, c in
             scope.apply(PlateScanDay.objects.all(), "plate__address__admin_area")
             .filter(day__gte=first_day, day__lte=last_day)
             .values_list("plate__address__admin_area")
             .annotate(s=Sum("scans"), c=Sum("clients"))
             .values_list("plate__address__admin_area", "s", "c")}
    reports = dict(scope.filter_reports(PublicReport.objects.all())
                   .filter(created_at__gte=since, created_at__lt=until)
                   .values_list("address__admin_area").annotate(n=Count("id"))
                   .values_list("address__admin_area", "n"))
    closed = [ReportStatus.RESOLVED, ReportStatus.REJECTED]
    open_reports = dict(scope.filter_reports(PublicReport.objects.all()).exclude(status__in=closed)
                        .values_list("address__admin_area").annotate(n=Count("id"))
                        .values_list("address__admin_area", "n"))
    area_ids = set(plates) | set(scans) | set(reports) | set(open_reports)
    areas = AdminArea.objects.filter(Q(level=AdminLevel.COMMUNITY) | Q(pk__in=area_ids)).order_by("code")
    if scope.by_district:
        areas = [a for a in areas if scope.covers_area_code(a.code)]
    rows = [{"area": a.pk, "code": a.code, "name": a.name, "level": a.level,
             "plates": plates.get(a.pk, 0), "scans": int(scans.get(a.pk, (0, 0))[0] or 0),
             "clients": int(scans.get(a.pk, (0, 0))[1] or 0), "reports": reports.get(a.pk, 0),
             "open_reports": open_reports.get(a.pk, 0)} for a in areas]
    return {
        "since": since.isoformat(), "until": until.isoformat(),
        "totals": {k: sum(r[k] for r in rows) for k in ("plates", "scans", "reports", "open_reports")},
        "communities": rows,
    }
