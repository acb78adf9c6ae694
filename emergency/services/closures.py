"""Writes of road closures: close road segments (named, or those crossing
an area) for a time window and reopen them.  Routing honours a closure from
the next query on, while it is in force (started, not ended, not lifted)."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Polygon
from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.models import AdminArea, RoadSegment
from cim.scope import districts_meeting
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import ClosureReason, TimelineKind
from emergency.errors import Conflict, DomainError, NotFound
from emergency.events import emit
from emergency.models import Incident, RoadClosure
from emergency.services._common import timeline_add

__all__ = ["closure_create", "closure_lift"]

# A closure may be entered a little after it began (the order came by phone).
BACKDATE_LIMIT = dt.timedelta(hours=24)
# ... and scheduled at most this far ahead.
SCHEDULE_LIMIT = dt.timedelta(days=90)


def _check_area(area: Polygon) -> None:
    if not area.valid:
        raise DomainError(f"invalid polygon: {area.valid_reason}", field="area")
    if area.area == 0:
        raise DomainError("the polygon has no area", field="area")
    bounded = AdminArea.objects.filter(boundary__isnull=False)
    if bounded.exists() and not bounded.filter(boundary__intersects=area).exists():
        raise DomainError("the area lies outside the city", field="area")


@transaction.atomic
def closure_create(*, reason: str, by, segments: list[int] | None = None, area: Polygon | None = None,
                   incident: Incident | None = None, starts_at: dt.datetime | None = None,
                   ends_at: dt.datetime | None = None, note: str = "") -> RoadClosure:
    """Close road segments — named, or every segment crossing ``area`` — from
    ``starts_at`` (default now; a later time schedules it) until ``ends_at``
    (it then ends by itself) or until lifted.  Routing honours it from the
    next query on while it is in force."""
    if reason not in ClosureReason.values:
        raise DomainError(f"unknown reason {reason!r}", field="reason")
    if not segments and area is None:
        raise DomainError("name road segments or draw an area", field="segments")
    now = timezone.now()
    starts_at = starts_at or now
    if starts_at < now - BACKDATE_LIMIT:
        raise DomainError("a closure may start at most 24 hours in the past", field="starts_at")
    if starts_at > now + SCHEDULE_LIMIT:
        raise DomainError("a closure may be scheduled at most 90 days ahead", field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError("the closure would end before it starts", field="ends_at")
    if ends_at is not None and ends_at <= now:
        raise DomainError("the closure would already be over", field="ends_at")
    if area is not None:
        _check_area(area)
    ids: set[int] = set()
    if segments:
        found = set(RoadSegment.objects.filter(pk__in=segments).values_list("pk", flat=True))
        if missing := set(segments) - found:
            raise NotFound(f"road segment {min(missing)} does not exist", field="segments")
        ids |= found
    if area is not None:
        crossing = set(RoadSegment.objects.filter(geom__intersects=area).values_list("pk", flat=True))
        if not crossing:
            raise DomainError("no road segment crosses the area", field="area")
        ids |= crossing
    closure = RoadClosure.objects.create(
        reason=reason, incident=incident, area=area, note=clip(RoadClosure, "note", note),
        starts_at=starts_at, ends_at=ends_at,
        created_by=roles.acting_user(by))
    closure.segments.set(sorted(ids))
    if incident is not None:
        timeline_add(incident=incident, kind=TimelineKind.CLOSURE, by=by,
                     text=f"封闭道路 {len(ids)} 段", data={"closure": closure.pk})
    audit_record(actor=by, action="closure.create", obj=closure,
                 after={"segments": sorted(ids), "reason": reason, "starts_at": starts_at,
                        "ends_at": ends_at, "area": area is not None})
    emit("closure.created", {"closure": closure.pk, "segments": sorted(ids), "reason": reason,
                             "starts_at": starts_at, "ends_at": ends_at,
                             "incident": incident.pk if incident else None,
                             "districts": districts_meeting(geometries=[area], segment_ids=ids)})
    return closure


@transaction.atomic
def closure_lift(*, closure: RoadClosure, by) -> RoadClosure:
    """Reopen the roads of a closure (or call off a scheduled one)."""
    locked = locks.lock_closure(closure.pk)
    if locked.lifted_at is not None:
        raise Conflict("the closure is already lifted", field="closure")
    now = timezone.now()
    if locked.ends_at is not None and locked.ends_at <= now:
        raise Conflict("the closure has already ended", field="closure")
    locked.lifted_at = now
    locked.lifted_by = roles.acting_user(by)
    locked.save(update_fields=["lifted_at", "lifted_by"])
    audit_record(actor=by, action="closure.lift", obj=locked, after={"lifted_at": locked.lifted_at})
    segments = locked.segments.values_list("pk", flat=True)
    emit("closure.lifted", {"closure": locked.pk, "incident": locked.incident_id,
                            "districts": districts_meeting(geometries=[locked.area], segment_ids=segments)})
    return locked

