"""Joint action (联动): tasks sent to partner departments' inboxes, their
acknowledge → accept → progress → done cycle, and the escalation of a task
nobody acknowledged (the department's duty officer first, then the
commanders).  Every step is on the incident's timeline, audited and
announced live."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from cim import roles
from cim.models import Department
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import AgencyTaskState, TaskKind, TimelineKind
from emergency.conf import emergency_settings
from emergency.errors import Conflict, DomainError, PermissionDeniedError
from emergency.events import emit
from emergency.models import Incident, Task
from emergency.services._common import timeline_add
from emergency.services.notifications import notification_send
from emergency.services.recipients import (
    commander_recipients,
    department_recipients,
    duty_officer_recipients,
)
from emergency.states import INCIDENT_TERMINAL

__all__ = [
    "AGENCY_TASK_ACTIONS",
    "agency_task_act",
    "agency_task_send",
    "agency_tasks_escalate",
    "department_task_notify",
]

# action → (states it may start from, state it leads to)
AGENCY_TASK_ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({AgencyTaskState.SENT}), AgencyTaskState.ACKNOWLEDGED),
    "accept": (frozenset({AgencyTaskState.SENT, AgencyTaskState.ACKNOWLEDGED}), AgencyTaskState.ACCEPTED),
    "progress": (
        frozenset({AgencyTaskState.ACCEPTED, AgencyTaskState.IN_PROGRESS}),
        AgencyTaskState.IN_PROGRESS,
    ),
    "done": (
        frozenset({AgencyTaskState.ACKNOWLEDGED, AgencyTaskState.ACCEPTED, AgencyTaskState.IN_PROGRESS}),
        AgencyTaskState.DONE,
    ),
}


def _inbox_link() -> str:
    return f"{str(emergency_settings.PUBLIC_BASE_URL).rstrip('/')}{reverse('viewer:inbox')}"


def _context(task: Task) -> dict:
    local = timezone.localtime
    return {
        "title": task.title,
        "incident": task.incident.number or task.incident.title,
        "department": task.department.name if task.department else "",
        "deadline": f"{local(task.deadline):%m-%d %H:%M}" if task.deadline else "—",
        "sent": f"{local(task.sent_at):%m-%d %H:%M}" if task.sent_at else "",
        "link": _inbox_link(),
    }


def department_task_notify(*, task: Task, by=None) -> None:
    """Tell the task's department (inside the caller's transaction)."""
    notification_send(
        kind="agency_task",
        recipients=department_recipients(task.department),
        context=_context(task),
        ref=f"task:{task.pk}",
        by=by,
    )


@transaction.atomic
def agency_task_send(
    *, incident: Incident, department: Department, title: str, by, deadline: dt.datetime | None = None
) -> Task:
    """A commander's task for a partner department: into its inbox, its
    users told (in-app, e-mail), on the incident's timeline."""
    locked = locks.lock_incident(incident.pk)
    if locked.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.number} is {locked.status}", field="incident")
    title = (title or "").strip()
    if not title:
        raise DomainError("a task needs a title", field="title")
    now = timezone.now()
    if deadline is not None and deadline <= now:
        raise DomainError("the deadline lies in the past", field="deadline")
    task = Task.objects.create(
        incident=locked,
        kind=TaskKind.NOTIFY,
        title=clip(Task, "title", title),
        department=department,
        agency=department.agencies.order_by("code").first(),
        sent_at=now,
        deadline=deadline
        or now + dt.timedelta(seconds=int(emergency_settings.AGENCY_TASK_DEFAULT_DEADLINE_S)),
        position=Task.objects.filter(incident=locked).count(),
        state=AgencyTaskState.SENT,
    )
    timeline_add(
        incident=locked,
        kind=TimelineKind.TASK,
        by=by,
        text=f"下达联动任务 → {department.name}: {task.title}",
        data={"task": task.pk, "department": department.code, "state": task.state},
    )
    audit_record(
        actor=by,
        action="task.send",
        obj=task,
        after={"department": department.code, "title": task.title, "deadline": task.deadline},
    )
    emit("task.sent", {"incident": locked.pk, "task": task.pk, "department": department.code})
    department_task_notify(task=task, by=by)
    return task


def _may_act(user, task: Task) -> bool:
    if roles.has_role(user, roles.ADMIN):
        return True
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.department_id == task.department_id


