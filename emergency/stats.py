"""Figures of the operations dashboard (read-only selectors).

* :func:`incident_stats` — incidents reported in a window by category,
  level, status and hour (merged duplicates left out);
* :func:`response_times` — per incident the segments of the first unit on
  scene (call processing = dispatched − received, turnout = en route −
  dispatched, travel = on scene − en route, response = on scene −
  dispatched) against the targets in ``STATS_TARGETS``, with a summary;
* :func:`unit_stats` — units by status and type, stale and unplaced ones;
* :func:`supply_stats` — stock of each item against its minimum levels;
* :func:`plate_stats` — door plates, scans and residents' reports per
  community (computed in cim, :mod:`cim.selectors.plate_stats`; emergency
  builds on cim, never the reverse).

:func:`response_segments` and :func:`summarise` are pure (plain tuples in,
numbers out) and tested directly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractHour, TruncHour
from django.utils import timezone

from cim.scope import Scope
from cim.selectors.plate_stats import plate_stats
from emergency.choices import IncidentCategory, IncidentLevel, IncidentStatus, UnitStatus, UnitType
from emergency.conf import emergency_settings
from emergency.live.conf import stale_after_s
from emergency.models import Incident, ReplenishmentAlert, Stock, Unit, UnitStatusChange
from emergency.selectors_notify import agency_tasks_overdue
from emergency.states import INCIDENT_ACTIVE

__all__ = [
    "UnitTimes",
    "incident_stats",
    "plate_stats",
    "response_segments",
    "response_times",
    "summarise",
    "supply_stats",
    "unit_stats",
]


def _choice_counts(counts: Mapping[str, int], choices) -> list[dict[str, Any]]:
    """Every choice with its count (zeros included), in the choices' order."""
    return [{"key": value, "label": str(label), "count": int(counts.get(value, 0))}
            for value, label in choices.choices]


def _incidents(scope: Scope | None):
    return Incident.objects.all() if scope is None else scope.filter_incidents(Incident.objects.all())


def incident_stats(*, since: dt.datetime, until: dt.datetime, scope: Scope | None = None) -> dict[str, Any]:
    """Incidents reported in ``[since, until)``: totals, by category, level,
    status, by hour (every hour of the window, local time) and by hour of
    the day (0–23); those in ``scope`` (a user's districts) when given."""
    tz = timezone.get_current_timezone()
    qs = (_incidents(scope).filter(reported_at__gte=since, reported_at__lt=until)
          .exclude(status=IncidentStatus.MERGED))

    def counts(field: str) -> dict[str, int]:
        return dict(qs.values_list(field).annotate(n=Count("id")).values_list(field, "n"))

    hourly = dict(qs.annotate(h=TruncHour("reported_at", tzinfo=tz)).values_list("h")
                  .annotate(n=Count("id")).values_list("h", "n"))
    start = timezone.localtime(since, tz).replace(minute=0, second=0, microsecond=0)
    by_hour = []
    hour = start
    while hour < until:
        by_hour.append({"hour": hour.isoformat(), "count": int(hourly.get(hour, 0))})
        hour = timezone.localtime(hour + dt.timedelta(hours=1), tz)
    of_day = dict(qs.annotate(h=ExtractHour("reported_at", tzinfo=tz)).values_list("h")
                  .annotate(n=Count("id")).values_list("h", "n"))
    return {
        "since": since.isoformat(), "until": until.isoformat(),
        "total": qs.count(),
        "active": qs.filter(status__in=INCIDENT_ACTIVE).count(),
        "overdue_tasks": agency_tasks_overdue(scope).count(),
        "by_category": _choice_counts(counts("category"), IncidentCategory),
        "by_level": _choice_counts(counts("level"), IncidentLevel),
        "by_status": _choice_counts(counts("status"), IncidentStatus),
        "by_hour": by_hour,
        "by_hour_of_day": [{"hour": h, "count": int(of_day.get(h, 0))} for h in range(24)],
    }


