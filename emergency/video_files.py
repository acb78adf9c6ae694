"""Serving the demo cameras' HLS streams (``/video/<code>/…``).

Camera pictures are for the control room (the roles that may see cameras,
``CONTROL_ROLES``): anyone else gets 403 (401 when not signed in), in the one
error shape.  hls.js sends the session cookie with these same-origin
requests.  Only the published files are served — ``index.m3u8``,
``seg_NNN.ts`` and ``snapshot.jpg`` of a camera folder — and no path can leave
the folder.  In production nginx serves the files itself after asking
:func:`video_refusal` through ``/edge/video-access`` (auth_request).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cim import roles
from config.common.errors import error_body
from emergency.conf import emergency_settings

__all__ = ["video", "video_access", "video_refusal"]

VIDEO_FILE = re.compile(r"^[A-Za-z0-9_-]{1,32}/(index\.m3u8|seg_[0-9]{3,5}\.ts|snapshot\.jpg)$")
CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg"}


def video_refusal(request) -> JsonResponse | None:
    """Why ``request`` may not load camera video (401/403), or None.  The one
    rule, for this view and for nginx's sub-request."""
    if not request.user.is_authenticated:
        return JsonResponse(error_body("not_authenticated", "sign in to watch camera video"), status=401)
    if not roles.has_role(request.user, *roles.CONTROL_ROLES):
        return JsonResponse(error_body("permission_denied", "camera video is for the command and dispatch "
                                                            "roles"), status=403)
    return None


@require_safe
def video(request, path: str):
    """A file of a demo camera's stream (console roles only)."""
    refusal = video_refusal(request)
    if refusal is not None:
        return refusal
    if not VIDEO_FILE.match(path):
        raise Http404("no such file")
    base = (Path(settings.MEDIA_ROOT) / emergency_settings.VIDEO_DIR).resolve()
    file = (base / path).resolve()
    if not file.is_relative_to(base) or not file.is_file():
        raise Http404("no such file")
    response = FileResponse(open(file, "rb"), content_type=CONTENT_TYPES[file.suffix])
    # Segments of a build never change (a rebuild writes a new folder); the playlist is revalidated.
    response["Cache-Control"] = "private, no-cache" if file.suffix == ".m3u8" else "private, max-age=3600"
    return response


@never_cache
@require_safe
def video_access(request):
    """nginx's sub-request before it serves ``/video/…``."""
    return video_refusal(request) or HttpResponse(status=204)
