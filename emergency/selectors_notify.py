"""Reads of joint action and notifications: a department's inbox, overdue
agency tasks, a message's delivery log."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from cim import roles
from cim.models import Department
from cim.scope import Scope
from emergency.choices import AgencyTaskState
from emergency.models import Alert, AlertSubscription, Assignment, Notification, Task

__all__ = [
    "agency_tasks_overdue",
    "department_of",
    "inbox_tasks",
    "notifications_visible_to",
    "task_departments",
]


def department_of(user) -> Department | None:
    profile = getattr(user, "staff_profile", None) if getattr(user, "is_authenticated", False) else None
    return profile.department if profile is not None else None


def task_departments(*, english: bool = False) -> list[dict[str, str]]:
    """The departments an agency task may be sent to (the API takes their
    ``code``), named in the page's language."""
    rows = Department.objects.order_by("code").values_list("code", "name", "name_en")
    return [{"code": code, "name": (name_en or name) if english else name} for code, name, name_en in rows]


def inbox_tasks(user, *, department: Department | None = None) -> QuerySet[Task]:
    """The tasks sent to the user's department (an admin may name any
    department), open ones first, by deadline."""
    if department is None or not roles.has_role(user, roles.ADMIN):
        department = department_of(user)
    if department is None:
        return Task.objects.none()
    return (
        Task.objects.filter(department=department)
        .select_related("incident", "department", "agency")
        .order_by("done", "deadline", "-id")
    )


def agency_tasks_overdue(scope: Scope | None = None) -> QuerySet[Task]:
    """Agency tasks past their deadline and not done (in a scope)."""
    qs = Task.objects.filter(department__isnull=False, deadline__lt=timezone.now()).exclude(
        state=AgencyTaskState.DONE
    )
    return scope.filter_tasks(qs) if scope is not None else qs


def notifications_visible_to(user) -> QuerySet[Notification]:
    """The messages about the tasks, assignments, alerts and subscriptions
    in the user's scope (:meth:`cim.scope.Scope.filter_notifications`)."""
    refs = {
        "task": Task.objects.all(),
        "assignment": Assignment.objects.all(),
        "alert": Alert.objects.all(),
        "subscription": AlertSubscription.objects.all(),
    }
    return Scope.for_user(user).filter_notifications(Notification.objects.all(), refs=refs)
