"""Who gets what (the one place the rule is written): an assignment → the
unit's crew; an agency task → the department's users; an escalation → the
department's duty officer on the roster now, then the commanders; a CAP
alert → the subscribers of the area (:mod:`.public_warnings`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from cim import roles
from cim.models import Department
from emergency.choices import NotificationChannel
from emergency.models import Unit
from emergency.models.personnel import DutyPosition
from emergency.selectors_personnel import on_duty_now
from emergency.services.notifications import Recipient

__all__ = [
    "commander_recipients",
    "crew_recipients",
    "department_recipients",
    "duty_officer_recipients",
    "user_recipients",
]


def user_recipients(users) -> list[Recipient]:
    """In-app for each user, and e-mail when they have an address."""
    out = []
    for u in users:
        out.append(Recipient(NotificationChannel.INAPP, f"user:{u.pk}", user_id=u.pk))
        if u.email:
            out.append(Recipient(NotificationChannel.EMAIL, u.email, user_id=u.pk))
    return out


def crew_recipients(unit: Unit) -> list[Recipient]:
    """The unit's crew: the responders' accounts that report for it."""
    return user_recipients(unit.members.filter(is_active=True).order_by("pk"))


def department_recipients(department: Department) -> list[Recipient]:
    """The department's active users."""
    return user_recipients(
        get_user_model().objects.filter(staff_profile__department=department, is_active=True).order_by("pk")
    )


def duty_officer_recipients(department_id: int) -> list[Recipient]:
    """Who is on the roster now for the department's agencies as duty
    officer or leader: their account and their phone."""
    duties = on_duty_now().filter(
        agency__department_id=department_id, position__in=(DutyPosition.OFFICER, DutyPosition.LEADER)
    )
    out: list[Recipient] = []
    for d in duties:
        if d.user_id:
            out += user_recipients([d.user])
        if d.phone:
            out.append(Recipient(NotificationChannel.SMS, d.phone))
    return out


def commander_recipients() -> list[Recipient]:
    return user_recipients(
        get_user_model()
        .objects.filter(Q(groups__name=roles.COMMANDER), is_active=True)
        .distinct()
        .order_by("pk")
    )
