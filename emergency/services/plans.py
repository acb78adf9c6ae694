"""Writes of plans (预案): saving a plan with its requirements, activating it
on an incident (tasks, dispatch requests, a supply request), ticking tasks."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record, snapshot
from emergency import locks
from emergency.choices import AgencyTaskState, IncidentLevel, IncidentType, TaskKind, TimelineKind, UnitType
from emergency.conf import emergency_settings
from emergency.errors import Conflict, DomainError, NotFound
from emergency.events import emit
from emergency.models import (
    Agency,
    DispatchRequest,
    Incident,
    Item,
    Plan,
    PlanActivation,
    PlanSupplyRequirement,
    PlanUnitRequirement,
    SupplyRequest,
    SupplyRequestLine,
    Task,
)
from emergency.selectors import plan_for
from emergency.services._common import timeline_add
from emergency.services.agency_tasks import department_task_notify
from emergency.states import INCIDENT_TERMINAL

__all__ = ["plan_activate", "plan_save", "task_set_done"]


def _plan_view(plan: Plan) -> dict:
    data = snapshot(plan, exclude=("notify_agencies",))
    data["units"] = {r.unit_type: r.count for r in plan.unit_requirements.all()}
    data["supplies"] = {r.item.code: r.quantity for r in plan.supply_requirements.select_related("item")}
    data["notify"] = sorted(plan.notify_agencies.values_list("code", flat=True))
    return data


@transaction.atomic
def plan_save(*, by, plan: Plan | None = None, code: str, name: str, incident_type: str, level: str,
              description: str = "", checklist: list[str] | None = None,
              units: dict[str, int] | None = None, supplies: dict[int, int] | None = None,
              notify_agencies: list[int] | None = None, active: bool = True) -> Plan:
    """Create or replace a plan with its unit and supply requirements."""
    if incident_type not in IncidentType.values:
        raise DomainError(f"unknown incident type {incident_type!r}", field="incident_type")
    if level not in IncidentLevel.values:
        raise DomainError(f"unknown level {level!r}", field="level")
    units = units or {}
    for unit_type, count in units.items():
        if unit_type not in UnitType.values:
            raise DomainError(f"unknown unit type {unit_type!r}", field="units")
        if not 1 <= count <= 100:
            raise DomainError("unit counts must lie between 1 and 100", field="units")
    supplies = supplies or {}
    items = Item.objects.in_bulk(list(supplies))
    if missing := set(supplies) - set(items):
        raise NotFound(f"item {min(missing)} does not exist", field="supplies")
    if any(q < 1 for q in supplies.values()):
        raise DomainError("supply quantities must be at least 1", field="supplies")
    agencies = Agency.objects.in_bulk(notify_agencies or [])
    if missing := set(notify_agencies or []) - set(agencies):
        raise NotFound(f"agency {min(missing)} does not exist", field="notify_agencies")
    checklist = [str(c).strip()[:300] for c in (checklist or []) if str(c).strip()]
    before = _plan_view(plan) if plan is not None else None
    target = plan or Plan()
    for field, value in (("code", code), ("name", name), ("incident_type", incident_type),
                         ("level", level), ("description", description), ("checklist", checklist),
                         ("active", active)):
        setattr(target, field, value)
    target.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise Conflict(f"an active plan for {incident_type} level {level} exists already, "
                       "or the code is taken", field="code") from None
    target.unit_requirements.all().delete()
    PlanUnitRequirement.objects.bulk_create(
        [PlanUnitRequirement(plan=target, unit_type=t, count=c) for t, c in sorted(units.items())])
    target.supply_requirements.all().delete()
    PlanSupplyRequirement.objects.bulk_create(
        [PlanSupplyRequirement(plan=target, item=items[i], quantity=q) for i, q in sorted(supplies.items())])
    target.notify_agencies.set(list(agencies.values()))
    audit_record(actor=by, action="plan.save", obj=target, before=before, after=_plan_view(target))
    emit("plan.saved", {"plan": target.pk, "code": target.code})
    return target


@transaction.atomic
def plan_activate(*, incident: Incident, by, plan: Plan | None = None) -> PlanActivation:
    """Activate a plan on an incident (by default the active plan for its
    type and level): one task per checklist item and agency to notify, a
    dispatch request per unit type, and a supply request for its supplies."""
    locked = locks.lock_incident(incident.pk)
    if locked.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.number} is {locked.status}", field="incident")
    if plan is None:
        plan = plan_for(locked)
        if plan is None:
            raise NotFound(f"no active plan for {locked.incident_type} at level {locked.level}",
                           field="plan")
    if not plan.active:
        raise Conflict(f"plan {plan.code} is not active", field="plan")
    if PlanActivation.objects.filter(incident=locked, plan=plan).exists():
        raise Conflict(f"plan {plan.code} is already active on this incident", field="plan")
    user = roles.acting_user(by)
    activation = PlanActivation.objects.create(incident=locked, plan=plan, activated_by=user)
    position = Task.objects.filter(incident=locked).count()
    tasks = [Task(incident=locked, activation=activation, kind=TaskKind.CHECKLIST, title=text,
                  position=position + k) for k, text in enumerate(plan.checklist)]
    now = timezone.now()
    deadline = now + dt.timedelta(seconds=int(emergency_settings.AGENCY_TASK_DEFAULT_DEADLINE_S))
    for agency in plan.notify_agencies.select_related("department").order_by("code"):
        # an agency of a partner department: the task goes to the department's inbox
        sent = {"department": agency.department, "sent_at": now, "deadline": deadline} \
            if agency.department else {}
        tasks.append(Task(incident=locked, activation=activation, kind=TaskKind.NOTIFY, agency=agency,
                          title=f"通知 {agency.name}", position=position + len(tasks), **sent))
    Task.objects.bulk_create(tasks)
    for task in tasks:
        if task.department is not None:
            department_task_notify(task=task, by=by)
    requests = DispatchRequest.objects.bulk_create([
        DispatchRequest(incident=locked, activation=activation, unit_type=r.unit_type, count=r.count,
                        created_by=user)
        for r in plan.unit_requirements.order_by("unit_type")
    ])
    supplies = list(plan.supply_requirements.all())
    supply_request = None
    if supplies:
        supply_request = SupplyRequest.objects.create(incident=locked, activation=activation,
                                                      requested_by=user, note=f"预案 {plan.code}")
        SupplyRequestLine.objects.bulk_create([
            SupplyRequestLine(request=supply_request, item_id=s.item_id, quantity=s.quantity)
            for s in supplies])
    timeline_add(incident=locked, kind=TimelineKind.PLAN, by=by, text=f"启动预案: {plan.name}",
                 data={"plan": plan.pk, "activation": activation.pk, "tasks": len(tasks),
                       "dispatch_requests": [r.pk for r in requests],
                       "supply_request": supply_request.pk if supply_request else None})
    audit_record(actor=by, action="plan.activate", obj=activation,
                 after={"incident": locked.pk, "plan": plan.pk})
    emit("plan.activated", {"incident": locked.pk, "plan": plan.pk, "activation": activation.pk,
                            "units": {r.unit_type: r.count for r in requests}})
    return activation


@transaction.atomic
def task_set_done(*, task: Task, done: bool, by) -> Task:
    """Tick (or untick) a task."""
    locked = locks.lock_task(task.pk)
    if locked.done == done:
        return locked
    locked.done = done
    locked.done_at = timezone.now() if done else None
    locked.done_by = roles.acting_user(by) if done else None
    if locked.department_id is not None:  # the console ticks a department's task for it
        locked.state = AgencyTaskState.DONE if done else (
            AgencyTaskState.ACKNOWLEDGED if locked.acknowledged_at else AgencyTaskState.SENT)
    locked.save(update_fields=["done", "done_at", "done_by", "state"])
    timeline_add(incident=locked.incident, kind=TimelineKind.TASK, by=by,
                 text=("完成: " if done else "重新打开: ") + locked.title, data={"task": locked.pk})
    audit_record(actor=by, action="task.done" if done else "task.reopen", obj=locked,
                 after={"done": done})
    emit("task.updated", {"incident": locked.incident_id, "task": locked.pk, "done": done})
    return locked
