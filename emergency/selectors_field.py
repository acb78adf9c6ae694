"""Reads of the responder's field app: the unit's current assignment with
what the crew needs on the way (incident, level, address, the caller's notes
a responder may see, the plan's tasks, voice messages) and the road route
from the unit's position, closures honoured, with its turn list."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from cim.masking import mask_name, mask_phone
from cim.models import RoadSegment
from emergency.choices import TimelineKind
from emergency.conf import emergency_settings
from emergency.constants import LEVEL_COLOUR
from emergency.errors import DomainError
from emergency.models import Assignment, Incident, Unit
from emergency.recommend import unit_origin
from emergency.routing import drive_graph, snap_point
from emergency.states import UNIT_TRANSITIONS
from emergency.turns import Leg, turn_steps

__all__ = ["field_route", "field_state"]

VOICE_SHOWN = 20  # the newest voice messages listed with the assignment


def _point(p) -> dict | None:
    return None if p is None else {"lon": p.x, "lat": p.y}


def field_route(unit: Unit, incident: Incident) -> dict[str, Any]:
    """The fastest road route from the unit (its fresh fix, else its
    station) to the incident, with the closures in force, and its steps."""
    origin = unit_origin(unit)
    if origin is None:
        return {"available": False, "reason": "no_position"}
    try:
        graph, closed = drive_graph()
        route = graph.route(snap_point(graph, origin.point, field="unit"),
                            snap_point(graph, incident.location), closed=closed)
    except DomainError as exc:
        return {"available": False, "reason": exc.code, "detail": exc.message}
    if route is None:
        return {"available": False, "reason": "unreachable", "origin": _point(origin.point)}
    segments = RoadSegment.objects.in_bulk(route.edge_ids)
    legs = [Leg(name=s.name, length_m=s.length_m, coords=[tuple(c) for c in s.geom.coords])
            for s in (segments.get(i) for i in route.edge_ids) if s is not None]
    return {
        "available": True, "origin": _point(origin.point), "origin_source": origin.source,
        "seconds": round(route.seconds, 1), "meters": round(route.meters, 1),
        "coords": [[round(x, 6), round(y, 6)] for x, y in route.coords],
        "steps": [s.as_dict() for s in turn_steps(legs, start=route.coords[0], end=route.coords[-1])],
        "closures_in_force": len(closed),
    }


def _incident_brief(incident: Incident) -> dict[str, Any]:
    notes = incident.timeline.filter(kind=TimelineKind.NOTE).order_by("-at")[:20]
    voice = incident.attachments.filter(channel=True).select_related("uploaded_by").order_by("-uploaded_at")
    return {
        "id": incident.pk, "number": incident.number, "title": incident.title,
        "description": incident.description, "status": incident.status,
        "status_label": incident.get_status_display(),
        "level": incident.level, "level_label": incident.get_level_display(),
        "level_colour": LEVEL_COLOUR.get(incident.level, ""),
        "type_label": incident.get_incident_type_display(),
        "address": incident.address.full_name if incident.address_id else "",
        "location": _point(incident.location),
        # a responder is not the control room: the caller's name and phone stay masked
        "caller_name": mask_name(incident.caller_name), "caller_phone": mask_phone(incident.caller_phone),
        "notes": [{"at": n.at.isoformat(), "text": n.text, "by": n.actor_label} for n in notes],
        "tasks": [{"id": t.pk, "title": t.title, "kind": t.kind, "done": t.done}
                  for t in incident.tasks.order_by("position", "pk")],
        "voice": [{"id": a.pk, "at": a.uploaded_at.isoformat(), "duration_s": a.duration_s,
                   "by": a.uploaded_by.get_username() if a.uploaded_by else ""}
                  for a in voice[:VOICE_SHOWN]],
    }


def field_state(user) -> dict[str, Any]:
    """What the field app shows a responder: their units, and for each its
    active assignment (or none)."""
    units = list(Unit.objects.filter(members=user).select_related("home_station").order_by("code"))
    active = {a.unit_id: a for a in Assignment.objects.filter(unit__in=units, released_at__isnull=True)
              .select_related("incident", "incident__address")}
    out = []
    for unit in units:
        a = active.get(unit.pk)
        item = {
            "id": unit.pk, "code": unit.code, "name": unit.name, "status": unit.status,
            "status_label": unit.get_status_display(),
            "status_changed_at": unit.status_changed_at.isoformat(),
            "allowed": sorted(UNIT_TRANSITIONS.get(unit.status, frozenset()) - {"dispatched"}),
            "position": _point(unit.last_position),
            "position_at": unit.last_position_at.isoformat() if unit.last_position_at else None,
            "assignment": None,
        }
        if a is not None:
            item["assignment"] = {
                "id": a.pk, "assigned_at": a.assigned_at.isoformat(),
                "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
                "eta_s": a.eta_s, "distance_m": a.distance_m,
                "incident": _incident_brief(a.incident),
                "route": field_route(unit, a.incident),
            }
        out.append(item)
    return {
        "now": timezone.now().isoformat(), "units": out,
        "settings": {
            "ack_timeout_s": int(emergency_settings.FIELD_ACK_TIMEOUT_S),
            "position_interval_s": int(emergency_settings.FIELD_POSITION_INTERVAL_S),
            "voice_max_s": float(emergency_settings.VOICE_MAX_S),
            "voice_max_bytes": int(emergency_settings.VOICE_MAX_BYTES),
            # the unit state machine, for showing a status pressed offline before the server answers
            "unit_transitions": {k: sorted(v - {"dispatched"}) for k, v in UNIT_TRANSITIONS.items()},
        },
    }