@transaction.atomic
def agency_task_act(*, task: Task, action: str, by, note: str = "", progress: int | None = None) -> Task:
    """One step of a department's work on a task (签收, 受领, 进展, 完成)
    by one of its users; the commander sees it on the timeline."""
    if action not in AGENCY_TASK_ACTIONS:
        raise DomainError(
            f"unknown action {action!r}; one of {', '.join(AGENCY_TASK_ACTIONS)}", field="action"
        )
    locked = locks.lock_task(task.pk)
    if locked.department_id is None:
        raise Conflict("this task was not sent to a department", field="task")
    if not _may_act(by, locked):
        raise PermissionDeniedError("only the department's users act on its tasks", field="task")
    if locked.incident.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.incident.number} is {locked.incident.status}", field="incident")
    allowed, target = AGENCY_TASK_ACTIONS[action]
    if locked.state not in allowed:
        raise Conflict(f"a task that is {locked.state} cannot take {action}", field="action")
    if progress is not None and not 0 <= progress <= 100:
        raise DomainError("progress is a percentage (0–100)", field="progress")
    now = timezone.now()
    before = locked.state
    locked.state = target
    if locked.acknowledged_at is None:
        locked.acknowledged_at = now
    if target in (AgencyTaskState.ACCEPTED, AgencyTaskState.IN_PROGRESS) and locked.accepted_at is None:
        locked.accepted_at = now
    if note:
        locked.progress_note = clip(Task, "progress_note", note.strip())
    if target == AgencyTaskState.DONE:
        locked.progress, locked.done, locked.done_at, locked.done_by = 100, True, now, roles.acting_user(by)
    elif progress is not None:
        locked.progress = progress
    locked.save()
    with translation.override("zh-hans"):  # timelines are written in Chinese, whoever acts
        label = str(AgencyTaskState(target).label)
    text = f"{locked.department.name} {label}: {locked.title}"
    if action == "progress":
        text += f"（{locked.progress}%）"
    if note:
        text += f" — {locked.progress_note}"
    timeline_add(
        incident=locked.incident,
        kind=TimelineKind.TASK,
        by=by,
        text=text,
        data={
            "task": locked.pk,
            "department": locked.department.code,
            "state": target,
            "progress": locked.progress,
        },
    )
    audit_record(
        actor=by,
        action=f"task.{action}",
        obj=locked,
        before={"state": before},
        after={"state": target, "progress": locked.progress, "note": locked.progress_note},
    )
    emit(
        "task.updated",
        {
            "incident": locked.incident_id,
            "task": locked.pk,
            "state": target,
            "done": locked.done,
            "progress": locked.progress,
        },
    )
    return locked


def agency_tasks_escalate(now: dt.datetime | None = None) -> int:
    """Escalate the agency tasks still unacknowledged: after
    ``AGENCY_TASK_ACK_S`` to the department's duty officer (on the roster
    now), after twice that to the commanders (also when the department has
    nobody on duty).  Each task escalates once per level.  Returns how many
    escalations were made (the periodic sweep calls this)."""
    now = now or timezone.now()
    wait = dt.timedelta(seconds=int(emergency_settings.AGENCY_TASK_ACK_S))
    due = Task.objects.filter(
        department__isnull=False,
        state=AgencyTaskState.SENT,
        acknowledged_at__isnull=True,
        incident__status__in=[s for s in _open_statuses()],
    ).filter(
        Q(escalation_level=0, sent_at__lte=now - wait) | Q(escalation_level=1, sent_at__lte=now - 2 * wait)
    )
    made = 0
    for pk in due.values_list("pk", flat=True):
        made += _escalate_one(pk, now, wait)
    return made


def _open_statuses() -> list[str]:
    from emergency.choices import IncidentStatus

    return [s for s in IncidentStatus.values if s not in INCIDENT_TERMINAL]


@transaction.atomic
def _escalate_one(pk: int, now: dt.datetime, wait: dt.timedelta) -> int:
    task = (
        Task.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("incident", "department")
        .filter(pk=pk)
        .first()
    )
    if task is None or task.state != AgencyTaskState.SENT:
        return 0
    level = 2 if task.escalation_level == 1 or now - task.sent_at >= 2 * wait else 1
    recipients = duty_officer_recipients(task.department_id) if level == 1 else []
    if not recipients:
        level = 2
        recipients = commander_recipients()
    task.escalation_level, task.escalated_at = level, now
    task.save(update_fields=["escalation_level", "escalated_at"])
    who = "值班员" if level == 1 else "指挥长"
    timeline_add(
        incident=task.incident,
        kind=TimelineKind.TASK,
        by="system",
        text=f"催办（{who}）: {task.department.name} 未签收 “{task.title}”",
        data={"task": task.pk, "department": task.department.code, "escalation_level": level},
    )
    audit_record(
        actor="system",
        action="task.escalate",
        obj=task,
        after={"level": level, "recipients": len(recipients)},
    )
    emit("task.escalated", {"incident": task.incident_id, "task": task.pk, "level": level})
    notification_send(kind="escalation", recipients=recipients, context=_context(task), ref=f"task:{task.pk}")
    return 1
