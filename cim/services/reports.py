"""Problems residents report at an address, and the staff queue that works them.

A report is claimed by one operator before anyone works on it (the claim is
taken under a row lock, so two operators never hold the same report); only
the holder moves it on.  Every change is audited and shown to the resident
as a public event on the tracking page.
"""

from __future__ import annotations

import io
import re
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cim import hooks, roles
from cim.choices import ReportCategory, ReportStatus
from cim.conf import cim_settings
from cim.errors import Conflict, DomainError
from cim.models import Address, Plate, PublicReport, PublicReportEvent
from cim.plates import codes
from cim.services.audit import audit_record, snapshot

__all__ = [
    "report_claim",
    "report_create",
    "report_link_incident",
    "report_release",
    "report_reply",
    "report_set_status",
    "tracking_lookup",
]

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}$")
CLOSED = (ReportStatus.RESOLVED, ReportStatus.REJECTED)
NEXT = {
    ReportStatus.CLAIMED: {ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.REJECTED},
    ReportStatus.IN_PROGRESS: {ReportStatus.RESOLVED, ReportStatus.REJECTED},
}


def _new_tracking_code() -> str:
    while True:
        code = "R" + codes.new_code(body_length=7)
        if not PublicReport.objects.filter(tracking_code=code).exists():
            return code


def normalize_tracking(raw: str) -> str | None:
    """``r-abcd-efgh`` → ``RABCDEFGH`` when the check character agrees."""
    text = "".join(raw.split()).replace("-", "").upper()
    if len(text) != 9 or not text.startswith("R"):
        return None
    try:
        body = codes.normalize(text[1:])
    except codes.CodeError:
        return None
    return "R" + body if codes.check_char(body[:-1]) == body[-1] else None


def _validate_photo(photo) -> ContentFile:
    max_bytes = cim_settings.REPORT_PHOTO_MAX_BYTES
    if photo.size > max_bytes:
        raise DomainError(f"photo is {photo.size // 1024} KB; at most {max_bytes // 1024} KB",
                          field="photo", code="too_large")
    data = photo.read()
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError("photo is not a readable image", field="photo",
                          code="bad_type") from None
    if fmt not in PHOTO_FORMATS:
        raise DomainError(f"photo must be JPEG, PNG or WebP, not {fmt}", field="photo",
                          code="bad_type")
    return ContentFile(data, name=f"{secrets.token_hex(8)}.{PHOTO_FORMATS[fmt]}")


@transaction.atomic
def report_create(*, address: Address, category: str, description: str, client: str,
                  plate: Plate | None = None, photo=None, reporter_name: str = "",
                  reporter_phone: str = "", language: str = "zh-hans") -> PublicReport:
    """File a resident's report at an address; returns it with its tracking code.
    Everything is validated before anything is written (photo included)."""
    if category not in ReportCategory.values:
        raise DomainError(f"unknown category {category!r}; one of {', '.join(ReportCategory.values)}",
                          field="category")
    description = (description or "").strip()
    if not 5 <= len(description) <= 2000:
        raise DomainError("describe the problem in 5 to 2000 characters", field="description")
    reporter_phone = (reporter_phone or "").strip()
    if reporter_phone and not PHONE_RE.match(reporter_phone):
        raise DomainError("phone number not understood", field="reporter_phone")
    if len(reporter_name or "") > 50:
        raise DomainError("name is longer than 50 characters", field="reporter_name")
    content = _validate_photo(photo) if photo else None
    report = PublicReport(
        tracking_code=_new_tracking_code(), address=address, plate=plate,
        position=address.position, category=category, description=description,
        reporter_name=(reporter_name or "").strip(), reporter_phone=reporter_phone,
        client_hash=client, language=language[:8],
    )
    if content is not None:
        report.photo.save(content.name, content, save=False)
    report.full_clean(exclude=["photo"])
    report.save()
    PublicReportEvent.objects.create(report=report, status=ReportStatus.NEW)
    audit_record(actor="anonymous", action="report.create", obj=report,
                 after=_snap(report))
    hooks.notify(hooks.REPORT_CREATED, report=report)
    return report


def _snap(report: PublicReport) -> dict:
    """Audit picture of a report: no contact details, the photo by its name."""
    data = snapshot(report, exclude=("reporter_phone", "reporter_name", "photo"))
    data["photo"] = report.photo.name or ""
    return data


def _event(report: PublicReport, by, status: str, note: str = "") -> PublicReportEvent:
    return PublicReportEvent.objects.create(report=report, status=status, public_note=note,
                                            actor=roles.actor_label(by))


def _locked(report: PublicReport) -> PublicReport:
    return PublicReport.objects.select_for_update(of=("self",)).get(pk=report.pk)


