"""Recommending units for an incident: the fastest available units of each
required type by road, from ONE search over the reversed graph rooted at the
incident (not one search per unit).

Read-only: nothing is locked or written; the assignment service checks
availability again under locks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.contrib.gis.geos import Point
from django.db.models import Count
from django.utils import timezone

from cim.routing.service import road_graph
from cim.scope import Scope
from emergency.choices import UnitType
from emergency.conf import emergency_settings
from emergency.dispatch_state import snapshot
from emergency.errors import DomainError, Unroutable
from emergency.models import Assignment, DispatchRequest, Incident, Unit
from emergency.routing import snap_point
from emergency.services.dispatch_scope import unit_district_names

__all__ = ["UnitOrigin", "incident_needs", "recommend_units", "unit_origin"]


def _outside(scope: Scope | None, unit_ids: np.ndarray) -> np.ndarray:
    """Per unit: outside ``scope`` (a mutual-aid candidate only)."""
    if scope is None or scope.city_wide or not len(unit_ids):
        return np.zeros(len(unit_ids), dtype=bool)
    out = set(scope.units_outside(Unit.objects.filter(pk__in=unit_ids.tolist())).values_list("pk", flat=True))
    return np.fromiter((u in out for u in unit_ids.tolist()), dtype=bool, count=len(unit_ids))


@dataclass(frozen=True)
class UnitOrigin:
    """Where a unit starts from: its fresh AVL fix, else its home station."""

    point: Point
    source: str  # "avl" or "station"
    age_s: float | None


def _origin(lon, lat, age, station_lon, station_lat, *,
            stale_s: float) -> tuple[float, float, str, float | None] | None:
    """(lon, lat, "avl"/"station", age of the fix in s) or None."""
    if lon is not None and age is not None and age <= stale_s:
        return lon, lat, "avl", age
    if station_lon is not None:
        return station_lon, station_lat, "station", age
    return None


def unit_origin(unit: Unit, *, now: dt.datetime | None = None) -> UnitOrigin | None:
    """Where a unit starts from: its fresh AVL fix, else its home station."""
    station = unit.home_station.geom if unit.home_station_id and unit.home_station else None
    now = now or timezone.now()
    age = (now - unit.last_position_at).total_seconds() if unit.last_position_at else None
    found = _origin(unit.last_position.x if unit.last_position else None,
                    unit.last_position.y if unit.last_position else None, age,
                    station.x if station else None, station.y if station else None,
                    stale_s=float(emergency_settings.UNIT_POSITION_STALE_S))
    if found is None:
        return None
    lon, lat, source, age = found
    return UnitOrigin(Point(lon, lat, srid=4326), source, age)


def incident_needs(incident: Incident, *,
                   assigned: dict[str, int] | None = None) -> dict[str, dict[str, int]]:
    """Per unit type: requested (dispatch requests), assigned (units sent and
    not called off before leaving) and still needed."""
    requested: dict[str, int] = defaultdict(int)
    rows = DispatchRequest.objects.filter(incident=incident).values_list("unit_type", "count")
    for unit_type, count in rows:
        requested[unit_type] += count
    if assigned is None:
        assigned = dict(
            Assignment.objects.filter(incident=incident).exclude(release_reason="cancelled")
            .values("unit__unit_type").annotate(n=Count("id")).values_list("unit__unit_type", "n"))
    return {t: {"requested": requested.get(t, 0), "assigned": assigned.get(t, 0),
                "needed": max(0, requested.get(t, 0) - assigned.get(t, 0))}
            for t in sorted(set(requested) | set(assigned))}


def recommend_units(*, incident: Incident, wanted: dict[str, int] | None = None,
                    scope: Scope | None = None) -> dict:
    """For each wanted unit type (default: what the incident's dispatch
    requests still need), the available units ranked by road ETA to the
    incident; the first ``needed`` are the recommendation, a few more are
    alternatives.  Closures in force are respected.

    With a ``scope`` limited to districts (a district dispatcher), only the
    scope's own units are ranked as candidates (and count against the
    shortfall); the fastest units of other districts are listed apart as
    ``mutual_aid`` (跨区支援) candidates, sent only through an approved
    mutual-aid request."""
    now = timezone.now()
    if wanted is not None:
        for t, n in wanted.items():
            if t not in UnitType.values:
                raise DomainError(f"unknown unit type {t!r}", field="unit_type")
            if not 1 <= n <= 100:
                raise DomainError("count must lie between 1 and 100", field="count")
        types = list(wanted)
    else:
        requested = DispatchRequest.objects.filter(incident=incident).values_list("unit_type", flat=True)
        types = sorted(set(requested))
    graph = road_graph("drive")
    if not graph.edge_count:
        raise Unroutable("no drivable road network is loaded; import roads first", field="location")
    target = snap_point(graph, incident.location)
    # The closures come with the units, from the in-memory picture or in one
    # query (this app owns them; they are the same set
    # cim.routing.service.current_closures() returns).
    closed, assigned, rows = snapshot(incident_id=incident.pk, unit_types=types, now=now)
    if wanted is not None:
        groups = {t: {"requested": n, "assigned": assigned.get(t, 0), "needed": n} for t, n in wanted.items()}
    else:
        groups = incident_needs(incident, assigned=assigned)
        types = list(groups)
    stale_s = float(emergency_settings.UNIT_POSITION_STALE_S)
    placed, unplaced = [], []
    for row in rows:
        origin = _origin(*row[5:10], stale_s=stale_s)
        (unplaced if origin is None else placed).append((row, origin))
    if placed:
        snaps = graph.snap_many([o[0] for _, o in placed], [o[1] for _, o in placed])
        # One reverse search from the incident gives every unit's time to it.
        eta = graph.point_travel_times(target, snaps, reverse=True, closed=closed)
    else:
        snaps, eta = [], np.zeros(0)
    extra = int(emergency_settings.RECOMMEND_EXTRA)
    unit_types = np.array([row[3] for row, _ in placed], dtype=object)
    unit_ids = np.array([row[0] for row, _ in placed], dtype=np.int64)
    outside = _outside(scope, unit_ids)
    districts = unit_district_names(unit_ids[outside].tolist()) if outside.any() else {}

    def candidate(i: int, *, recommended: bool) -> dict:
        (row, (lon, lat, source, age)), snap = placed[i], snaps[i]
        return {
            "unit": row[0], "code": row[1], "name": row[2], "unit_type": row[3], "agency": row[4],
            "eta_s": float(eta[i]), "position_source": source,
            "position_age_s": None if age is None else round(age, 1), "lon": lon, "lat": lat,
            "snap_distance_m": round(snap.distance_m, 1), "recommended": recommended,
            "mutual_aid": bool(outside[i]), "district": districts.get(row[0]),
        }

    result_groups = []
    for t in types:
        of_type = unit_types == t
        mine = np.flatnonzero(of_type & ~outside)
        reachable = mine[np.isfinite(eta[mine])]
        ranked = reachable[np.lexsort((unit_ids[reachable], eta[reachable]))]
        others = np.flatnonzero(of_type & outside)
        others = others[np.isfinite(eta[others])]
        others = others[np.lexsort((unit_ids[others], eta[others]))]
        needed = groups[t]["needed"]
        result_groups.append({
            "unit_type": t, "label": str(UnitType(t).label), **groups[t],
            "shortfall": max(0, needed - len(reachable)),
            "unreachable": sorted(unit_ids[mine[~np.isfinite(eta[mine])]].tolist()),
            "candidates": [candidate(i, recommended=k < needed)
                           for k, i in enumerate(ranked[: needed + extra])],
            "mutual_aid": [candidate(i, recommended=False) for i in others[: max(needed, 1) + extra]],
        })
    return {
        "incident": incident.pk,
        "computed_at": now.isoformat(),
        "target": {"lon": target.lon, "lat": target.lat, "snap_distance_m": round(target.distance_m, 1),
                   "road_segment": target.edge_id},
        "closures": len(closed),
        "groups": result_groups,
        "unpositioned": [row[0] for row, _ in unplaced],
    }

