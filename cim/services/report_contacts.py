"""Reading a reporter's phone number: allowed to dispatchers, always audited."""

from __future__ import annotations

from django.db import transaction

from cim.models import PublicReport
from cim.services.audit import audit_record

__all__ = ["report_contact_read"]


@transaction.atomic
def report_contact_read(*, report: PublicReport, by) -> None:
    """Record that ``by`` was shown the reporter's contact details of ``report``
    (the audit row is the service: the read itself changes nothing)."""
    audit_record(actor=by, action="report.read_contact", obj=report)
