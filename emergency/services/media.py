"""Attachments of incidents: photos, video and voice, checked by content."""

from __future__ import annotations

import hashlib
import tempfile

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from cim import roles
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import TimelineKind
from emergency.conf import emergency_settings
from emergency.errors import Conflict, DomainError
from emergency.events import emit
from emergency.media import MediaRefused, MediaType, probe, probe_photo, sniff
from emergency.models import Attachment, Incident
from emergency.services._common import timeline_add

__all__ = ["attachment_add", "attachment_read"]

ACCEPTED = "JPEG/PNG/WebP/HEIC photos, MP4/MOV/WebM/AVI video, MP3/WAV/OGG/AMR/M4A voice"


def _probe_upload(upload: UploadedFile, media: MediaType) -> MediaType:
    """Decode or probe the upload: a photo from the upload itself, sound and
    video (ffprobe needs a file) from its temporary file or a copy of it."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        return probe(path(), media)
    if media.kind == "photo":
        upload.seek(0)
        return probe_photo(upload, media)
    with tempfile.NamedTemporaryFile(suffix=media.extension) as copy:
        upload.seek(0)
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        return probe(copy.name, media)


@transaction.atomic
def attachment_add(*, incident: Incident, upload: UploadedFile, by, note: str = "",
                   channel: bool = False) -> Attachment:
    """Store a media file for an incident.  Its type comes from its magic
    bytes; the size limit is per kind (``ATTACHMENT_MAX_BYTES``).  A refused
    file leaves nothing on disk or in the database.

    ``channel``: a push-to-talk voice message on the incident's channel
    (console ⇄ the crews of its units): sound only, at most ``VOICE_MAX_BYTES``
    and ``VOICE_MAX_S`` long; the event names the incident's active units so
    their field devices hear it."""
    size = upload.size or 0
    if size <= 0:
        raise DomainError("the file is empty", field="file")
    voice_bytes = int(emergency_settings.VOICE_MAX_BYTES)
    if channel and size > voice_bytes:
        raise DomainError(f"a voice message may be at most {voice_bytes // 1024} KB; this one is "
                          f"{size // 1024} KB", field="file", code="file_too_large")
    upload.seek(0)
    media = sniff(upload.read(32))
    if media is None:
        raise DomainError(f"unsupported file type; accepted: {ACCEPTED}", field="file",
                          code="unsupported_media_type")
    limits = emergency_settings.ATTACHMENT_MAX_BYTES
    if size > max(int(v) for v in limits.values()):
        raise DomainError(f"the file is {size / 2**20:.1f} MB; more than any kind may be", field="file",
                          code="file_too_large")
    try:
        media = _probe_upload(upload, media)
    except MediaRefused as exc:
        raise DomainError(f"{exc}; accepted: {ACCEPTED}", field="file", code="undecodable_media") from None
    if channel:
        _check_voice(media)
    limit = int(limits[media.kind])
    if size > limit:
        raise DomainError(f"a {media.kind} may be at most {limit // 2**20} MB; this file is "
                          f"{size / 2**20:.1f} MB", field="file", code="file_too_large")
    locked = locks.lock_incident(incident.pk)
    if locked.status == "merged":
        raise Conflict(f"incident {locked.number} was merged; attach to {locked.merged_into_id}",
                       field="incident")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        incident=locked, kind=media.kind, content_type=media.content_type, size_bytes=size,
        sha256=digest.hexdigest(), original_name=clip(Attachment, "original_name", upload.name),
        note=clip(Attachment, "note", note), channel=channel, duration_s=media.duration_s,
        uploaded_by=roles.acting_user(by),
    )
    attachment.file.save(f"upload{media.extension}", upload, save=False)
    stored = attachment.file.name
    try:  # a failure below must not leave the file written above behind
        attachment.save()
        text = (f"语音消息 {media.duration_s:.0f} 秒" if channel
                else f"上传{attachment.get_kind_display()}: {attachment.original_name}")
        timeline_add(incident=locked, kind=TimelineKind.ATTACHMENT, by=by, text=text,
                     data={"attachment": attachment.pk, "kind": media.kind, "channel": channel})
        audit_record(actor=by, action="attachment.add", obj=attachment,
                     after={"incident": locked.pk, "kind": media.kind, "size": size,
                            "sha256": attachment.sha256})
        units = sorted(locked.assignments.filter(released_at__isnull=True).values_list("unit_id", flat=True))
        emit("incident.attachment", {"incident": locked.pk, "attachment": attachment.pk, "kind": media.kind,
                                     "channel": channel, "duration_s": media.duration_s,
                                     "from": roles.actor_label(by), "units": units})
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment


def _check_voice(media: MediaType) -> None:
    if media.kind != "audio":
        raise DomainError(f"a voice message is sound only; this file is a {media.kind}", field="file",
                          code="unsupported_media_type")
    longest = float(emergency_settings.VOICE_MAX_S)
    if media.duration_s is None:
        raise DomainError("the voice message's length cannot be read", field="file", code="undecodable_media")
    if media.duration_s > longest:
        raise DomainError(f"a voice message may be at most {longest:.0f} s long; this one is "
                          f"{media.duration_s:.1f} s", field="file", code="too_long")


@transaction.atomic
def attachment_read(*, attachment: Attachment, by) -> Attachment:
    """Record a download of an attachment (media may show people: audited)."""
    audit_record(actor=by, action="attachment.read", obj=attachment,
                 note=f"incident {attachment.incident_id}")
    return attachment
