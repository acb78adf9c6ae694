"""Issuing public alerts as CAP 1.2 documents, and cancelling them."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.cap import CapArea, CapMessage, build_cap, cap_identifier, cap_time
from emergency.choices import (
    CapCategory,
    CapCertainty,
    CapMsgType,
    CapSeverity,
    CapStatus,
    CapUrgency,
    IncidentType,
    TimelineKind,
    ZoneStatus,
)
from emergency.conf import emergency_settings
from emergency.constants import LEVEL_CAP_SEVERITY, LEVEL_COLOUR, TYPE_CAP_CATEGORY
from emergency.errors import Conflict, DomainError
from emergency.events import emit
from emergency.models import Alert, Incident
from emergency.services._common import timeline_add

__all__ = ["alert_cancel", "alert_issue", "alert_update"]


def _circle_polygon(incident: Incident, radius_m: float) -> MultiPolygon:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_AsBinary(ST_Multi(ST_Buffer(ST_GeomFromEWKB(%s)::geography, %s, 16)"
                    "::geometry))",
                    [bytes(incident.location.ewkb), radius_m])
        (wkb,) = cur.fetchone()
    return GEOSGeometry(memoryview(bytes(wkb)), srid=4326)


def _default_area(incident: Incident) -> MultiPolygon:
    """The incident's area, else its active zones, else a circle around it."""
    if incident.area is not None:
        return incident.area
    zones = list(incident.zones.filter(status=ZoneStatus.ACTIVE).values_list("geom", flat=True))
    if zones:
        polys = [p for z in zones for p in z]
        return MultiPolygon(*polys, srid=4326)
    return _circle_polygon(incident, float(emergency_settings.CAP_DEFAULT_RADIUS_M))


def _message(alert: Alert, *, references: str = "") -> CapMessage:
    colour = ""
    if alert.incident is not None:
        colour = LEVEL_COLOUR.get(alert.incident.level, "")
    rings = [[tuple(c) for c in poly[0].coords] for poly in alert.area]
    return CapMessage(
        identifier=alert.identifier, sender=alert.sender, sent=alert.sent, status=alert.status,
        msg_type=alert.msg_type, scope="Public", category=alert.category, event=alert.event,
        urgency=alert.urgency, severity=alert.severity, certainty=alert.certainty,
        sender_name=alert.sender_name, headline=alert.headline, description=alert.description,
        instruction=alert.instruction, expires=alert.expires, references=references,
        incidents=alert.incident.number if alert.incident and alert.incident.number else "",
        parameters={"预警级别颜色": colour} if colour else {},
        area=CapArea(description=alert.area_desc, polygons=rings,
                     geocodes={"GB/T 2260": alert.division_code}),
    )


def _save_with_identifier(alert: Alert, *, references: str = "") -> Alert:
    """Number the alert (sequence digit within the second) and store it with
    its CAP document; a clash with a concurrent alert takes the next digit."""
    for sequence in range(10):
        alert.identifier = cap_identifier(division_code=alert.division_code,
                                          unit_code=str(emergency_settings.CAP_UNIT_CODE), entered=alert.sent,
                                          sequence=sequence)
        if Alert.objects.filter(identifier=alert.identifier).exists():
            continue
        alert.xml = build_cap(_message(alert, references=references)).decode()
        try:
            with transaction.atomic():
                alert.save()
            return alert
        except IntegrityError:
            continue
    raise Conflict("ten alerts were issued this second; issue again", field="identifier")


