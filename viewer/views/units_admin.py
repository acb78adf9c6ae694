"""The units back office (/backoffice/units/): the roster with crews and the status board,
live from the operations feed (``/ws/ops/``).

| role               | what the page offers                                               |
|--------------------|--------------------------------------------------------------------|
| admin, commander   | read, edit crews, set out of service (with a reason) and back      |
| dispatcher         | read, set out of service (with a reason) and back                  |
| others             | 403; anonymous visitors are sent to the login page                 |

The page is a shell: rows come from ``/api/emergency/units/board/``, status changes go
through ``/api/emergency/units/{id}/status/`` (the service refuses a unit still assigned),
crews through ``/api/emergency/units/{id}/crew/``; the API checks the roles again.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from emergency.models import Agency
from viewer.views.helpers import as_text, url_or_none, url_prefix
from viewer.views.ops import labels, last_event_id, role_label, ws_base
from viewer.views.ops_backoffice_strings import UNITS_STRINGS

UNITS_ROLES = roles.CONTROL_ROLES

__all__ = ["UNITS_ROLES", "units_admin"]


@login_required
def units_admin(request):
    """Roster and status board of the response units."""
    if not roles.has_role(request.user, *UNITS_ROLES):
        raise PermissionDenied(_("力量管理仅对指挥、调度人员和系统管理员开放。"))
    page_labels = labels()
    can = {"status": True, "crew": roles.has_role(request.user, *roles.COMMAND_ROLES)}
    config = {
        "can": can,
        "api": {
            "board": url_or_none("emergency:unit-board"),
            "units": url_prefix("emergency:unit-detail"),
        },
        "language": get_language(),
        "wsUrl": ws_base(),
        "lastEventId": last_event_id(),
        "labels": {k: page_labels[k] for k in ("unitStatus", "unitType", "unitStatusColour")},
        "agencies": {str(a.pk): a.name for a in Agency.objects.order_by("code")},
    }
    return render(request, "viewer/backoffice/units.html", {
        "units_config": as_text(config),
        "units_i18n": as_text(UNITS_STRINGS),
        "labels": page_labels,
        "role_label": role_label(request.user),
        "can": can,
    })
