"""Writes of personnel: duty shifts and the roster, the expert directory,
team members and their qualifications, and the audited reveals of phones.

The roster's one rule: a person works one shift at a time — a new duty that
overlaps another of the same person (the night shift of Monday and the day
shift of Tuesday do not overlap; two day shifts of one day do) is refused
naming the field.  Writers of one person's duties take that person's lock
first (:func:`emergency.locks.lock_duty_person`), so two editors booking the same person at
once cannot both win.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from cim.masking import mask_phone
from cim.services.audit import audit_record, snapshot
from emergency import locks
from emergency.errors import DomainError
from emergency.models import DutyAssignment, DutyShift, Expert, Qualification, TeamMember
from emergency.models.personnel import DutyPosition
from emergency.selectors_personnel import check_roster_date

__all__ = [
    "duty_assign",
    "duty_copy_week",
    "duty_unassign",
    "expert_phone_reveal",
    "expert_save",
    "qualification_add",
    "qualification_remove",
    "shift_interval",
    "shift_save",
    "team_member_phone_reveal",
    "team_member_remove",
    "team_member_save",
]


def shift_interval(shift: DutyShift, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The absolute interval shift ``shift`` covers when it starts on ``day``
    (platform time zone; a shift that ends at or before its start ends the
    next day)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    starts = dt.datetime.combine(day, shift.start, tzinfo=zone)
    end_day = day + dt.timedelta(days=1) if shift.crosses_midnight else day
    return starts, dt.datetime.combine(end_day, shift.end, tzinfo=zone)


def _masked(data: dict) -> dict:
    if data and data.get("phone"):
        data = {**data, "phone": mask_phone(data["phone"])}
    return data


def _person_filter(*, user, person_name: str) -> Q:
    if user is not None:
        return Q(user=user) | Q(user__isnull=True, person_name=person_name)
    return Q(person_name=person_name)


def _check_free(*, user, person_name: str, starts_at, ends_at, exclude_pk=None) -> None:
    clash = (DutyAssignment.objects.filter(_person_filter(user=user, person_name=person_name))
             .filter(starts_at__lt=ends_at, ends_at__gt=starts_at).select_related("shift"))
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.first()
    if other is not None:
        raise DomainError(f"{person_name} is already on duty then ({other.date} {other.shift.name})",
                          field="user" if user is not None else "person_name", code="overlap")


# --- shifts and the roster ---------------------------------------------------------------------


@transaction.atomic
def shift_save(*, by, instance: DutyShift | None = None, **data) -> DutyShift:
    """Create or edit a shift; the duties already on an edited shift move
    with its new times."""
    target = instance if instance is not None else DutyShift()
    if instance is not None:
        target = locks.lock_duty_shift(instance.pk)
    before = snapshot(target) if instance is not None else None
    for field, value in data.items():
        setattr(target, field, value)
    if target.start is not None and target.start == target.end:
        raise DomainError("a shift must end at another time than it starts", field="end")
    target.full_clean()
    target.save()
    if instance is not None:
        for duty in locks.lock_duties_of_shift(target.pk):
            duty.starts_at, duty.ends_at = shift_interval(target, duty.date)
            duty.save(update_fields=["starts_at", "ends_at"])
    audit_record(actor=by, action="duty.shift.save", obj=target, before=before, after=snapshot(target))
    return target


@transaction.atomic
def duty_assign(*, by, date: dt.date, shift: DutyShift, position: str, user=None, person_name: str = "",
                phone: str = "", agency=None, note: str = "", synthetic: bool = False) -> DutyAssignment:
    """Put a person (an account, or a name) on ``shift`` of ``date`` in
    ``position``.  Refused, naming the field: an unknown position, an
    inactive shift, no person, the same person on another duty at an
    overlapping time, the same person twice in one slot."""
    check_roster_date(date, "date")
    if position not in DutyPosition.values:
        raise DomainError(f"unknown position {position!r}; one of {', '.join(DutyPosition.values)}",
                          field="position")
    if not shift.active:
        raise DomainError(f"shift {shift.code} is not in use", field="shift")
    name = (person_name or "").strip()
    if user is not None and not name:
        name = (user.get_full_name() or user.get_username()).strip()
    if not name:
        raise DomainError("name the person on duty (an account or a name)", field="person_name")
    # the name first, then the account: a booking by account and one by name meet on the name
    locks.lock_duty_person(f"name:{name}")
    if user is not None:
        locks.lock_duty_person(f"user:{user.pk}")
    starts_at, ends_at = shift_interval(shift, date)
    if DutyAssignment.objects.filter(date=date, shift=shift, position=position, person_name=name).exists():
        raise DomainError(f"{name} is already in this slot", field="person_name", code="duplicate")
    _check_free(user=user, person_name=name, starts_at=starts_at, ends_at=ends_at)
    duty = DutyAssignment(date=date, shift=shift, position=position, user=user, person_name=name,
                          phone=(phone or "").strip(), agency=agency, note=note, synthetic=synthetic,
                          starts_at=starts_at, ends_at=ends_at)
    duty.full_clean()
    duty.save()
    audit_record(actor=by, action="duty.assign", obj=duty, after=_masked(snapshot(duty)))
    return duty


@transaction.atomic
def duty_unassign(*, by, assignment: DutyAssignment) -> None:
    """Take a person off a duty (the audit row keeps what it was)."""
    locked = locks.lock_duty(assignment.pk)
    if locked is None:
        return
    before = _masked(snapshot(locked))
    pk = locked.pk
    locked.delete()
    audit_record(actor=by, action="duty.unassign", object_type="emergency.dutyassignment", object_id=pk,
                 before=before)


@transaction.atomic
def duty_copy_week(*, by, week_start: dt.date) -> dict[str, int]:
    """Copy the seven days before ``week_start`` onto the week starting at
    ``week_start``: every duty not there yet and not clashing with what the
    person already has is added.  Returns the counts made and skipped."""
    check_roster_date(week_start, "week")
    if week_start.weekday() != 0:
        raise DomainError("a week starts on a Monday", field="week")
    source = (DutyAssignment.objects.filter(date__gte=week_start - dt.timedelta(days=7), date__lt=week_start)
              .select_related("shift", "user", "agency").order_by("date", "pk"))
    made = skipped = 0
    for duty in source:
        try:
            with transaction.atomic():
                duty_assign(by=by, date=duty.date + dt.timedelta(days=7), shift=duty.shift,
                            position=duty.position, user=duty.user, person_name=duty.person_name,
                            phone=duty.phone, agency=duty.agency, note=duty.note, synthetic=duty.synthetic)
            made += 1
        except DomainError:
            skipped += 1
    audit_record(actor=by, action="duty.copy_week", object_type="emergency.dutyassignment",
                 after={"week": week_start.isoformat(), "made": made, "skipped": skipped})
    return {"made": made, "skipped": skipped}


# --- experts -----------------------------------------------------------------------------------


@transaction.atomic
def expert_save(*, by, instance: Expert | None = None, **data) -> Expert:
    """Create or edit an expert of the directory (phone masked in the audit row)."""
    target = instance if instance is not None else Expert()
    if instance is not None:
        target = locks.lock_expert(instance.pk)
    before = _masked(snapshot(target)) if instance is not None else None
    for field, value in data.items():
        setattr(target, field, value)
    if target.fields:
        target.fields = sorted(set(target.fields))
    target.full_clean()
    target.save()
    audit_record(actor=by, action="expert.save", obj=target, before=before, after=_masked(snapshot(target)))
    return target


@transaction.atomic
def expert_phone_reveal(*, expert: Expert, by) -> Expert:
    """Record that ``by`` read an expert's phone unmasked (the audit row is the point)."""
    audit_record(actor=by, action="expert.phone.read", obj=expert, note="expert phone read unmasked")
    return expert


