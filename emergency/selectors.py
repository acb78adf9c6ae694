"""Read queries of the emergency app."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from cim import roles
from cim.scope import Scope
from emergency.constants import LEVEL_RANK
from emergency.models import (
    Assignment,
    Camera,
    ControlZone,
    Event,
    Incident,
    MutualAidRequest,
    Plan,
    ReplenishmentAlert,
    RoadClosure,
    SupplyRequest,
    Task,
    Unit,
)
from emergency.states import INCIDENT_ACTIVE

__all__ = [
    "assignments_visible_to",
    "cameras_for_wall",
    "cameras_near",
    "closures_current",
    "closures_in_force",
    "closures_visible_to",
    "events_after",
    "events_visible_to",
    "incidents_merge_candidates",
    "incidents_visible_to",
    "mutual_aid_visible_to",
    "plan_for",
    "plans_matching",
    "replenishment_open",
    "road_segment_nearest",
    "supply_requests_visible_to",
    "tasks_visible_to",
    "unit_board",
    "units_visible_to",
    "zones_visible_to",
]


def _is_responder_only(user) -> bool:
    held = roles.roles_of(user)
    return bool(held) and held <= {roles.RESPONDER}


def incidents_visible_to(user, *, status: str | None = None, active: bool | None = None,
                         level: str | None = None, incident_type: str | None = None,
                         bbox: Polygon | None = None) -> QuerySet[Incident]:
    """Incidents a user may see: all for dispatchers, commanders and admins;
    a responder sees only those their units were sent to; all of them
    within the user's scope (:mod:`cim.scope`: districts, department)."""
    qs = Scope.for_user(user).filter_incidents(
        Incident.objects.select_related("address", "admin_area", "merged_into")
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
    """Units: all for staff, a responder's own units for a responder;
    within the user's scope (districts, department)."""
    qs = Scope.for_user(user).filter_units(
        Unit.objects.select_related("agency", "home_station").order_by("code"))
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
    """Assignments: of the incidents in the user's scope; a responder's
    own units' only."""
    qs = Scope.for_user(user).filter_by_incident(
        Assignment.objects.select_related("unit", "unit__agency", "incident").order_by("-assigned_at", "-id"))
    if _is_responder_only(user):
        qs = qs.filter(unit__members=user)
    if incident is not None:
        qs = qs.filter(incident=incident)
    if active is True:
        qs = qs.filter(released_at__isnull=True)
    elif active is False:
        qs = qs.filter(released_at__isnull=False)
    return qs


def mutual_aid_visible_to(user, *, incident: Incident | None = None,
                          status: str | None = None) -> QuerySet[MutualAidRequest]:
    """Mutual-aid requests: city-level users all; a district user those of
    their incidents and those for their units (:mod:`cim.scope`)."""
    qs = Scope.for_user(user).filter_mutual_aid(MutualAidRequest.objects.select_related(
        "incident", "unit__agency", "requested_by", "decided_by"))
    if incident is not None:
        qs = qs.filter(incident=incident)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-id")


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


def cameras_for_wall(incident: Incident, *, size: int, radius_m: float) -> list[Camera]:
    """The ``size`` cameras a video wall shows for ``incident``: the active
    cameras linked to it first, then the nearest others within ``radius_m``,
    each nearest first (PostGIS distance, metres, as ``distance``) and marked
    ``linked``.  Cameras are city-wide reference data; who may see the
    incident is the caller's scope check."""
    point = incident.location
    linked_ids = set(incident.cameras.values_list("pk", flat=True))
    picked = list(Camera.objects.filter(active=True, pk__in=linked_ids)
                  .annotate(distance=Distance("geom", point)).order_by("distance", "pk")[:size])
    if len(picked) < size:
        nearest = cameras_near(point, radius_m=radius_m, limit=size + len(picked))
        picked += [c for c in nearest if c.pk not in linked_ids][: size - len(picked)]
    for camera in picked:
        camera.linked = camera.pk in linked_ids
    return picked


def events_after(after: int, *, limit: int = 500) -> QuerySet[Event]:
    """Events with an id above ``after`` (a console resuming after a gap)."""
    return Event.objects.filter(id__gt=after).order_by("id")[:limit]


def events_visible_to(user, after: int, *, limit: int = 500, scan: int = 10_000) -> list[Event]:
    """Events above ``after`` that the user's live stream would carry
    (:mod:`emergency.live.scope`): for a district or department user those
    of the incidents, units, reports, zones and closures in scope, read in
    pages until ``limit`` are found or ``scan`` rows were looked at."""
    from emergency.live.scope import live_scope_for

    live = live_scope_for(user)
    if live is None:
        return list(events_after(after, limit=limit))
    found: list[Event] = []
    cursor, looked = after, 0
    while len(found) < limit and looked < scan:
        rows = list(events_after(cursor, limit=limit))
        if not rows:
            break
        found += [e for e in rows if live.sees_event(e.kind, e.payload)]
        cursor, looked = rows[-1].id, looked + len(rows)
    return found[:limit]


def closures_in_force(user=None) -> QuerySet[RoadClosure]:
    """Road closures in force now (started, not lifted, not ended); with a
    user, those in the user's scope (routing passes none: it honours all)."""
    now = timezone.now()
    qs = (RoadClosure.objects.filter(lifted_at__isnull=True, starts_at__lte=now)
          .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).prefetch_related("segments"))
    return qs if user is None else Scope.for_user(user).filter_closures(qs)


