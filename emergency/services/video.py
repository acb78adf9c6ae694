"""Opening camera streams: a sensitive read, audited once per user, camera
and window (``EMERGENCY["VIDEO_AUDIT_WINDOW_S"]``) so that a video wall
reopened every few seconds does not flood the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.models import AuditLog
from cim.services.audit import audit_record
from emergency.conf import emergency_settings
from emergency.locks import lock_stream_audit
from emergency.models import Camera

__all__ = ["STREAM_OPEN", "STREAM_READ", "camera_stream_reveal", "camera_streams_open"]

STREAM_OPEN = "camera.stream.open"
STREAM_READ = "camera.stream.read"


@transaction.atomic
def camera_streams_open(*, cameras: Iterable[Camera], by, context: str = "") -> list[Camera]:
    """Record that ``by`` opened the streams of ``cameras`` (``context``: where,
    e.g. an incident's wall) and return the cameras whose opening was written
    now: one audit row per user and camera within the window, however often
    and however concurrently the streams are opened."""
    user = roles.acting_user(by)
    cameras = list(cameras)
    if user is None or not cameras:
        return []
    lock_stream_audit(user.pk)
    since = timezone.now() - timedelta(seconds=emergency_settings.VIDEO_AUDIT_WINDOW_S)
    already = set(AuditLog.objects.filter(
        actor=user, action=STREAM_OPEN, object_type=Camera._meta.label_lower, at__gte=since,
        object_id__in=[str(c.pk) for c in cameras]).values_list("object_id", flat=True))
    written = []
    for camera in cameras:
        if str(camera.pk) in already:
            continue
        audit_record(actor=by, action=STREAM_OPEN, obj=camera, note=context,
                     after={"code": camera.code, "protocol": camera.protocol})
        written.append(camera)
    return written


@transaction.atomic
def camera_stream_reveal(*, camera: Camera, by) -> Camera:
    """Record that ``by`` read a camera's stream and snapshot addresses whole
    (lists show them masked).  Unlike opening a stream, every reveal is a row:
    an address read on purpose may be copied elsewhere."""
    audit_record(actor=by, action=STREAM_READ, obj=camera, note="camera stream address read unmasked",
                 after={"code": camera.code, "protocol": camera.protocol})
    return camera