# --------------------------------------------------------------- response times
@dataclass(frozen=True)
class UnitTimes:
    """When one unit was dispatched to, left for and reached one incident."""

    unit: int
    code: str
    unit_type: str
    dispatched: dt.datetime | None
    en_route: dt.datetime | None
    on_scene: dt.datetime | None


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return round((b - a).total_seconds(), 1)


def _turnout_target(targets: Mapping[str, Any], unit_type: str | None) -> float:
    turnout = targets["turnout_s"]
    if isinstance(turnout, Mapping):
        return float(turnout.get(unit_type or "", turnout.get("default", 80)))
    return float(turnout)


def response_segments(*, received: dt.datetime, dispatched: dt.datetime | None,
                      units: Iterable[UnitTimes], targets: Mapping[str, Any]) -> dict[str, Any]:
    """The segments of one incident, measured on its first unit on scene
    (else the first unit en route, else the first dispatched), each with
    its target and whether it was met (None while unknown)."""
    units = list(units)
    arrived = [u for u in units if u.on_scene is not None]
    left = [u for u in units if u.en_route is not None]
    if arrived:
        first = min(arrived, key=lambda u: (u.on_scene, u.unit))
    elif left:
        first = min(left, key=lambda u: (u.en_route, u.unit))
    else:
        sent = [u for u in units if u.dispatched is not None]
        first = min(sent, key=lambda u: (u.dispatched, u.unit)) if sent else None
    unit_dispatched = first.dispatched if first else None
    values = {
        "call_processing_s": _seconds(received, dispatched),
        "turnout_s": _seconds(unit_dispatched, first.en_route) if first else None,
        "travel_s": _seconds(first.en_route, first.on_scene) if first else None,
        "response_s": _seconds(unit_dispatched, first.on_scene) if first else None,
    }
    goal = {
        "call_processing_s": float(targets["call_processing_s"]),
        "turnout_s": _turnout_target(targets, first.unit_type if first else None),
        "travel_s": float(targets["travel_s"]),
        "response_s": float(targets["response_s"]),
    }
    return {
        "unit": {"id": first.unit, "code": first.code, "unit_type": first.unit_type} if first else None,
        "segments": {name: {"seconds": value, "target_s": goal[name],
                            "met": None if value is None else value <= goal[name]}
                     for name, value in values.items()},
    }


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarise(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Per segment: how many incidents have it, median, 90th percentile,
    and the share that met the target."""
    rows = list(rows)
    out = {}
    for name in ("call_processing_s", "turnout_s", "travel_s", "response_s"):
        measured = [r["segments"][name] for r in rows if r["segments"][name]["seconds"] is not None]
        values = sorted(m["seconds"] for m in measured)
        out[name] = {
            "count": len(values),
            "median_s": round(_percentile(values, 0.5), 1) if values else None,
            "p90_s": round(_percentile(values, 0.9), 1) if values else None,
            "met_share": round(sum(1 for m in measured if m["met"]) / len(measured), 3) if measured else None,
        }
    return out


def response_times(*, since: dt.datetime, until: dt.datetime, limit: int = 500,
                   scope: Scope | None = None) -> dict[str, Any]:
    """Response-time segments of the incidents reported in ``[since,
    until)`` that were dispatched (newest first, at most ``limit``), their
    targets and a summary; those in ``scope`` when given."""
    targets = emergency_settings.STATS_TARGETS
    incidents = list(_incidents(scope).filter(reported_at__gte=since, reported_at__lt=until,
                                             dispatched_at__isnull=False)
                     .exclude(status=IncidentStatus.MERGED)
                     .order_by("-reported_at", "-id")
                     .values("id", "number", "title", "incident_type", "level", "status", "reported_at",
                             "dispatched_at")[:limit])
    times: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    changes = (UnitStatusChange.objects
               .filter(incident_id__in=[i["id"] for i in incidents],
                       to_status__in=[UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE])
               .order_by("at", "id")
               .values_list("incident_id", "unit_id", "unit__code", "unit__unit_type", "to_status", "at"))
    for incident_id, unit_id, code, unit_type, to_status, at in changes:
        entry = times[incident_id].setdefault(unit_id, {"code": code, "unit_type": unit_type})
        entry.setdefault(to_status, at)  # the first time of each status counts
    rows = []
    for inc in incidents:
        units = [UnitTimes(unit=u, code=e["code"], unit_type=e["unit_type"],
                           dispatched=e.get(UnitStatus.DISPATCHED), en_route=e.get(UnitStatus.EN_ROUTE),
                           on_scene=e.get(UnitStatus.ON_SCENE))
                 for u, e in sorted(times[inc["id"]].items())]
        seg = response_segments(received=inc["reported_at"], dispatched=inc["dispatched_at"], units=units,
                                targets=targets)
        rows.append({"incident": inc["id"], "number": inc["number"], "title": inc["title"],
                     "incident_type": inc["incident_type"], "level": inc["level"], "status": inc["status"],
                     "reported_at": inc["reported_at"].isoformat(), **seg})
    turnout = targets["turnout_s"]
    return {
        "since": since.isoformat(), "until": until.isoformat(),
        "targets": {**targets, "turnout_s": dict(turnout) if isinstance(turnout, Mapping) else turnout},
        "summary": summarise(rows),
        "incidents": rows,
    }


# ----------------------------------------------------------------------- units
def unit_stats(*, scope: Scope | None = None) -> dict[str, Any]:
    """Units by status, by type and status, and how many are stale or have
    no position at all; those in ``scope`` when given."""
    units = Unit.objects.all() if scope is None else scope.filter_units(Unit.objects.all())
    by_status = dict(units.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    matrix: dict[str, dict[str, int]] = defaultdict(dict)
    for unit_type, status, n in (units.values_list("unit_type", "status").annotate(n=Count("id"))
                                 .values_list("unit_type", "status", "n")):
        matrix[unit_type][status] = n
    cutoff = timezone.now() - dt.timedelta(seconds=stale_after_s())
    return {
        "total": sum(by_status.values()),
        "by_status": _choice_counts(by_status, UnitStatus),
        "by_type": [{"key": t, "label": str(label),
                     "by_status": {s: matrix.get(t, {}).get(s, 0) for s in UnitStatus.values},
                     "count": sum(matrix.get(t, {}).values())}
                    for t, label in UnitType.choices if t in matrix],
        "stale": units.filter(last_position_at__lt=cutoff).count(),
        "no_position": units.filter(last_position__isnull=True).count(),
        "stale_after_s": stale_after_s(),
    }


# -------------------------------------------------------------------- supplies
def supply_stats() -> dict[str, Any]:
    """Per item: stock over all depots against the sum of minimum levels,
    and the depots below their minimum; the open replenishment alerts."""
    below = Q(quantity__lt=F("minimum"))
    items = (Stock.objects.values("item_id", "item__code", "item__name", "item__unit_of_measure")
             .annotate(depots_below=Count("id", filter=below), total_quantity=Sum("quantity"),
                       total_minimum=Sum("minimum"), depots=Count("id"))
             .order_by("item__code"))
    short = Stock.objects.filter(below).select_related("depot", "item").order_by("depot__code", "item__code")
    return {
        "items": [{"item": r["item_id"], "code": r["item__code"], "name": r["item__name"],
                   "unit_of_measure": r["item__unit_of_measure"], "quantity": r["total_quantity"],
                   "minimum": r["total_minimum"], "depots": r["depots"], "depots_below": r["depots_below"]}
                  for r in items],
        "below_minimum": [{"depot": s.depot_id, "depot_code": s.depot.code, "depot_name": s.depot.name,
                           "item": s.item_id, "item_code": s.item.code, "quantity": s.quantity,
                           "minimum": s.minimum} for s in short],
        "open_alerts": ReplenishmentAlert.objects.filter(resolved_at__isnull=True).count(),
    }
