"""Writes of road closures: close road segments (named, or those crossing
an area) and reopen them.  Routing honours a closure from the next query on."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Polygon
from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.models import RoadSegment
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import ClosureReason, TimelineKind
from emergency.errors import Conflict, DomainError, NotFound
from emergency.events import emit
from emergency.models import Incident, RoadClosure
from emergency.services._common import timeline_add

__all__ = ["closure_create", "closure_lift"]


@transaction.atomic
def closure_create(*, reason: str, by, segments: list[int] | None = None, area: Polygon | None = None,
                   incident: Incident | None = None, ends_at: dt.datetime | None = None,
                   note: str = "") -> RoadClosure:
    """Close road segments — named, or every segment crossing ``area`` — from
    now until ``ends_at`` or until lifted.  Routing honours it from the next
    query on."""
    if reason not in ClosureReason.values:
        raise DomainError(f"unknown reason {reason!r}", field="reason")
    if not segments and area is None:
        raise DomainError("name road segments or draw an area", field="segments")
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise DomainError("the closure would end before it starts", field="ends_at")
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
        starts_at=now, ends_at=ends_at,
        created_by=roles.acting_user(by))
    closure.segments.set(sorted(ids))
    if incident is not None:
        timeline_add(incident=incident, kind=TimelineKind.CLOSURE, by=by,
                     text=f"封闭道路 {len(ids)} 段", data={"closure": closure.pk})
    audit_record(actor=by, action="closure.create", obj=closure,
                 after={"segments": sorted(ids), "reason": reason, "ends_at": ends_at})
    emit("closure.created", {"closure": closure.pk, "segments": sorted(ids), "reason": reason,
                             "incident": incident.pk if incident else None})
    return closure


@transaction.atomic
def closure_lift(*, closure: RoadClosure, by) -> RoadClosure:
    """Reopen the roads of a closure."""
    locked = locks.lock_closure(closure.pk)
    if locked.lifted_at is not None:
        raise Conflict("the closure is already lifted", field="closure")
    locked.lifted_at = timezone.now()
    locked.save(update_fields=["lifted_at"])
    audit_record(actor=by, action="closure.lift", obj=locked, after={"lifted_at": locked.lifted_at})
    emit("closure.lifted", {"closure": locked.pk})
    return locked

