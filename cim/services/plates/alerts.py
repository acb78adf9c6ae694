"""Signs of a fake or tampered plate: a resident's "this plate looks wrong"
flag, a burst of scans, and closing an alert after a check on site."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.choices import PlateAlertKind, PlateAlertStatus
from cim.errors import Conflict
from cim.models import Plate, PlateAlert
from cim.services.audit import audit_record, snapshot

__all__ = ["plate_alert_close", "plate_flag", "scan_spike_alert"]


@transaction.atomic
def plate_flag(*, plate: Plate, client: str, comment: str = "") -> PlateAlert:
    """A resident says the plate looks wrong (sticker over the QR, other
    address…).  One open flag per client and plate is kept."""
    existing = PlateAlert.objects.filter(plate=plate, kind=PlateAlertKind.RESIDENT_FLAG,
                                         client_hash=client, status=PlateAlertStatus.OPEN).first()
    if existing:
        return existing
    alert = PlateAlert.objects.create(plate=plate, kind=PlateAlertKind.RESIDENT_FLAG,
                                      client_hash=client, comment=comment.strip()[:500])
    audit_record(actor="anonymous", action="plate.flag", obj=alert, after=snapshot(alert))
    return alert


@transaction.atomic
def scan_spike_alert(*, plate_id: int, per_minute: int, threshold: int) -> PlateAlert:
    """The scans of a plate within one minute passed ``threshold``."""
    alert = PlateAlert.objects.create(
        plate_id=plate_id, kind=PlateAlertKind.SCAN_SPIKE,
        detail={"scans_in_minute": per_minute, "threshold": threshold})
    audit_record(actor="system", action="plate.alert", obj=alert, after=snapshot(alert))
    return alert


@transaction.atomic
def plate_alert_close(*, alert: PlateAlert, by, note: str = "") -> PlateAlert:
    """Close an alert after checking the plate on site."""
    alert = PlateAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == PlateAlertStatus.CLOSED:
        raise Conflict("alert already closed", field="status", code="closed")
    before = snapshot(alert)
    alert.status = PlateAlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.closed_by = roles.acting_user(by)
    alert.save()
    audit_record(actor=by, action="plate.alert_close", obj=alert, before=before,
                 after=snapshot(alert), note=note)
    return alert
