"""The emergency command console (/console/) and the city operations dashboard (/dashboard/).

Both pages are shells: every figure, incident and unit comes from the emergency REST API and
the live WebSocket (``/ws/ops/``).  The views decide who may open a page, which controls the
role may use (the API checks again on every call), and hand the JavaScript its configuration
and UI strings in the active language.

Who may open what:

| page       | admin, commander        | dispatcher                     | responder              | others |
|------------|-------------------------|--------------------------------|------------------------|--------|
| /console/  | everything              | no level, plan, zone, alert,   | their assignments only | 403    |
|            |                         | stock commit                   | (read-only)            |        |
| /dashboard/| yes                     | yes                            | 403                    | 403    |

Anonymous visitors are sent to the login page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.models import Building, RoadSegment, ServicePoint
from emergency import choices as ec
from emergency.conf import emergency_settings
from emergency.constants import LEVEL_COLOUR, TYPE_CATEGORY
from emergency.models import Agency, Camera, Depot, Event, Unit
from viewer.ops_views.strings import CONSOLE_STRINGS, DASHBOARD_STRINGS, ROLE_LABELS
from viewer.views import PLANNER_STRINGS, _as_text

CONSOLE_ROLES = roles.EMERGENCY_ROLES
CONTROL_ROLES = roles.CONTROL_ROLES
COMMAND_ROLES = roles.COMMAND_ROLES
DASHBOARD_ROLES = roles.CONTROL_ROLES

# Map colours of the response levels (the law's warning colours) and of unit statuses.
LEVEL_CSS = {"red": "#e8262a", "orange": "#ff8a1f", "yellow": "#ffd21f", "blue": "#2f7bff"}
UNIT_STATUS_CSS = {
    "available": "#2ecc71", "dispatched": "#ff9f1a", "en_route": "#ffd21f", "on_scene": "#ff4d4f",
    "returning": "#36c5f0", "out_of_service": "#8a94a6",
}
ZONE_TIER_CSS = {"sealed": "#e8262a", "controlled": "#ff8a1f", "prevention": "#ffd21f"}


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _prefix(name: str) -> str | None:
    """``/api/emergency/tasks/`` from the detail route (a viewset without a list)."""
    url = _url(name, 0)
    return url[: -len("0/")] if url and url.endswith("/0/") else None


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
    return (settings.CIM.get("WS_URL") or "").rstrip("/")


def _labels() -> dict:
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
        "supplyStatus": _choices(ec.SupplyRequestStatus),
        "zoneTier": {tier: str(emergency_settings.ZONE_NAMES.get(tier) or label)
                     for tier, label in ec.ZoneTier.choices},
        "zoneTierColour": ZONE_TIER_CSS,
        "capStatus": _choices(ec.CapStatus),
        "capCategory": _choices(ec.CapCategory),
        "capUrgency": _choices(ec.CapUrgency),
        "capSeverity": _choices(ec.CapSeverity),
        "capCertainty": _choices(ec.CapCertainty),
    }


def _api_urls() -> dict:
    e = "emergency:"
    return {
        "incidents": _url(f"{e}incident-list"),
        "incidentsGeo": _url(f"{e}incident-geojson"),
        "units": _url(f"{e}unit-list"),
        "unitsGeo": _url(f"{e}unit-geojson"),
        "depots": _url(f"{e}depot-list"),
        "depotsGeo": _url(f"{e}depot-geojson"),
        "cameras": _url(f"{e}camera-list"),
        "camerasGeo": _url(f"{e}camera-geojson"),
        "zones": _url(f"{e}zone-list"),
        "alerts": _url(f"{e}alert-list"),
        "assignments": _url(f"{e}assignment-list"),
        "supplyRequests": _url(f"{e}supply-request-list"),
        "items": _url(f"{e}item-list"),
        "replenishment": _url(f"{e}replenishment-alert-list"),
        "tasks": _prefix(f"{e}task-detail"),
        "events": _url(f"{e}event-list"),
        "plans": _url(f"{e}plan-list"),
        "search": _url("search"),
        "cityInfo": _url("city-info"),
        "reports": _url("report-list"),
    }


def role_label(user) -> str:
    """The user's roles in the active language (status bar)."""
    return " / ".join(str(ROLE_LABELS[r]) for r in roles.ALL_ROLES if r in roles.roles_of(user))


