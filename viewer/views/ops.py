"""What the two operations pages, the command console and the city dashboard, both hand
their JavaScript: choice labels and colours, API addresses, the live feed's starting point.

Both pages are shells: every figure, incident and unit comes from the emergency REST API and
the live WebSocket (``/ws/ops/``).
"""

from __future__ import annotations

from django.db.models import Max
from django.utils.translation import get_language

from cim import roles
from cim.conf import cim_settings
from cim.models import Building, RoadSegment, ServicePoint
from emergency import choices as ec
from emergency.conf import emergency_settings
from emergency.constants import LEVEL_COLOUR, TYPE_CATEGORY
from emergency.models import Agency, Camera, Depot, Event, Unit
from viewer.views.helpers import basemap_urls, url_or_none, url_prefix
from viewer.views.ops_strings import ROLE_LABELS

# Map colours of the response levels (the law's warning colours) and of unit statuses.
LEVEL_CSS = {"red": "#e8262a", "orange": "#ff8a1f", "yellow": "#ffd21f", "blue": "#2f7bff"}
UNIT_STATUS_CSS = {
    "available": "#2ecc71", "dispatched": "#ff9f1a", "en_route": "#ffd21f", "on_scene": "#ff4d4f",
    "returning": "#36c5f0", "out_of_service": "#8a94a6",
}
ZONE_TIER_CSS = {"sealed": "#e8262a", "controlled": "#ff8a1f", "prevention": "#ffd21f"}


def _choices(enum) -> dict[str, str]:
    return {value: str(label) for value, label in enum.choices}


def synthetic_data_loaded() -> bool:
    """True when the city or the emergency registry holds generated demo records."""
    return any(model.objects.filter(synthetic=True).exists()
               for model in (Building, RoadSegment, ServicePoint, Unit, Depot, Camera, Agency))


def last_event_id() -> int:
    """The newest event id: the page's REST state is at least this new, so the WebSocket
    resumes from here and nothing between page render and connect is lost."""
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def ws_base() -> str:
    """Where the browser opens WebSockets; empty means the page's own origin."""
    return (cim_settings.WS_URL or "").rstrip("/")


def labels() -> dict:
    """Display labels and map colours of every choice the operations pages show."""
    return {
        "category": _choices(ec.IncidentCategory),
        "incidentType": _choices(ec.IncidentType),
        "typeCategory": {str(k): str(v) for k, v in TYPE_CATEGORY.items()},
        "level": _choices(ec.IncidentLevel),
        "levelColour": {str(k): LEVEL_CSS[v] for k, v in LEVEL_COLOUR.items()},
        "status": _choices(ec.IncidentStatus),
        "disposition": _choices(ec.Disposition),
        "source": _choices(ec.IncidentSource),
        "timelineKind": _choices(ec.TimelineKind),
        "unitType": _choices(ec.UnitType),
        "unitStatus": _choices(ec.UnitStatus),
        "unitStatusColour": UNIT_STATUS_CSS,
        "agencyKind": _choices(ec.AgencyKind),
        "cameraProtocol": _choices(ec.CameraProtocol),
        "supplyStatus": _choices(ec.SupplyRequestStatus),
        "mutualAidStatus": _choices(ec.MutualAidStatus),
        "zoneTier": {tier: str(emergency_settings.ZONE_NAMES.get(tier) or label)
                     for tier, label in ec.ZoneTier.choices},
        "zoneTierColour": ZONE_TIER_CSS,
        "closureReason": _choices(ec.ClosureReason),
        "capStatus": _choices(ec.CapStatus),
        "capCategory": _choices(ec.CapCategory),
        "capUrgency": _choices(ec.CapUrgency),
        "capSeverity": _choices(ec.CapSeverity),
        "capCertainty": _choices(ec.CapCertainty),
    }


def api_urls() -> dict:
    """The REST endpoints the operations pages read and write (None where not routed)."""
    e = "emergency:"
    return {
        "incidents": url_or_none(f"{e}incident-list"),
        "incidentsGeo": url_or_none(f"{e}incident-geojson"),
        "units": url_or_none(f"{e}unit-list"),
        "unitsGeo": url_or_none(f"{e}unit-geojson"),
        "depots": url_or_none(f"{e}depot-list"),
        "depotsGeo": url_or_none(f"{e}depot-geojson"),
        "cameras": url_or_none(f"{e}camera-list"),
        "camerasGeo": url_or_none(f"{e}camera-geojson"),
        "zones": url_or_none(f"{e}zone-list"),
        "closures": url_or_none(f"{e}closure-list"),
        "alerts": url_or_none(f"{e}alert-list"),
        "agencyTasks": url_or_none(f"{e}agency-task-list"),
        "assignments": url_or_none(f"{e}assignment-list"),
        "mutualAid": url_or_none(f"{e}mutual-aid-list"),
        "supplyRequests": url_or_none(f"{e}supply-request-list"),
        "items": url_or_none(f"{e}item-list"),
        "replenishment": url_or_none(f"{e}replenishment-alert-list"),
        "tasks": url_prefix(f"{e}task-detail"),
        "events": url_or_none(f"{e}event-list"),
        "plans": url_or_none(f"{e}plan-list"),
        "search": url_or_none("search"),
        "cityInfo": url_or_none("city-info"),
        "reports": url_or_none("report-list"),
    }


def role_label(user) -> str:
    """The user's roles in the active language (status bar)."""
    return " / ".join(str(ROLE_LABELS[r]) for r in roles.ALL_ROLES if r in roles.roles_of(user))


def ops_config(user, *, api: dict, page_labels: dict) -> dict:
    """The part of the configuration both operations pages give their JavaScript: who is
    signed in, where the APIs, the live feed and the basemap's layers are."""
    return {
        "user": {"name": user.get_username(), "roles": sorted(roles.roles_of(user))},
        "api": api,
        "basemap": basemap_urls(),
        "wsUrl": ws_base(),
        "lastEventId": last_event_id(),
        "staleSeconds": float(emergency_settings.UNIT_POSITION_STALE_S),
        "language": get_language(),
        "labels": page_labels,
    }


__all__ = ["LEVEL_CSS", "UNIT_STATUS_CSS", "ZONE_TIER_CSS", "api_urls", "labels", "last_event_id",
           "ops_config", "role_label", "synthetic_data_loaded", "ws_base"]
