"""Writes to incidents: take a call or report, edit, move through the life
cycle, change the level, merge duplicates, split one in two, notes and cameras."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import MultiPolygon, Point
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from cim import roles
from cim.masking import mask_name, mask_phone
from cim.models import Address, AdminArea
from cim.services.audit import audit_record, snapshot
from config.common.clip import clip
from emergency import locks
from emergency.choices import (
    Disposition,
    IncidentLevel,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    TimelineKind,
)
from emergency.constants import TYPE_CATEGORY
from emergency.errors import Conflict, DomainError, InvalidTransition, NotFound, Unroutable
from emergency.events import emit
from emergency.models import Assignment, Attachment, Camera, Incident, IncidentLevelChange, TimelineEntry
from emergency.routing import drive_graph, snap_point
from emergency.services._common import incident_brief, timeline_add
from emergency.services.assignments import assignments_release_all
from emergency.services.transitions import INCIDENT_STATUS_TIME, incident_auto_advance
from emergency.states import INCIDENT_DISPATCHABLE, INCIDENT_TERMINAL, INCIDENT_TRANSITIONS, allowed

__all__ = [
    "incident_add_note",
    "incident_caller_reveal",
    "incident_create",
    "incident_link_camera",
    "incident_merge",
    "incident_set_level",
    "incident_split",
    "incident_transition",
    "incident_update",
]

_AUDIT_EXCLUDE = ("location", "snapped_location", "area", "cameras")


def _audit_view(incident: Incident) -> dict:
    data = snapshot(incident, exclude=_AUDIT_EXCLUDE)
    data["caller_name"] = mask_name(incident.caller_name)
    data["caller_phone"] = mask_phone(incident.caller_phone)
    data["location"] = [incident.location.x, incident.location.y] if incident.location else None
    return data


def _check_point(point: Point, field: str = "location") -> None:
    x, y = point.x, point.y
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise DomainError("longitude must lie in [-180, 180] and latitude in [-90, 90]", field=field)


def _category_for(incident_type: str, category: str | None) -> str:
    if incident_type not in IncidentType.values:
        raise DomainError(f"unknown incident type {incident_type!r}", field="incident_type")
    implied = TYPE_CATEGORY.get(incident_type)
    if category and implied and category != implied:
        raise DomainError(f"type {incident_type!r} belongs to category {implied!r}, not {category!r}",
                          field="category")
    chosen = category or implied
    if not chosen:
        raise DomainError("a category is required for type 'other'", field="category")
    return chosen


def _place(incident: Incident) -> None:
    """Snap the incident to the drive network (best effort: an incident is
    taken even where no road is loaded) and find its division."""
    try:
        graph, _ = drive_graph()
        snap = snap_point(graph, incident.location)
    except Unroutable:
        incident.snapped_location = None
        incident.snap_distance_m = None
        incident.road_segment_id = None
    else:
        incident.snapped_location = Point(snap.lon, snap.lat, srid=4326)
        incident.snap_distance_m = round(snap.distance_m, 2)
        incident.road_segment_id = snap.edge_id
    if incident.admin_area_id is None:
        incident.admin_area = (
            AdminArea.objects.filter(boundary__contains=incident.location)
            .order_by(Length("code").desc()).first()
        )


@transaction.atomic
def incident_create(
    *,
    title: str,
    incident_type: str,
    source: str,
    by,
    category: str | None = None,
    level: str = IncidentLevel.IV,
    location: Point | None = None,
    address: Address | None = None,
    area: MultiPolygon | None = None,
    description: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    external_ref: str = "",
    reported_at: dt.datetime | None = None,
) -> Incident:
    """Take an incident (from a hotline, a plate report, a sensor or by
    hand): placed at ``location`` or at the address's position, snapped to
    the road network.  ``(source, external_ref)`` makes a second call with
    the same ticket a 409, not a second incident."""
    if source not in IncidentSource.values:
        raise DomainError(f"unknown source {source!r}", field="source")
    if level not in IncidentLevel.values:
        raise DomainError(f"unknown level {level!r}; one of I, II, III, IV", field="level")
    category = _category_for(incident_type, category)
    if location is None and address is not None:
        location = address.position
    if location is None:
        raise DomainError("a location (lon/lat) or an address with a position is required",
                          field="location")
    _check_point(location)
    if external_ref:
        existing = Incident.objects.filter(source=source, external_ref=external_ref).first()
        if existing is not None:
            raise Conflict(f"{source} {external_ref} is already incident {existing.number}",
                           field="external_ref")
    now = timezone.now()
    if reported_at is not None and reported_at > now + dt.timedelta(minutes=5):
        raise DomainError("reported_at lies in the future", field="reported_at")
    incident = Incident(
        title=title.strip(), incident_type=incident_type, category=category, level=level,
        source=source, location=Point(location.x, location.y, srid=4326), address=address,
        area=area, description=description, caller_name=caller_name, caller_phone=caller_phone,
        external_ref=external_ref, reported_at=reported_at or now,
        created_by=roles.acting_user(by),
        admin_area=address.admin_area if address is not None else None,
    )
    _place(incident)
    incident.full_clean(exclude=["number", "created_by"])
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:  # a concurrent call with the same ticket won the race
        raise Conflict(f"{source} {external_ref} is already an incident", field="external_ref") from None
    incident.number = f"{timezone.localtime(incident.reported_at):%Y%m%d}-{incident.pk:06d}"
    incident.save(update_fields=["number"])
    timeline_add(incident=incident, kind=TimelineKind.CREATED, by=by,
                 text=f"接报({incident.get_source_display()}): {incident.title}",
                 data={"source": source, "external_ref": external_ref})
    audit_record(actor=by, action="incident.create", obj=incident, after=_audit_view(incident))
    emit("incident.created", incident_brief(incident))
    return incident


EDITABLE = ("title", "description", "incident_type", "category", "location", "area", "address",
            "caller_name", "caller_phone")


@transaction.atomic
def incident_update(*, incident: Incident, data: dict, by) -> Incident:
    """Edit what is known about an incident (not its status or level); a new
    location is snapped again."""
    locked = locks.lock_incident(incident.pk)
    if locked.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.number} is {locked.status}; it can no longer be edited",
                       field="status")
    before = _audit_view(locked)
    changed = [f for f in EDITABLE if f in data and getattr(locked, f) != data[f]]
    for field in changed:
        setattr(locked, field, data[field])
    if "incident_type" in changed or "category" in changed:
        explicit = data.get("category") if "category" in changed else None
        if explicit is None and locked.incident_type == IncidentType.OTHER:
            explicit = before["category"]  # "other" keeps the category it had
        locked.category = _category_for(locked.incident_type, explicit)
        changed = sorted({*changed, "category"})
    if "address" in changed and "location" not in changed and locked.address and locked.address.position:
        locked.location = locked.address.position
        changed.append("location")
    if not changed:
        return locked
    if "location" in changed:
        _check_point(locked.location)
        locked.admin_area = None
        _place(locked)
    locked.full_clean(exclude=["created_by"])
    locked.save()
    timeline_add(incident=locked, kind=TimelineKind.EDIT, by=by, text="修改: " + ", ".join(changed),
                 data={"fields": changed})
    audit_record(actor=by, action="incident.update", obj=locked, before=before, after=_audit_view(locked))
    emit("incident.updated", {**incident_brief(locked), "fields": changed})
    return locked


@transaction.atomic
def incident_transition(*, incident: Incident, to: str, by, disposition: str = "",
                        reason: str = "") -> Incident:
    """Move an incident along its life cycle.  Closing needs a disposition,
    cancelling a reason; both release the units still assigned.  Merging
    goes through :func:`incident_merge`, dispatching through an assignment."""
    locked = locks.lock_incident(incident.pk)
    current = locked.status
    if to not in IncidentStatus.values:
        raise DomainError(f"unknown status {to!r}", field="to")
    if to == IncidentStatus.MERGED:
        raise DomainError("use merge to mark a duplicate", field="to")
    if not allowed(INCIDENT_TRANSITIONS, current, to):
        raise InvalidTransition("incident", current, to, INCIDENT_TRANSITIONS.get(current, frozenset()),
                                field="to")
    if to == IncidentStatus.DISPATCHED and not locked.assignments.filter(released_at__isnull=True).exists():
        raise Conflict("no unit is assigned; assign units to dispatch", field="to")
    if to == IncidentStatus.CLOSED:
        if disposition not in Disposition.values:
            raise DomainError(f"closing needs a disposition: one of {', '.join(Disposition.values)}",
                              field="disposition")
        locked.disposition = disposition
    if to == IncidentStatus.CANCELLED and not reason.strip():
        raise DomainError("cancelling needs a reason", field="reason")
    before = _audit_view(locked)
    locked.status = to
    locked.status_reason = clip(Incident, "status_reason", reason.strip())
    setattr(locked, INCIDENT_STATUS_TIME[to], timezone.now())
    locked.save()
    released = []
    if to in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        released = assignments_release_all(incident=locked, by=by, reason="incident_" + to)
    text = f"状态: {IncidentStatus(current).label} → {IncidentStatus(to).label}"
    if disposition:
        text += f"({Disposition(disposition).label})"
    if reason:
        text += f": {reason}"
    timeline_add(incident=locked, kind=TimelineKind.STATUS, by=by, text=text,
                 data={"from": current, "to": to, "disposition": disposition, "released_units": released})
    audit_record(actor=by, action="incident.transition", obj=locked, before=before,
                 after=_audit_view(locked), note=reason)
    emit("incident.status", {**incident_brief(locked), "from": current, "disposition": disposition})
    return locked


@transaction.atomic
def incident_set_level(*, incident: Incident, level: str, reason: str, by) -> Incident:
    """Raise or lower the response level (logged with its reason)."""
    if level not in IncidentLevel.values:
        raise DomainError(f"unknown level {level!r}; one of I, II, III, IV", field="level")
    if not reason.strip():
        raise DomainError("a reason is required to change the level", field="reason")
    locked = locks.lock_incident(incident.pk)
    if locked.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.number} is {locked.status}; its level is final", field="level")
    if locked.level == level:
        raise DomainError(f"the incident is already level {level}", field="level")
    previous = locked.level
    IncidentLevelChange.objects.create(incident=locked, from_level=previous, to_level=level,
                                       reason=clip(IncidentLevelChange, "reason", reason.strip()),
                                       changed_by=roles.acting_user(by))
    locked.level = level
    locked.save(update_fields=["level", "updated_at"])
    timeline_add(incident=locked, kind=TimelineKind.LEVEL, by=by,
                 text=f"响应级别: {previous} → {level}: {reason.strip()}",
                 data={"from": previous, "to": level})
    audit_record(actor=by, action="incident.level", obj=locked, before={"level": previous},
                 after={"level": level}, note=reason)
    emit("incident.level", {**incident_brief(locked), "from": previous})
    return locked


def _copy_timeline(*, source: Incident, target: Incident) -> int:
    """Copy ``source``'s timeline into ``target``'s, each line keeping its
    time and author and saying where it came from."""
    entries = list(source.timeline.order_by("at", "id"))
    copies = TimelineEntry.objects.bulk_create([
        TimelineEntry(incident=target, actor_id=e.actor_id, actor_label=e.actor_label, kind=e.kind,
                      text=clip(TimelineEntry, "text", f"[{source.number}] {e.text}"),
                      data={**e.data, "merged_from": source.pk, "entry": e.pk})
        for e in entries])
    for entry, copy in zip(entries, copies, strict=True):  # keep the original times (auto_now_add)
        TimelineEntry.objects.filter(pk=copy.pk).update(at=entry.at)
    return len(copies)


def _move_assignments(*, dup: Incident, target: Incident, by) -> list[Assignment]:
    """Move the duplicate's active assignments to the survivor: the unit keeps
    its one active assignment (now serving the survivor), so the
    one-unit-one-incident rule holds throughout.  Caller holds both incident
    locks; the units are locked here (incident before units)."""
    active = list(dup.assignments.filter(released_at__isnull=True).order_by("unit_id"))
    if not active:
        return []
    if target.status not in INCIDENT_DISPATCHABLE:
        raise Conflict(f"incident {dup.number} has units assigned; verify incident {target.number} "
                       f"before merging into it", field="into")
    units = {u.pk: u for u in locks.lock_units([a.unit_id for a in active])}
    for assignment in active:
        unit = units[assignment.unit_id]
        assignment.incident = target
        assignment.dispatch_request = None  # the request was the duplicate's
        assignment.save(update_fields=["incident", "dispatch_request"])
        timeline_add(incident=dup, kind=TimelineKind.ASSIGNMENT, by=by,
                     text=f"{unit.code} {unit.name} 随合并转至事件 {target.number}",
                     data={"unit": unit.pk, "assignment": assignment.pk, "moved_to": target.pk})
        timeline_add(incident=target, kind=TimelineKind.ASSIGNMENT, by=by,
                     text=f"{unit.code} {unit.name} 随合并由事件 {dup.number} 转入",
                     data={"unit": unit.pk, "assignment": assignment.pk, "moved_from": dup.pk})
        emit("assignment.moved", {"assignment": assignment.pk, "unit": unit.pk, "code": unit.code,
                                  "incident": target.pk, "from": dup.pk})
    if target.status == IncidentStatus.VERIFIED:
        incident_auto_advance(incident=target, to=IncidentStatus.DISPATCHED, by=by)
    if any(u.status == "on_scene" for u in units.values()) and target.status == IncidentStatus.DISPATCHED:
        incident_auto_advance(incident=target, to=IncidentStatus.ON_SCENE, by=by)
    return active


@transaction.atomic
def incident_merge(*, duplicate: Incident, into: Incident, by, reason: str = "") -> Incident:
    """Merge ``duplicate`` into ``into`` (the survivor), all or nothing.

    Under both incident locks (pk order), then the units' locks: the
    duplicate's timeline is copied to the survivor's (times kept), its
    attachments move, its camera links are added, its active assignments
    move (each unit keeps exactly one active assignment), and the duplicate
    is marked merged, pointing at the survivor.  Both timelines say what
    happened; one audit row lists what moved.
    """
    if duplicate.pk == into.pk:
        raise DomainError("an incident cannot be merged into itself", field="into")
    locked = {i.pk: i for i in locks.lock_incidents([duplicate.pk, into.pk])}
    dup, target = locked.get(duplicate.pk), locked.get(into.pk)
    if dup is None or target is None:
        raise DomainError("both incidents must exist", field="into")
    if not allowed(INCIDENT_TRANSITIONS, dup.status, IncidentStatus.MERGED):
        raise InvalidTransition("incident", dup.status, IncidentStatus.MERGED,
                                INCIDENT_TRANSITIONS[dup.status], field="status")
    if target.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {target.number} is {target.status}; merge into an open incident",
                       field="into")
    before = _audit_view(dup)
    copied = _copy_timeline(source=dup, target=target)
    attachments = list(dup.attachments.order_by("pk").values_list("pk", flat=True))
    Attachment.objects.filter(pk__in=attachments).update(incident=target)
    cameras = list(dup.cameras.exclude(pk__in=target.cameras.values("pk")).order_by("pk"))
    target.cameras.add(*cameras)
    moved = _move_assignments(dup=dup, target=target, by=by)
    dup.status = IncidentStatus.MERGED
    dup.merged_into = target
    dup.status_reason = clip(Incident, "status_reason", reason.strip())
    dup.save()
    summary = {"timeline_copied": copied, "attachments": attachments, "cameras": [c.pk for c in cameras],
               "units": [a.unit_id for a in moved]}
    timeline_add(incident=dup, kind=TimelineKind.MERGE, by=by, text=f"合并至事件 {target.number}",
                 data={"into": target.pk, **summary})
    timeline_add(incident=target, kind=TimelineKind.MERGE, by=by,
                 text=(f"并入重复事件 {dup.number}：时间线 {copied} 条、附件 {len(attachments)} 个、"
                       f"视频 {len(cameras)} 路、力量 {len(moved)} 支"),
                 data={"duplicate": dup.pk, **summary})
    audit_record(actor=by, action="incident.merge", obj=dup, before=before,
                 after={**_audit_view(dup), **summary}, note=reason)
    emit("incident.merged", {**incident_brief(dup), "into": target.pk, **summary})
    emit("incident.timeline", {"incident": target.pk, "entry": None, "kind": TimelineKind.MERGE})
    return dup


@transaction.atomic
def incident_split(*, incident: Incident, by, title: str, notes: list[int] | None = None,
                   attachments: list[int] | None = None, incident_type: str | None = None,
                   level: str | None = None, location: Point | None = None, description: str = "",
                   caller_name: str = "", caller_phone: str = "") -> Incident:
    """Split a new incident off ``incident`` (two events were reported as
    one): the selected caller notes and media move to the new incident,
    which starts as received (the usual life cycle) and points back to its
    origin through ``split_from``.  Both timelines say so; one audit row."""
    notes = list(dict.fromkeys(notes or []))
    attachments = list(dict.fromkeys(attachments or []))
    if not notes and not attachments:
        raise DomainError("select the caller notes or media that belong to the new incident", field="notes")
    if not title.strip():
        raise DomainError("the new incident needs a title", field="title")
    origin = locks.lock_incident(incident.pk)
    if origin.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {origin.number} is {origin.status}; only an open incident can be split",
                       field="incident")
    entries = list(origin.timeline.filter(pk__in=notes, kind=TimelineKind.NOTE).order_by("pk"))
    if missing := set(notes) - {e.pk for e in entries}:
        raise NotFound(f"note {min(missing)} is not a note of incident {origin.number}", field="notes")
    files = list(origin.attachments.filter(pk__in=attachments).order_by("pk"))
    if missing := set(attachments) - {a.pk for a in files}:
        raise NotFound(f"attachment {min(missing)} is not one of incident {origin.number}",
                       field="attachments")
    incident_type = incident_type or origin.incident_type
    new = incident_create(
        title=title, incident_type=incident_type,
        category=origin.category if incident_type == origin.incident_type else None,
        source=origin.source, level=level or origin.level, by=by,
        location=location or origin.location, address=origin.address if location is None else None,
        description=description, caller_name=caller_name, caller_phone=caller_phone)
    new.split_from = origin
    new.save(update_fields=["split_from", "updated_at"])
    TimelineEntry.objects.filter(pk__in=[e.pk for e in entries]).update(incident=new)
    Attachment.objects.filter(pk__in=[a.pk for a in files]).update(incident=new)
    moved = {"notes": [e.pk for e in entries], "attachments": [a.pk for a in files]}
    timeline_add(incident=origin, kind=TimelineKind.MERGE, by=by,
                 text=f"拆分出新事件 {new.number}：备注 {len(entries)} 条、附件 {len(files)} 个",
                 data={"split_to": new.pk, **moved})
    timeline_add(incident=new, kind=TimelineKind.MERGE, by=by, text=f"由事件 {origin.number} 拆分而来",
                 data={"split_from": origin.pk, **moved})
    audit_record(actor=by, action="incident.split", obj=origin, after={"new": new.pk, **moved})
    emit("incident.split", {**incident_brief(origin), "new": new.pk, **moved})
    emit("incident.timeline", {"incident": origin.pk, "entry": None, "kind": TimelineKind.MERGE})
    return new


@transaction.atomic
def incident_add_note(*, incident: Incident, text: str, by) -> Incident:
    """A free-text line in the timeline."""
    text = text.strip()
    if not text:
        raise DomainError("the note is empty", field="text")
    locked = locks.lock_incident(incident.pk)
    entry = timeline_add(incident=locked, kind=TimelineKind.NOTE, by=by, text=text)
    audit_record(actor=by, action="incident.note", obj=locked, after={"timeline_entry": entry.pk})
    emit("incident.timeline", {"incident": locked.pk, "entry": entry.pk, "kind": entry.kind})
    return locked


@transaction.atomic
def incident_link_camera(*, incident: Incident, camera: Camera, by) -> Incident:
    """Link a camera to an incident (its stream shows in the console)."""
    locked = locks.lock_incident(incident.pk)
    if locked.cameras.filter(pk=camera.pk).exists():
        raise Conflict(f"camera {camera.code} is already linked", field="camera")
    locked.cameras.add(camera)
    timeline_add(incident=locked, kind=TimelineKind.CAMERA, by=by, text=f"关联视频: {camera.name}",
                 data={"camera": camera.pk})
    audit_record(actor=by, action="incident.camera", obj=locked, after={"camera": camera.pk})
    emit("incident.camera", {"incident": locked.pk, "camera": camera.pk})
    return locked


@transaction.atomic
def incident_caller_reveal(*, incident: Incident, by) -> Incident:
    """Record that ``by`` read the caller's name and phone unmasked (a
    sensitive read: the audit row is the point)."""
    audit_record(actor=by, action="incident.caller.read", obj=incident,
                 note="caller name/phone read unmasked")
    return incident