def _user_brief(user) -> dict:
    return {"name": user.get_username(), "roles": sorted(roles.roles_of(user))}


def _planner_context() -> dict:
    """The configuration the planner's basemap module reads (#planner-config, #planner-i18n):
    the console draws the same roads, water and boundaries by importing that module."""
    return {
        "planner_config": _as_text({
            "roadsUrl": _url("road-list"),
            "adminBoundariesUrl": _url("map-admin-boundaries"),
            "adminAreasGeoUrl": _url("admin-area-geojson"),
            "waterwaysUrl": _url("waterway-list"),
            "language": get_language(),
        }),
        "planner_i18n": _as_text(PLANNER_STRINGS),
    }


def console_capabilities(user) -> dict[str, bool]:
    """What the console lets this user do (the API enforces the same rules)."""
    control = roles.has_role(user, *CONTROL_ROLES)
    command = roles.has_role(user, *COMMAND_ROLES)
    return {
        "createIncident": control, "transition": control, "note": control, "upload": control,
        "level": command, "activatePlan": command, "recommend": control, "assign": control,
        "requestSupplies": control, "commitSupplies": command, "shipSupplies": control,
        "zones": command, "alerts": command, "tasks": control, "linkCamera": control,
        "readRegistry": control,
    }


@login_required
def console(request):
    """The emergency command console (Cesium 3D map, incident list and detail, live)."""
    if not roles.has_role(request.user, *CONSOLE_ROLES):
        raise PermissionDenied(_("应急指挥台仅对指挥、调度和出警人员开放。"))
    can = console_capabilities(request.user)
    config = {
        "mode": "command" if roles.has_role(request.user, *CONTROL_ROLES) else "responder",
        "can": can,
        "user": _user_brief(request.user),
        "api": _api_urls(),
        "wsUrl": ws_base(),
        "lastEventId": last_event_id(),
        "staleSeconds": float(emergency_settings.UNIT_POSITION_STALE_S),
        "language": get_language(),
        "labels": _labels(),
    }
    return render(request, "viewer/console.html", {
        "console_config": _as_text(config),
        "console_i18n": _as_text(CONSOLE_STRINGS),
        "synthetic": synthetic_data_loaded(),
        "can": can,
        "mode": config["mode"],
        "labels": config["labels"],
        "role_label": role_label(request.user),
        **_planner_context(),
    })


@login_required
def dashboard(request):
    """The operations centre's one screen (网络理政中心): map and charts, live."""
    if not roles.has_role(request.user, *DASHBOARD_ROLES):
        raise PermissionDenied(_("城市运行大屏仅对指挥和调度人员开放。"))
    config = {
        "user": _user_brief(request.user),
        "api": {**_api_urls(), **_stats_urls()},
        "wsUrl": ws_base(),
        "lastEventId": last_event_id(),
        "staleSeconds": float(emergency_settings.UNIT_POSITION_STALE_S),
        "language": get_language(),
        "labels": _labels(),
    }
    return render(request, "viewer/dashboard.html", {
        "dashboard_config": _as_text(config),
        "dashboard_i18n": _as_text(DASHBOARD_STRINGS),
        "synthetic": synthetic_data_loaded(),
        "labels": config["labels"],
        **_planner_context(),
    })


def _stats_urls() -> dict:
    """The statistics endpoints (emergency/api/live.py); None where one is not routed."""
    e = "emergency:"
    return {
        "statsIncidents": _url(f"{e}stats-incidents"),
        "statsResponse": _url(f"{e}stats-response-times"),
        "statsUnits": _url(f"{e}stats-units"),
        "statsSupplies": _url(f"{e}stats-supplies"),
        "statsPlates": _url(f"{e}stats-plates"),
        "positions": _url(f"{e}positions"),
    }


__all__ = ["console", "console_capabilities", "dashboard", "last_event_id", "synthetic_data_loaded",
           "ws_base"]
