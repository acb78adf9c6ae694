"""The life of a door plate: issue (one or in bulk), install, damage,
replace, retire.  Every write records its audit row and plate event in the
same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from cim import roles
from cim.choices import AddressKind, AddressStatus, PlateSize, PlateStatus
from cim.errors import Conflict, DomainError
from cim.models import Address, AuditLog, Plate, PlateEvent
from cim.models.plates import ACTIVE_PLATE_STATUSES
from cim.plates import codes
from cim.services.audit import audit_record, snapshot

__all__ = [
    "PLATE_KINDS",
    "TRANSITIONS",
    "plate_issue",
    "plate_replace",
    "plate_transition",
    "plates_issue_bulk",
]

PLATE_KINDS = (AddressKind.DOOR, AddressKind.BUILDING, AddressKind.UNIT)
TRANSITIONS = {
    PlateStatus.ISSUED: {PlateStatus.INSTALLED, PlateStatus.RETIRED},
    PlateStatus.INSTALLED: {PlateStatus.DAMAGED, PlateStatus.RETIRED},
    PlateStatus.DAMAGED: {PlateStatus.INSTALLED, PlateStatus.RETIRED},
    PlateStatus.REPLACED: set(),
    PlateStatus.RETIRED: set(),
}


def _new_unique_code() -> str:
    while True:
        code = codes.new_code()
        if not Plate.objects.filter(code=code).exists():
            return code


def _check_address(address: Address) -> None:
    if address.kind not in PLATE_KINDS:
        raise DomainError(f"plates go on doors, buildings and units, not on a {address.kind}",
                          field="address")
    if address.status != AddressStatus.CURRENT:
        raise DomainError(f"address {address.code} is {address.status}", field="address")


@transaction.atomic
def plate_issue(*, address: Address, by, size: str = PlateSize.MEDIUM, note: str = "") -> Plate:
    """Issue a new plate with a fresh random code for an address that has no
    plate in service."""
    if size not in PlateSize.values:
        raise DomainError(f"unknown plate size {size!r}; one of {', '.join(PlateSize.values)}",
                          field="size")
    _check_address(address)
    Address.objects.select_for_update().filter(pk=address.pk).first()
    if address.plates.filter(status__in=ACTIVE_PLATE_STATUSES).exists():
        raise Conflict(f"{address.full_name} already has a plate in service; replace it instead",
                       field="address", code="plate_exists")
    plate = Plate.objects.create(code=_new_unique_code(), address=address, size=size,
                                 issued_by=roles.acting_user(by),
                                 note=note)
    PlateEvent.objects.create(plate=plate, to_status=PlateStatus.ISSUED, actor=plate.issued_by,
                              note=note)
    audit_record(actor=by, action="plate.issue", obj=plate, after=snapshot(plate), note=note)
    return plate


@transaction.atomic
def plates_issue_bulk(*, by, size: str = PlateSize.MEDIUM, community_code: str | None = None,
                      batch: int = 5000, progress: bool = True) -> int:
    """Issue plates for every current door address without a plate in
    service (optionally only in one community); one audit row per plate."""
    if size not in PlateSize.values:
        raise DomainError(f"unknown plate size {size!r}", field="size")
    qs = Address.objects.filter(kind=AddressKind.DOOR, status=AddressStatus.CURRENT).exclude(
        plates__status__in=ACTIVE_PLATE_STATUSES)
    if community_code:
        qs = qs.filter(admin_area__code__startswith=community_code)
    ids = list(qs.order_by("code").values_list("pk", flat=True))
    used = set(Plate.objects.values_list("code", flat=True))
    actor = roles.acting_user(by)
    label = actor.get_username() if actor else str(by)
    now = timezone.now()
    bar = tqdm(total=len(ids), desc="plates", unit="plate", disable=not progress, mininterval=0.5)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        plates = []
        for address_id in chunk:
            code = codes.new_code()
            while code in used:
                code = codes.new_code()
            used.add(code)
            plates.append(Plate(code=code, address_id=address_id, size=size, issued_by=actor))
        created = Plate.objects.bulk_create(plates)
        PlateEvent.objects.bulk_create(
            PlateEvent(plate=p, to_status=PlateStatus.ISSUED, actor=actor, note="bulk") for p in created)
        AuditLog.objects.bulk_create(
            AuditLog(actor=actor, actor_label=label[:150], action="plate.issue",
                     object_type="cim.plate", object_id=str(p.pk),
                     after={"code": p.code, "address": p.address_id, "size": size,
                            "status": PlateStatus.ISSUED, "at": now.isoformat()},
                     note="issue_plates") for p in created)
        bar.update(len(chunk))
    bar.close()
    return len(ids)


def _locked(plate: Plate) -> Plate:
    return Plate.objects.select_for_update(of=("self",)).select_related("address").get(pk=plate.pk)


@transaction.atomic
def plate_transition(*, plate: Plate, to_status: str, by, note: str = "") -> Plate:
    """Move a plate along its lifecycle (installed, damaged, retired…).
    Replacing goes through :func:`plate_replace`."""
    plate = _locked(plate)
    if to_status not in PlateStatus.values:
        raise DomainError(f"unknown status {to_status!r}", field="status")
    if to_status == PlateStatus.REPLACED:
        raise DomainError("use replace to swap a plate for a new one", field="status")
    if to_status not in TRANSITIONS[plate.status]:
        raise Conflict(f"a plate that is {plate.status} cannot become {to_status}",
                       field="status", code="bad_transition")
    before = snapshot(plate)
    plate.status = to_status
    plate.status_changed_at = timezone.now()
    if to_status == PlateStatus.INSTALLED and plate.installed_at is None:
        plate.installed_at = plate.status_changed_at
    plate.save()
    actor = roles.acting_user(by)
    PlateEvent.objects.create(plate=plate, from_status=before["status"], to_status=to_status,
                              actor=actor, note=note)
    audit_record(actor=by, action=f"plate.{to_status}", obj=plate, before=before,
                 after=snapshot(plate), note=note)
    return plate


@transaction.atomic
def plate_replace(*, plate: Plate, by, reason: str, size: str | None = None) -> Plate:
    """Replace a damaged or lost plate: the old one becomes ``replaced`` and
    points to a new plate (new code) for the same address."""
    plate = _locked(plate)
    if plate.status not in ACTIVE_PLATE_STATUSES:
        raise Conflict(f"a plate that is {plate.status} cannot be replaced", field="status",
                       code="bad_transition")
    if not reason.strip():
        raise DomainError("say why the plate is replaced (damaged, stolen…)", field="reason")
    before = snapshot(plate)
    actor = roles.acting_user(by)
    now = timezone.now()
    Plate.objects.filter(pk=plate.pk).update(status=PlateStatus.REPLACED, status_changed_at=now)
    new = Plate.objects.create(code=_new_unique_code(), address=plate.address,
                               size=size or plate.size, issued_by=actor, note=reason[:300])
    Plate.objects.filter(pk=plate.pk).update(replaced_by=new)
    plate.refresh_from_db()
    PlateEvent.objects.create(plate=plate, from_status=before["status"],
                              to_status=PlateStatus.REPLACED, actor=actor, note=reason[:300])
    PlateEvent.objects.create(plate=new, to_status=PlateStatus.ISSUED, actor=actor,
                              note=f"replaces {plate.code}")
    audit_record(actor=by, action="plate.replace", obj=plate, before=before, after=snapshot(plate),
                 note=reason)
    audit_record(actor=by, action="plate.issue", obj=new, after=snapshot(new),
                 note=f"replaces {plate.code}")
    return new
