"""Helpers shared by the emergency services (timeline lines, actor labels)."""

from __future__ import annotations

from typing import Any

from cim import roles
from config.common.clip import clip
from emergency.choices import ZoneTier
from emergency.conf import emergency_settings
from emergency.models import Incident, TimelineEntry


def timeline_add(*, incident: Incident, kind: str, text: str, by=None,
                 data: dict[str, Any] | None = None) -> TimelineEntry:
    """Append a line to an incident's timeline (inside the caller's transaction)."""
    return TimelineEntry.objects.create(incident=incident, actor=roles.acting_user(by),
                                        actor_label=clip(TimelineEntry, "actor_label", roles.actor_label(by)),
                                        kind=kind, text=clip(TimelineEntry, "text", text), data=data or {})


def incident_brief(incident: Incident) -> dict[str, Any]:
    """The fields of an incident every event carries (no personal data)."""
    return {
        "id": incident.pk, "number": incident.number, "title": incident.title,
        "status": incident.status, "level": incident.level, "type": incident.incident_type,
        "category": incident.category,
        "lon": incident.location.x, "lat": incident.location.y,
    }


def zone_label(tier: str) -> str:
    """The configured display name of a tier (封控区… or high/medium/low risk)."""
    return str(emergency_settings.ZONE_NAMES.get(tier) or ZoneTier(tier).label)
