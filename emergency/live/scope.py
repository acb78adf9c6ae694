"""What a district- or department-scoped console receives on the live
stream (:mod:`cim.scope` is the rule; this is its form for the hub, which
decides per event without a database query).

At join the hub loads the ids of the incidents, units, zones and closures
in the user's scope; events then decide by the ids they name:

* an event naming an incident (``incident``, or ``id`` of ``incident.*``)
  passes when the incident is in scope; a new or moved incident joins the
  scope when its location lies in the districts (not for a department
  limited to its own work: its incidents come by its tasks and units);
* one naming a unit (positions, ``unit.status``, assignments) passes when
  the unit is in scope (a unit of the district sent elsewhere stays seen);
* residents' reports by their community's code; zones and closures by
  their incident when they have one, else by the districts they meet
  (``districts`` in the payload, :func:`cim.scope.districts_meeting`), and
  by their id once seen (a later change or lift of one seen follows it);
* mutual-aid requests (跨区支援) by their incident (the district that asked)
  or their unit (the district that lends);
* events about no place (plans, alerts, stock, registries) pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.contrib.gis.geos.prepared import PreparedGeometry

from cim.scope import Scope
from emergency.models import ControlZone, Incident, RoadClosure, Unit

__all__ = ["LiveScope", "live_scope_for"]

_PLACED = (
    "incident.",
    "assignment.",
    "unit.",
    "report.",
    "zone.",
    "closure.",
    "task.",
    "dispatch_request.",
    "supply_request.",
    "plan.activated",
    "mutual_aid.",
)


@dataclass(eq=False)
class LiveScope:
    """The ids a scoped console may hear about (grown as new ones arrive)."""

    district_codes: tuple[str, ...]
    region: PreparedGeometry | None
    by_department: bool
    incidents: set[int] = field(default_factory=set)
    units: frozenset[int] = frozenset()
    zones: set[int] = field(default_factory=set)
    closures: set[int] = field(default_factory=set)

    def _in_region(self, payload: dict[str, Any]) -> bool:
        lon, lat = payload.get("lon"), payload.get("lat")
        if (
            self.by_department
            or self.region is None
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat))
        ):
            return False
        return self.region.contains(Point(lon, lat, srid=4326))

    def sees_unit(self, unit: Any) -> bool:
        return unit in self.units

    def sees_event(self, kind: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        if not kind.startswith(_PLACED):
            return True
        incident = payload.get("id") if kind.startswith("incident.") else payload.get("incident")
        if kind.startswith("report."):
            code = payload.get("community_code") or ""
            return bool(self.district_codes) and any(code.startswith(c) for c in self.district_codes)
        seen = False
        if incident is not None:
            if incident in self.incidents:
                seen = True
            elif kind in ("incident.created", "incident.updated") and self._in_region(payload):
                self.incidents.add(incident)
                seen = True
        if not seen and payload.get("unit") is not None:
            seen = payload["unit"] in self.units
        if kind.startswith(("zone.", "closure.")):
            if not seen and incident is None:
                seen = self._meets(payload.get("districts"))
            ids, key = (self.zones, "zone") if kind.startswith("zone.") else (self.closures, "closure")
            return self._track(ids, payload.get(key), seen)
        return seen

    def _meets(self, districts: Any) -> bool:
        """A zone or closure without an incident, by the districts it meets
        (not for a department limited to its own work: it sees those of its
        incidents only, as :meth:`cim.scope.Scope.filter_zones` says)."""
        if self.by_department or not isinstance(districts, list):
            return False
        return any(isinstance(d, str) and d.startswith(self.district_codes) for d in districts)

    @staticmethod
    def _track(ids: set[int], pk: Any, seen_by_incident: bool) -> bool:
        if seen_by_incident and pk is not None:
            ids.add(pk)
        return seen_by_incident or pk in ids


def live_scope_for(user) -> LiveScope | None:
    """The live scope of a user; None when the user sees the whole city."""
    scope = Scope.for_user(user)
    if scope.city_wide:
        return None
    region = scope.region
    return LiveScope(
        district_codes=scope.district_codes,
        region=region.prepared if region is not None else None,
        by_department=scope.by_department,
        incidents=set(scope.filter_incidents(Incident.objects.all()).values_list("pk", flat=True)),
        units=frozenset(scope.filter_units(Unit.objects.all()).values_list("pk", flat=True)),
        zones=set(scope.filter_zones(ControlZone.objects.all()).values_list("pk", flat=True)),
        closures=set(scope.filter_closures(RoadClosure.objects.all()).values_list("pk", flat=True)),
    )