def closures_visible_to(user) -> QuerySet[RoadClosure]:
    """Every road closure in the user's scope, newest first."""
    return Scope.for_user(user).filter_closures(
        RoadClosure.objects.prefetch_related("segments").order_by("-starts_at", "-id"))


def zones_visible_to(user) -> QuerySet[ControlZone]:
    """Control zones in the user's scope, newest first."""
    return Scope.for_user(user).filter_zones(ControlZone.objects.order_by("-created_at", "-id"))


def tasks_visible_to(user) -> QuerySet[Task]:
    """Tasks in the user's scope: of the incidents in their districts; for a
    department limited to its own work, the tasks sent to it."""
    return Scope.for_user(user).filter_tasks(Task.objects.select_related("agency", "department"))


def supply_requests_visible_to(user) -> QuerySet[SupplyRequest]:
    """Supply requests of the incidents in the user's scope."""
    return Scope.for_user(user).filter_by_incident(SupplyRequest.objects.all())


def replenishment_open() -> QuerySet[ReplenishmentAlert]:
    """Replenishment alerts not yet resolved."""
    return ReplenishmentAlert.objects.filter(resolved_at__isnull=True).select_related("stock__depot",
                                                                                       "stock__item")


def closures_current(user) -> QuerySet[RoadClosure]:
    """Closures in force or scheduled (not lifted, not yet ended), soonest
    start first: the console's closure panel, in the user's scope (as
    :func:`closures_visible_to`)."""
    now = timezone.now()
    return Scope.for_user(user).filter_closures(
        RoadClosure.objects.filter(lifted_at__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("incident").prefetch_related("segments").order_by("starts_at", "id"))


def road_segment_nearest(point: Point, *, max_m: float = 80.0):
    """The road segment nearest ``point`` within ``max_m`` metres (a click
    on the map picking a road to close), with ``distance_m``; None if none."""
    from cim.models import RoadSegment

    return (RoadSegment.objects.filter(geom__distance_lte=(point, D(m=max_m)))
            .annotate(distance=Distance("geom", point)).order_by("distance").first())


def incidents_merge_candidates(user, incident: Incident, *, q: str = "", radius_m: float = 3000.0,
                               limit: int = 20) -> QuerySet[Incident]:
    """Open incidents an incident may be merged into: near it or matching
    ``q`` (number or title), nearest first, never itself or one merged away."""
    qs = (incidents_visible_to(user, active=True).exclude(pk=incident.pk)
          .annotate(distance=Distance("location", incident.location)))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q))
    else:
        qs = qs.filter(location__distance_lte=(incident.location, D(m=radius_m)))
    return qs.order_by("distance", "-reported_at")[:limit]


def unit_board(user, *, agency: int | None = None, unit_type: str | None = None) -> QuerySet[Unit]:
    """The units back office's roster and status board: the units the user
    may see, with agency, station, members and the active assignment's
    incident number."""
    from django.db.models import OuterRef, Subquery

    active = Assignment.objects.filter(unit=OuterRef("pk"), released_at__isnull=True)
    return (units_visible_to(user, agency=agency, unit_type=unit_type)
            .prefetch_related("members")
            .annotate(incident_id=Subquery(active.values("incident_id")[:1]),
                      incident_number=Subquery(active.values("incident__number")[:1])))
