"""The emergency command console (/console/).

Who may open it:

| role               | what the console offers                                            |
|--------------------|--------------------------------------------------------------------|
| admin, commander   | everything                                                         |
| dispatcher         | all but level, plan, zone, alert and stock commit                  |
| responder          | their assignments only (read-only)                                 |
| others             | 403; anonymous visitors are sent to the login page                 |

The view decides which controls the role may use (the API checks again on every call) and
hands the JavaScript its configuration and UI strings in the active language.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from config.common.csp import cesium_page
from emergency.conf import emergency_settings
from emergency.selectors_notify import task_departments
from emergency.services.dispatch_scope import approves_mutual_aid
from viewer.views.helpers import as_text
from viewer.views.ops import api_urls, labels, ops_config, role_label, synthetic_data_loaded
from viewer.views.ops_strings import CONSOLE_STRINGS

CONSOLE_ROLES = roles.EMERGENCY_ROLES


def console_capabilities(user) -> dict[str, bool]:
    """What the console lets this user do (the API enforces the same rules)."""
    control = roles.has_role(user, *roles.CONTROL_ROLES)
    command = roles.has_role(user, *roles.COMMAND_ROLES)
    city_level = approves_mutual_aid(user)
    return {
        "createIncident": control, "transition": control, "note": control, "upload": control,
        "level": command, "activatePlan": command, "recommend": control, "assign": control,
        "requestSupplies": control, "commitSupplies": command, "shipSupplies": control,
        "zones": command, "alerts": command, "tasks": control, "linkCamera": control,
        "agencyTasks": control, "revealStream": control,
        "readRegistry": control, "closures": control, "merge": control,
        # units of other districts: a district dispatcher asks, the city level decides
        "requestMutualAid": control and not city_level, "approveMutualAid": city_level,
    }


@cesium_page
@login_required
def console(request):
    """The emergency command console (Cesium 3D map, incident list and detail, live)."""
    if not roles.has_role(request.user, *CONSOLE_ROLES):
        raise PermissionDenied(_("应急指挥台仅对指挥、调度和出警人员开放。"))
    can = console_capabilities(request.user)
    mode = "command" if roles.has_role(request.user, *roles.CONTROL_ROLES) else "responder"
    page_labels = labels()
    config = {
        "mode": mode,
        "can": can,
        "fieldAckTimeoutS": int(emergency_settings.FIELD_ACK_TIMEOUT_S),
        "voiceMaxS": float(emergency_settings.VOICE_MAX_S),
        # hls.js from the platform's static files (npm, never a CDN), loaded when a video wall opens
        "hlsModule": static("vendor/hls/hls.light.min.mjs"),
        # where an agency task (联动任务) may go: the departments the API knows
        "departments": task_departments(english=get_language() == "en") if can["agencyTasks"] else [],
        **ops_config(request.user, api=api_urls(), page_labels=page_labels),
    }
    return render(request, "viewer/console.html", {
        "console_config": as_text(config),
        "console_i18n": as_text(CONSOLE_STRINGS),
        "synthetic": synthetic_data_loaded(),
        "can": can,
        "mode": mode,
        "labels": page_labels,
        "role_label": role_label(request.user),
    })


__all__ = ["CONSOLE_ROLES", "console", "console_capabilities"]
