"""The responder's field app (/field/): a phone-first, installable page for the crew of
a unit — the current assignment, the route, status buttons, positions, photos and
push-to-talk.  Its web-app manifest and service worker (``/field/manifest.webmanifest``,
``/field/sw.js``) are served from ``/field/`` so the worker's scope is the app; they hold
no data and are public (browsers fetch a manifest without cookies)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from cim import roles
from emergency.services.notifications import deliveries_for_user
from viewer.views.field_strings import FIELD_STRINGS
from viewer.views.helpers import as_text
from viewer.views.ops import last_event_id, ws_base

__all__ = ["field_app", "field_manifest", "field_service_worker"]

# Everything the app needs to open without the network (the page itself is cached by
# the worker when it is fetched).
_ASSETS = ("viewer/base.css", "viewer/field/field.css", "viewer/field/main.js", "viewer/field/queue.js",
           "viewer/field/routemap.js", "viewer/common/voice.js", "viewer/common/dom.js",
           "viewer/common/http.js", "viewer/common/live.js", "viewer/field/icon.svg")
CACHE_VERSION = "field-v2"
FIELD_MESSAGES = 10


@login_required
def field_app(request):
    """The field app's page; responders only."""
    if not roles.has_role(request.user, roles.RESPONDER):
        raise PermissionDenied(_("外勤终端仅对出警队员开放。"))
    config = {
        "user": request.user.get_username(),
        "api": {"state": reverse("emergency:field-state"), "ops": reverse("emergency:field-ops"),
                "media": reverse("emergency:field-media"), "roads": reverse("road-list"),
                "incidents": "/api/emergency/incidents/"},
        "wsUrl": ws_base(),
        "lastEventId": last_event_id(),
        "serviceWorker": reverse("viewer:field-sw"),
        # the newest in-app messages (new ones arrive live on the socket's user.<id> group)
        "messages": [
            {"delivery": d.pk, "subject": d.subject, "body": d.body, "at": d.created_at.isoformat()}
            for d in deliveries_for_user(request.user)[:FIELD_MESSAGES]
        ],
    }
    return render(request, "viewer/field.html", {
        "field_config": config, "field_i18n": as_text(FIELD_STRINGS),
    })


def field_manifest(request):
    """The web-app manifest (installable on the phone's home screen)."""
    return JsonResponse({
        "name": _("天水应急外勤终端"), "short_name": _("应急外勤"),
        "start_url": reverse("viewer:field"), "scope": reverse("viewer:field"),
        "display": "standalone", "orientation": "portrait",
        "background_color": "#0b1a2b", "theme_color": "#c0392b",
        "icons": [{"src": static("viewer/field/icon.svg"), "sizes": "any", "type": "image/svg+xml",
                   "purpose": "any maskable"}],
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})




def field_service_worker(request):
    """The service worker, scoped to /field/."""
    body = render_to_string("viewer/field_sw.js", {
        "cache": json.dumps(CACHE_VERSION), "assets": json.dumps([static(a) for a in _ASSETS]),
        "page": json.dumps(reverse("viewer:field"))})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("viewer:field")
    return response