@transaction.atomic
def alert_issue(*, by, headline: str, description: str, incident: Incident | None = None,
                instruction: str = "", event: str = "", category: str | None = None,
                urgency: str = CapUrgency.IMMEDIATE, severity: str | None = None,
                certainty: str = CapCertainty.OBSERVED, status: str = CapStatus.ACTUAL,
                area: MultiPolygon | None = None, area_desc: str = "",
                expires: dt.datetime | None = None) -> Alert:
    """Issue a public alert, stored with the exact CAP 1.2 document.  Omitted
    fields follow the incident: severity from its level, category and event
    from its type, area from its area, its zones or a circle around it."""
    if not headline.strip() or not description.strip():
        raise DomainError("headline and description are required", field="headline")
    if incident is None and area is None:
        raise DomainError("an alert needs an area (or an incident to take it from)", field="area")
    if incident is not None and incident.status in ("cancelled", "merged"):
        raise Conflict(f"incident {incident.number} is {incident.status}", field="incident")
    now = timezone.now()
    if expires is not None and expires <= now:
        raise DomainError("expires lies in the past", field="expires")
    choices = [("category", category, CapCategory), ("urgency", urgency, CapUrgency),
               ("severity", severity, CapSeverity), ("certainty", certainty, CapCertainty),
               ("status", status, CapStatus)]
    for name, value, enum in choices:
        if value is not None and value not in enum.values:
            raise DomainError(f"unknown {name} {value!r}; one of {', '.join(enum.values)}", field=name)
    if incident is not None:
        category = category or TYPE_CAP_CATEGORY.get(incident.incident_type, CapCategory.OTHER)
        severity = severity or LEVEL_CAP_SEVERITY[incident.level]
        event = event or str(IncidentType(incident.incident_type).label)
        area = area or _default_area(incident)
        area_desc = area_desc or (incident.admin_area.name if incident.admin_area else incident.title)
        division = (incident.admin_area.code[:6] if incident.admin_area
                    else str(emergency_settings.CAP_DIVISION_CODE))
    else:
        division = str(emergency_settings.CAP_DIVISION_CODE)
    if not event.strip() or not area_desc.strip():
        raise DomainError("event and area_desc are required without an incident", field="event")
    alert = Alert(
        incident=incident, division_code=division, sender=str(emergency_settings.CAP_SENDER),
        sender_name=str(emergency_settings.CAP_SENDER_NAME), sent=now, status=status,
        msg_type=CapMsgType.ALERT, category=category or CapCategory.OTHER,
        event=clip(Alert, "event", event.strip()), urgency=urgency,
        severity=severity or CapSeverity.UNKNOWN, certainty=certainty,
        headline=clip(Alert, "headline", headline.strip()),
        description=description.strip(), instruction=instruction.strip(),
        area_desc=clip(Alert, "area_desc", area_desc.strip()),
        area=area, expires=expires, issued_by=roles.acting_user(by),
    )
    alert = _save_with_identifier(alert)
    if incident is not None:
        timeline_add(incident=incident, kind=TimelineKind.ALERT, by=by, text=f"发布预警: {alert.headline}",
                     data={"alert": alert.pk, "identifier": alert.identifier})
    audit_record(actor=by, action="alert.issue", obj=alert,
                 after={"identifier": alert.identifier, "headline": alert.headline,
                        "severity": alert.severity, "status": alert.status})
    emit("alert.issued", {"alert": alert.pk, "identifier": alert.identifier, "headline": alert.headline,
                          "severity": alert.severity, "incident": incident.pk if incident else None})
    _reach_public(alert, by=by)
    return alert


def _reach_public(alert: Alert, *, by, previous: Alert | None = None) -> None:
    """What every alert message does for the public: the scan pages inside
    its area (and the area it replaces) are rendered afresh, and the
    subscribers there get it by SMS."""
    from emergency.services.public_warnings import alert_notify_subscribers, scan_pages_forget_within

    scan_pages_forget_within(alert.area, previous.area if previous is not None else None)
    alert_notify_subscribers(alert=alert, by=by)


def _refuse_superseded(original: Alert) -> None:
    if original.msg_type == CapMsgType.CANCEL:
        raise Conflict("this is a cancel message itself", field="alert")
    later = original.followups.order_by("-sent").first()
    if later is not None:
        what = "cancelled" if later.msg_type == CapMsgType.CANCEL else f"updated by {later.identifier}"
        raise Conflict(f"alert {original.identifier} is already {what}", field="alert")