@transaction.atomic
def report_claim(*, report: PublicReport, by) -> PublicReport:
    """Take a report to work on it.  Refused (409) while another operator holds it."""
    report = _locked(report)
    if report.status in CLOSED:
        raise Conflict(f"report is already {report.status}", field="status", code="closed")
    if report.claimed_by_id and report.claimed_by_id != by.pk:
        raise Conflict(f"report is being handled by {report.claimed_by.get_username()}",
                       field="claimed_by", code="claimed")
    before = _snap(report)
    report.claimed_by, report.claimed_at = by, timezone.now()
    if report.acknowledged_at is None:
        report.acknowledged_at = report.claimed_at  # the response deadline is met
    if report.status == ReportStatus.NEW:
        report.status = ReportStatus.CLAIMED
        _event(report, by, ReportStatus.CLAIMED)
    report.save()
    audit_record(actor=by, action="report.claim", obj=report, before=before,
                 after=_snap(report))
    hooks.notify(hooks.REPORT_UPDATED, report=report)
    return report


@transaction.atomic
def report_release(*, report: PublicReport, by) -> PublicReport:
    """Give a claimed report back to the queue (only its holder, or an admin)."""
    report = _locked(report)
    if report.claimed_by_id is None:
        raise Conflict("report is not claimed", field="claimed_by", code="not_claimed")
    if report.claimed_by_id != by.pk and not roles.has_role(by, roles.ADMIN):
        raise Conflict("only the operator holding the report may release it", field="claimed_by",
                       code="claimed")
    if report.status in CLOSED:
        raise Conflict(f"report is already {report.status}", field="status", code="closed")
    before = _snap(report)
    report.claimed_by = report.claimed_at = None
    report.status = ReportStatus.NEW
    report.save()
    _event(report, by, ReportStatus.NEW)
    audit_record(actor=by, action="report.release", obj=report, before=before,
                 after=_snap(report))
    hooks.notify(hooks.REPORT_UPDATED, report=report)
    return report


@transaction.atomic
def report_set_status(*, report: PublicReport, by, status: str, public_reply: str = "") -> PublicReport:
    """Move a claimed report on (in progress, resolved, rejected) with a reply
    the resident sees.  Only the holder of the claim may do it."""
    report = _locked(report)
    if status not in ReportStatus.values:
        raise DomainError(f"unknown status {status!r}", field="status")
    if report.claimed_by_id != by.pk:
        raise Conflict("claim the report before changing it", field="claimed_by", code="not_claimed")
    if status not in NEXT.get(report.status, set()):
        raise Conflict(f"a report that is {report.status} cannot become {status}", field="status",
                       code="bad_transition")
    public_reply = (public_reply or "").strip()
    if status in CLOSED and not public_reply:
        raise DomainError("closing a report needs a reply to the resident", field="public_reply")
    if len(public_reply) > 500:
        raise DomainError("reply is longer than 500 characters", field="public_reply")
    before = _snap(report)
    report.status = status
    if public_reply:
        report.public_reply = public_reply
    if status in CLOSED:
        report.closed_at = timezone.now()
    report.save()
    _event(report, by, status, public_reply)
    audit_record(actor=by, action=f"report.{status}", obj=report, before=before,
                 after=_snap(report))
    hooks.notify(hooks.REPORT_UPDATED, report=report)
    return report


@transaction.atomic
def report_reply(*, report: PublicReport, by, message: str) -> PublicReport:
    """Send the resident a message without changing the status: a new event
    with the note, shown in order on the tracking page.  Only the holder of the
    claim may reply (409 otherwise), and a closed report takes no replies."""
    report = _locked(report)
    message = (message or "").strip()
    if not message:
        raise DomainError("write the reply to the resident", field="message")
    if len(message) > 500:
        raise DomainError("reply is longer than 500 characters", field="message")
    if report.status in CLOSED:
        raise Conflict(f"report is already {report.status}", field="status", code="closed")
    if report.claimed_by_id != by.pk:
        raise Conflict("claim the report before replying", field="claimed_by", code="not_claimed")
    before = _snap(report)
    report.public_reply = message
    report.save()
    _event(report, by, report.status, message)
    audit_record(actor=by, action="report.reply", obj=report, before=before, after=_snap(report))
    hooks.notify(hooks.REPORT_UPDATED, report=report)
    return report


@transaction.atomic
def report_link_incident(*, report: PublicReport, by, number: str) -> PublicReport:
    """Record the incident a report was escalated into (one per report: 409
    when it already has one).  Called by the emergency side in the
    transaction that created the incident."""
    report = _locked(report)
    if report.incident_number:
        raise Conflict(f"report is already incident {report.incident_number}", field="report",
                       code="escalated")
    before = _snap(report)
    report.incident_number = number
    report.save(update_fields=["incident_number", "updated_at"])
    audit_record(actor=by, action="report.escalate", obj=report, before=before,
                 after=_snap(report), note=number)
    return report


def tracking_lookup(raw: str) -> PublicReport | None:
    code = normalize_tracking(raw)
    if code is None:
        return None
    return (PublicReport.objects.select_related("address").prefetch_related("events")
            .filter(tracking_code=code).first())

