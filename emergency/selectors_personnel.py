"""Read queries of personnel: who is on duty now, the roster of a date range,
the expert directory, team members and their qualifications."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from emergency.errors import DomainError
from emergency.models import DutyAssignment, DutyShift, Expert, Qualification, TeamMember
from emergency.models.personnel import DutyPosition, ExpertAvailability, ExpertField

__all__ = [
    "ROSTER_MAX_DAYS",
    "check_roster_date",
    "duty_between",
    "duty_shifts",
    "experts_matching",
    "on_duty_now",
    "qualification_expired",
    "team_members_of",
    "week_start_of",
]

# The longest date range one roster read may cover.
ROSTER_MAX_DAYS = 31
# The weeks a roster may be kept for, Monday to Sunday (keeps date arithmetic far from its limits).
ROSTER_FIRST_DAY, ROSTER_LAST_DAY = dt.date(2000, 1, 3), dt.date(2099, 12, 27)


def check_roster_date(day: dt.date, field: str) -> dt.date:
    """``day`` if a roster may hold it, else a refusal naming ``field``."""
    if not ROSTER_FIRST_DAY <= day <= ROSTER_LAST_DAY:
        raise DomainError(f"{field} must lie between {ROSTER_FIRST_DAY} and {ROSTER_LAST_DAY}", field=field)
    return day

_POSITION_RANK = Case(*(When(position=value, then=Value(rank))
                        for rank, value in enumerate(DutyPosition.values)),
                      default=Value(99), output_field=IntegerField())


def on_duty_now(at: dt.datetime | None = None) -> QuerySet[DutyAssignment]:
    """The duties under way at ``at`` (default: now): leaders first, then
    duty officers, dispatchers, liaisons.  A night shift that began
    yesterday evening counts until it ends this morning."""
    at = at or timezone.now()
    return (DutyAssignment.objects.filter(starts_at__lte=at, ends_at__gt=at)
            .select_related("shift", "agency", "user")
            .annotate(position_rank=_POSITION_RANK)
            .order_by("position_rank", "agency__code", "person_name"))


def duty_shifts(*, active_only: bool = True) -> QuerySet[DutyShift]:
    shifts = DutyShift.objects.all()
    return shifts.filter(active=True) if active_only else shifts


def week_start_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def duty_between(start: dt.date, end: dt.date, *, agency: int | None = None) -> QuerySet[DutyAssignment]:
    """The roster from ``start`` to ``end`` (both included); a range that runs
    backwards or is longer than :data:`ROSTER_MAX_DAYS` is refused naming ``end``."""
    check_roster_date(start, "start")
    check_roster_date(end, "end")
    if end < start:
        raise DomainError("end must not be before start", field="end")
    if (end - start).days + 1 > ROSTER_MAX_DAYS:
        raise DomainError(f"at most {ROSTER_MAX_DAYS} days at a time", field="end")
    rows = (DutyAssignment.objects.filter(date__gte=start, date__lte=end)
            .select_related("shift", "agency", "user").annotate(position_rank=_POSITION_RANK)
            .order_by("date", "shift__order", "shift__start", "position_rank", "person_name"))
    return rows.filter(agency_id=agency) if agency else rows


def experts_matching(*, field: str | None = None, q: str | None = None,
                     availability: str | None = None) -> QuerySet[Expert]:
    """Experts of a field of expertise, whose name, organisation or title
    contains ``q``, with an availability."""
    rows = Expert.objects.all()
    if field:
        if field not in ExpertField.values:
            raise DomainError(f"unknown field {field!r}", field="field")
        rows = rows.filter(fields__contains=[field])
    if availability:
        if availability not in ExpertAvailability.values:
            raise DomainError(f"unknown availability {availability!r}", field="availability")
        rows = rows.filter(availability=availability)
    if q:
        q = q.strip()[:100]
        rows = rows.filter(Q(name__icontains=q) | Q(organisation__icontains=q) | Q(title__icontains=q))
    return rows.order_by("name", "id")


def team_members_of(*, unit: int | None = None) -> QuerySet[TeamMember]:
    """Team members (of one unit) with their qualifications, soonest expiry first."""
    rows = TeamMember.objects.select_related("unit", "unit__agency").prefetch_related(
        Prefetch("qualifications", queryset=Qualification.objects.order_by("expires_on", "id")))
    return rows.filter(unit_id=unit) if unit else rows.order_by("unit__code", "name", "id")


def qualification_expired(qualification: Qualification, today: dt.date | None = None) -> bool:
    """Past its expiry date (a certificate without one never expires)."""
    today = today or timezone.localdate()
    return qualification.expires_on is not None and qualification.expires_on < today