def _references(original: Alert) -> str:
    return f"{original.sender},{original.identifier},{cap_time(original.sent)}"


@transaction.atomic
def alert_update(*, alert: Alert, by, headline: str | None = None, description: str | None = None,
                 instruction: str | None = None, severity: str | None = None, urgency: str | None = None,
                 area: MultiPolygon | None = None, area_desc: str | None = None,
                 expires: dt.datetime | None = None) -> Alert:
    """Issue the CAP Update of an alert in force (msgType Update, with a
    reference to it): what is not given stays as it was."""
    original = locks.lock_alert(alert.pk)
    _refuse_superseded(original)
    now = timezone.now()
    if expires is not None and expires <= now:
        raise DomainError("expires lies in the past", field="expires")
    for name, value, enum in (("severity", severity, CapSeverity), ("urgency", urgency, CapUrgency)):
        if value is not None and value not in enum.values:
            raise DomainError(f"unknown {name} {value!r}; one of {', '.join(enum.values)}", field=name)
    if area is not None and area.empty:
        raise DomainError("an alert needs an area", field="area")
    text = {"headline": headline, "description": description}
    for name, value in text.items():
        if value is not None and not value.strip():
            raise DomainError(f"{name} may not be empty", field=name)
    update = Alert(
        incident=original.incident, division_code=original.division_code, sender=original.sender,
        sender_name=original.sender_name, sent=now, status=original.status, msg_type=CapMsgType.UPDATE,
        references=original, category=original.category, event=original.event,
        urgency=urgency or original.urgency, severity=severity or original.severity,
        certainty=original.certainty,
        headline=clip(Alert, "headline", (headline or original.headline).strip()),
        description=(description or original.description).strip(),
        instruction=(original.instruction if instruction is None else instruction).strip(),
        area_desc=clip(Alert, "area_desc", (area_desc or original.area_desc).strip()),
        area=area or original.area, expires=expires or original.expires, issued_by=roles.acting_user(by),
    )
    update = _save_with_identifier(update, references=_references(original))
    if original.incident_id:
        timeline_add(incident=original.incident, kind=TimelineKind.ALERT, by=by,
                     text=f"更新预警: {update.headline}", data={"alert": update.pk})
    audit_record(actor=by, action="alert.update", obj=update,
                 after={"identifier": update.identifier, "references": original.identifier,
                        "severity": update.severity})
    emit("alert.updated", {"alert": update.pk, "references": original.pk, "headline": update.headline})
    _reach_public(update, by=by, previous=original)
    return update


@transaction.atomic
def alert_cancel(*, alert: Alert, by, reason: str = "") -> Alert:
    """Issue the CAP Cancel message for an alert (msgType Cancel, with a
    reference to the original)."""
    original = locks.lock_alert(alert.pk)
    _refuse_superseded(original)
    cancel = Alert(
        incident=original.incident, division_code=original.division_code, sender=original.sender,
        sender_name=original.sender_name, sent=timezone.now(), status=original.status,
        msg_type=CapMsgType.CANCEL, references=original, category=original.category, event=original.event,
        urgency=CapUrgency.PAST, severity=original.severity, certainty=original.certainty,
        headline=clip(Alert, "headline", f"解除: {original.headline}"),
        description=reason.strip() or f"{original.headline} 已解除",
        area_desc=original.area_desc, area=original.area,
        issued_by=roles.acting_user(by),
    )
    cancel = _save_with_identifier(cancel, references=_references(original))
    if original.incident_id:
        timeline_add(incident=original.incident, kind=TimelineKind.ALERT, by=by,
                     text=f"解除预警: {original.headline}", data={"alert": cancel.pk})
    audit_record(actor=by, action="alert.cancel", obj=cancel,
                 after={"identifier": cancel.identifier, "references": original.identifier},
                 note=reason)
    emit("alert.cancelled", {"alert": cancel.pk, "references": original.pk})
    _reach_public(cancel, by=by)
    return cancel