# --- team members ------------------------------------------------------------------------------


@transaction.atomic
def team_member_save(*, by, instance: TeamMember | None = None, **data) -> TeamMember:
    """Create or edit a member of a unit's team."""
    target = instance if instance is not None else TeamMember()
    if instance is not None:
        target = locks.lock_team_member(instance.pk)
    before = _masked(snapshot(target)) if instance is not None else None
    for field, value in data.items():
        setattr(target, field, value)
    target.full_clean()
    target.save()
    audit_record(actor=by, action="team_member.save", obj=target, before=before,
                 after=_masked(snapshot(target)))
    return target


@transaction.atomic
def team_member_remove(*, by, member: TeamMember) -> None:
    """Take a member off a unit's team with their certificates (the audit row
    keeps what they were, the phone masked)."""
    locked = locks.lock_team_member(member.pk)
    before = _masked(snapshot(locked))
    before["qualifications"] = [snapshot(q, exclude=("member",))
                                for q in locked.qualifications.order_by("pk")]
    pk = locked.pk
    locked.delete()
    audit_record(actor=by, action="team_member.remove", object_type="emergency.teammember", object_id=pk,
                 before=before)


@transaction.atomic
def team_member_phone_reveal(*, member: TeamMember, by) -> TeamMember:
    """Record that ``by`` read a team member's phone unmasked."""
    audit_record(actor=by, action="team_member.phone.read", obj=member,
                 note="team member phone read unmasked")
    return member


@transaction.atomic
def qualification_add(*, by, member: TeamMember, name: str, certificate_no: str,
                      issued_on: dt.date | None = None, expires_on: dt.date | None = None) -> Qualification:
    """Record a certificate a team member holds (numbers are unique per member)."""
    locks.lock_team_member(member.pk)
    if member.qualifications.filter(certificate_no=certificate_no).exists():
        raise DomainError(f"certificate {certificate_no} is already recorded", field="certificate_no",
                          code="duplicate")
    if issued_on and expires_on and expires_on <= issued_on:
        raise DomainError("the certificate must expire after it was issued", field="expires_on")
    qual = Qualification(member=member, name=name, certificate_no=certificate_no, issued_on=issued_on,
                         expires_on=expires_on)
    qual.full_clean()
    qual.save()
    audit_record(actor=by, action="qualification.add", obj=qual, after=snapshot(qual))
    return qual


@transaction.atomic
def qualification_remove(*, by, qualification: Qualification) -> None:
    """Remove a certificate record (the audit row keeps it)."""
    before = snapshot(qualification)
    pk = qualification.pk
    Qualification.objects.filter(pk=pk).delete()
    audit_record(actor=by, action="qualification.remove", object_type="emergency.qualification",
                 object_id=pk, before=before)
