"""Residents' reports from door plates, seen from the command side.

New and changed reports are announced on the operations feed (the
``report.*`` events), and an operator who holds a report can escalate it into
an incident at the report's address.
"""

from __future__ import annotations

from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from cim.choices import ReportStatus
from cim.errors import Conflict
from cim.models import PublicReport
from cim.services.reports import report_claim, report_link_incident, report_set_status
from emergency.choices import IncidentLevel, IncidentSource
from emergency.events import emit
from emergency.models import Incident
from emergency.services.incidents import incident_create
from emergency.services.media import attachment_add

__all__ = ["incident_from_report", "report_event_payload", "announce_report"]


def report_event_payload(report: PublicReport) -> dict:
    """What consoles learn about a report: never the reporter's contacts."""
    pos = report.position
    return {
        "tracking_code": report.tracking_code,
        "id": report.pk,
        "category": report.category,
        "status": report.status,
        "address": report.address.full_name,
        "address_id": report.address_id,
        "community_code": report.address.admin_area.code,
        "lon": pos.x if pos else None,
        "lat": pos.y if pos else None,
        "claimed_by": report.claimed_by.get_username() if report.claimed_by_id else None,
    }


def announce_report(kind: str):
    """A ``cim.hooks`` listener that puts report changes on the ops feed."""

    def listener(*, report: PublicReport) -> None:
        emit(kind, report_event_payload(report))

    return listener


@transaction.atomic
def incident_from_report(
    *, report: PublicReport, by, incident_type: str, level: str = IncidentLevel.IV,
    title: str = "",
) -> Incident:
    """Escalate a resident's report into an incident at its address.

    The operator claims the report if nobody holds it (another operator's
    claim is a 409); the report moves to *in progress* with a reply the
    resident sees in their language, and the incident records the report's
    tracking code as its external reference, so the same report cannot become
    two incidents (409).  The incident keeps the report's address, location
    and photo (as an attachment); the report records the incident's number."""
    report = PublicReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if report.status in (ReportStatus.RESOLVED, ReportStatus.REJECTED):
        raise Conflict(f"report {report.tracking_code} is already {report.status}",
                       field="report", code="closed")
    if report.claimed_by_id and report.claimed_by_id != by.pk:
        # refused before anything (the photo copy included) is written
        raise Conflict(f"report is being handled by {report.claimed_by.get_username()}",
                       field="claimed_by", code="claimed")
    incident = incident_create(
        title=title or f"{report.get_category_display()}：{report.address.full_name}",
        incident_type=incident_type,
        level=level,
        source=IncidentSource.PLATE_REPORT,
        by=by,
        address=report.address,
        location=report.position or report.address.position,
        description=report.description,
        caller_name=report.reporter_name,
        caller_phone=report.reporter_phone,
        external_ref=report.tracking_code,
        reported_at=report.created_at,
    )
    if report.photo:
        with report.photo.open("rb") as photo:
            attachment_add(incident=incident, upload=File(photo, name=report.photo.name.rsplit("/", 1)[-1]),
                           by=by, note=gettext("群众上报照片 %(code)s") % {"code": report.tracking_code})
    report = report_link_incident(report=report, by=by, number=incident.number or str(incident.pk))
    if report.claimed_by_id != by.pk:
        report = report_claim(report=report, by=by)
    if report.status != ReportStatus.IN_PROGRESS:
        with translation.override(report.language or "zh-hans"):
            reply = gettext("已转应急指挥中心处置（事件编号 %(number)s）") % {"number": incident.number}
        report_set_status(report=report, by=by, status=ReportStatus.IN_PROGRESS, public_reply=reply)
    return incident
