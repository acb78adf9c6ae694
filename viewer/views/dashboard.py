"""The city operations dashboard (/dashboard/): the operations centre's one screen
(网络理政中心), map and charts, live.  Commanders, dispatchers and admins may open it;
responders and everyone else get 403, anonymous visitors the login page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from cim import roles
from config.common.csp import cesium_page
from viewer.views.helpers import as_text, url_or_none
from viewer.views.ops import api_urls, labels, ops_config, synthetic_data_loaded
from viewer.views.ops_strings import DASHBOARD_STRINGS

DASHBOARD_ROLES = roles.CONTROL_ROLES


def stats_urls() -> dict:
    """The statistics endpoints (emergency/api/live.py); None where one is not routed."""
    e = "emergency:"
    return {
        "statsIncidents": url_or_none(f"{e}stats-incidents"),
        "statsResponse": url_or_none(f"{e}stats-response-times"),
        "statsUnits": url_or_none(f"{e}stats-units"),
        "statsSupplies": url_or_none(f"{e}stats-supplies"),
        "statsPlates": url_or_none(f"{e}stats-plates"),
        "positions": url_or_none(f"{e}positions"),
    }


@cesium_page
@login_required
def dashboard(request):
    """The operations centre's one screen (网络理政中心): map and charts, live."""
    if not roles.has_role(request.user, *DASHBOARD_ROLES):
        raise PermissionDenied(_("城市运行大屏仅对指挥和调度人员开放。"))
    page_labels = labels()
    config = ops_config(request.user, api={**api_urls(), **stats_urls()}, page_labels=page_labels)
    return render(request, "viewer/dashboard.html", {
        "dashboard_config": as_text(config),
        "dashboard_i18n": as_text(DASHBOARD_STRINGS),
        "synthetic": synthetic_data_loaded(),
        "labels": page_labels,
    })


__all__ = ["DASHBOARD_ROLES", "dashboard", "stats_urls"]
