"""Read queries of the emergency app."""

from __future__ import annotations

import psycopg
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from cim import roles
from emergency.constants import LEVEL_RANK
from emergency.models import (
    Assignment,
    Camera,
    ControlZone,
    Event,
    Incident,
    Plan,
    ReplenishmentAlert,
    RoadClosure,
    Unit,
)
from emergency.states import INCIDENT_ACTIVE

__all__ = [
    "assignments_visible_to",
    "cameras_near",
    "dispatch_snapshot",
    "events_after",
    "incidents_visible_to",
    "plan_for",
    "plans_matching",
    "units_visible_to",
]


def _is_responder_only(user) -> bool:
    held = roles.roles_of(user)
    return bool(held) and held <= {roles.RESPONDER}


def incidents_visible_to(user, *, status: str | None = None, active: bool | None = None,
                         level: str | None = None, incident_type: str | None = None,
                         bbox: Polygon | None = None) -> QuerySet[Incident]:
    """Incidents a user may see: all for dispatchers, commanders and admins;
    a responder sees only those their units were sent to."""
    qs = (Incident.objects.select_related("address", "admin_area", "merged_into")
          .order_by("-reported_at", "-id"))
    if _is_responder_only(user):
        qs = qs.filter(assignments__unit__members=user).distinct()
    if status:
        qs = qs.filter(status=status)
    if active is True:
        qs = qs.filter(status__in=INCIDENT_ACTIVE)
    elif active is False:
        qs = qs.exclude(status__in=INCIDENT_ACTIVE)
    if level:
        qs = qs.filter(level=level)
    if incident_type:
        qs = qs.filter(incident_type=incident_type)
    if bbox is not None:
        qs = qs.filter(location__within=bbox)
    return qs


def units_visible_to(user, *, status: str | None = None, unit_type: str | None = None,
                     agency: int | None = None, bbox: Polygon | None = None) -> QuerySet[Unit]:
    """Units: all for staff, a responder's own units for a responder."""
    qs = Unit.objects.select_related("agency", "home_station").order_by("code")
    if _is_responder_only(user):
        qs = qs.filter(members=user)
    if status:
        qs = qs.filter(status=status)
    if unit_type:
        qs = qs.filter(unit_type=unit_type)
    if agency:
        qs = qs.filter(agency_id=agency)
    if bbox is not None:
        qs = qs.filter(Q(last_position__within=bbox)
                       | Q(last_position__isnull=True, home_station__geom__within=bbox))
    return qs


def assignments_visible_to(user, *, incident: Incident | None = None,
                           active: bool | None = None) -> QuerySet[Assignment]:
    qs = Assignment.objects.select_related("unit", "unit__agency", "incident").order_by("-assigned_at", "-id")
    if _is_responder_only(user):
        qs = qs.filter(unit__members=user)
    if incident is not None:
        qs = qs.filter(incident=incident)
    if active is True:
        qs = qs.filter(released_at__isnull=True)
    elif active is False:
        qs = qs.filter(released_at__isnull=False)
    return qs


def plans_matching(incident: Incident) -> QuerySet[Plan]:
    """Active plans for the incident's type, the one at its level first,
    then by closeness of level (a more severe plan before a less severe one)."""
    rank = LEVEL_RANK[incident.level]
    return (
        Plan.objects.filter(incident_type=incident.incident_type, active=True)
        .annotate(distance=Case(*[When(level=lv, then=Value(abs(r - rank) * 2 + (0 if r <= rank else 1)))
                                  for lv, r in LEVEL_RANK.items()], output_field=IntegerField()))
        .order_by("distance", "code")
    )


def plan_for(incident: Incident) -> Plan | None:
    """The plan to activate by default: the active plan for the incident's
    type at its level, else the nearest level."""
    return plans_matching(incident).first()


def cameras_near(point: Point, *, radius_m: float = 500.0, limit: int = 20) -> QuerySet[Camera]:
    return (Camera.objects.filter(active=True, geom__distance_lte=(point, D(m=radius_m)))
            .annotate(distance=Distance("geom", point)).order_by("distance")[:limit])


def events_after(after: int, *, limit: int = 500) -> QuerySet[Event]:
    """Events with an id above ``after`` (a console resuming after a gap)."""
    return Event.objects.filter(id__gt=after).order_by("id")[:limit]


def dispatch_snapshot(*, incident_id: int, unit_types: list[str], now) -> tuple[
        frozenset[int], dict[str, int], list[tuple]]:
    """Everything a recommendation reads, in ONE round trip (it runs on every
    console refresh): the road segments closed now, the units of each type
    already sent to the incident (dispatches called off before departure not
    counted), and the available candidate units as plain rows ``(id, code,
    name, unit_type, agency name, lon, lat, age of the fix in s, station
    lon, station lat)`` — numbers only, no model or geometry objects."""
    from django.db import connection

    from cim.models import ServicePoint
    from emergency.models import Agency

    closure_links = RoadClosure.segments.through._meta.db_table
    connection.ensure_connection()
    # A server-side prepared statement on Django's own connection (and
    # transaction): planning this query costs about as much as running it.
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(
            f"""
            SELECT
              (SELECT coalesce(array_agg(DISTINCT s.roadsegment_id), '{{}}')
                 FROM {closure_links} s JOIN {RoadClosure._meta.db_table} c ON c.id = s.roadclosure_id
                WHERE c.lifted_at IS NULL AND c.starts_at <= %(now)s
                  AND (c.ends_at IS NULL OR c.ends_at > %(now)s)),
              (SELECT coalesce(json_object_agg(t.unit_type, t.n), '{{}}') FROM (
                 SELECT u.unit_type, count(*) AS n FROM {Assignment._meta.db_table} a
                   JOIN {Unit._meta.db_table} u ON u.id = a.unit_id
                  WHERE a.incident_id = %(incident)s AND a.release_reason <> 'cancelled'
                  GROUP BY u.unit_type) t),
              (SELECT coalesce(json_agg(json_build_array(
                         u.id, u.code, u.name, u.unit_type, a.name,
                         ST_X(u.last_position), ST_Y(u.last_position),
                         EXTRACT(EPOCH FROM (%(now)s - u.last_position_at))::float8,
                         ST_X(s.geom), ST_Y(s.geom)) ORDER BY u.id), '[]')
                 FROM {Unit._meta.db_table} u
                 JOIN {Agency._meta.db_table} a ON a.id = u.agency_id
                 LEFT JOIN {ServicePoint._meta.db_table} s ON s.id = u.home_station_id
                WHERE u.status = 'available' AND u.unit_type = ANY(%(types)s))
            """,
            {"now": now, "incident": incident_id, "types": list(unit_types)},
            prepare=True,
        )
        closed, assigned, units = cur.fetchone()
    return frozenset(closed), dict(assigned), [tuple(u) for u in units]


def closures_in_force() -> QuerySet[RoadClosure]:
    from django.utils import timezone

    now = timezone.now()
    return (RoadClosure.objects.filter(lifted_at__isnull=True, starts_at__lte=now)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).prefetch_related("segments"))


def zones_active() -> QuerySet[ControlZone]:
    return ControlZone.objects.filter(status="active")


def replenishment_open() -> QuerySet[ReplenishmentAlert]:
    return ReplenishmentAlert.objects.filter(resolved_at__isnull=True).select_related("stock__depot",
                                                                                       "stock__item")
