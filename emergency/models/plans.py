"""Emergency plans (预案), their activation on incidents, tasks and dispatch
requests."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from emergency.choices import AgencyTaskState, IncidentLevel, IncidentType, TaskKind, UnitType


class Plan(models.Model):
    """A plan (run card) for one incident type at one response level: the
    units to send by type and count, the supplies to request, the agencies to
    notify and a checklist.  At most one active plan per type and level."""

    code = models.CharField(_("预案编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    incident_type = models.CharField(_("事件类型"), max_length=24, choices=IncidentType.choices)
    level = models.CharField(_("响应级别"), max_length=3, choices=IncidentLevel.choices)
    description = models.TextField(_("说明"), blank=True)
    checklist = models.JSONField(_("处置事项"), default=list, blank=True)
    notify_agencies = models.ManyToManyField("emergency.Agency", blank=True, related_name="+",
                                             verbose_name=_("通知单位"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_type", "level", "code"]
        verbose_name = _("应急预案")
        verbose_name_plural = _("应急预案")
        constraints = [
            models.UniqueConstraint(fields=["incident_type", "level"], condition=Q(active=True),
                                    name="plan_one_active_per_type_level"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanUnitRequirement(models.Model):
    """Units of one type a plan sends."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="unit_requirements")
    unit_type = models.CharField(_("力量类型"), max_length=24, choices=UnitType.choices)
    count = models.PositiveSmallIntegerField(_("数量"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "unit_type"], name="planunit_once_per_type"),
            models.CheckConstraint(name="planunit_count_range",
                                   condition=Q(count__gte=1) & Q(count__lte=100)),
        ]


class PlanSupplyRequirement(models.Model):
    """Supplies of one item a plan requests."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="supply_requirements")
    item = models.ForeignKey("emergency.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "item"], name="plansupply_once_per_item"),
            models.CheckConstraint(name="plansupply_quantity_positive", condition=Q(quantity__gte=1)),
        ]


class PlanActivation(models.Model):
    """A plan activated on an incident (once per incident and plan)."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE,
                                 related_name="plan_activations")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="activations")
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    activated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["activated_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "plan"], name="activation_once_per_incident_plan"),
        ]


class Task(models.Model):
    """Something to do on an incident: a checklist item or an agency to
    notify, created by a plan activation or by hand."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE, related_name="tasks")
    activation = models.ForeignKey(PlanActivation, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="tasks")
    kind = models.CharField(_("类型"), max_length=16, choices=TaskKind.choices)
    title = models.CharField(_("内容"), max_length=300)
    agency = models.ForeignKey("emergency.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    done = models.BooleanField(_("已完成"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    # joint action (联动): a task sent to a partner department's inbox
    department = models.ForeignKey("cim.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="emergency_tasks", verbose_name=_("承办部门"))
    state = models.CharField(_("办理状态"), max_length=16, choices=AgencyTaskState.choices,
                             default=AgencyTaskState.SENT)
    sent_at = models.DateTimeField(_("下达时间"), null=True, blank=True)
    deadline = models.DateTimeField(_("办理时限"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受领时间"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    progress_note = models.CharField(_("进展说明"), max_length=500, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("催办级别"), default=0)
    escalated_at = models.DateTimeField(_("催办时间"), null=True, blank=True)

    class Meta:
        ordering = ["incident", "position", "id"]
        verbose_name = _("处置任务")
        verbose_name_plural = _("处置任务")
        constraints = [
            models.CheckConstraint(name="task_done_has_time",
                                   condition=Q(done=False) | Q(done_at__isnull=False)),
            models.CheckConstraint(name="task_progress_percent", condition=Q(progress__lte=100)),
            models.CheckConstraint(name="task_escalation_level_range", condition=Q(escalation_level__lte=2)),
            models.CheckConstraint(name="task_department_sent",
                                   condition=Q(department__isnull=True) | Q(sent_at__isnull=False)),
        ]
        indexes = [models.Index(fields=["department", "state"], name="task_department_state_idx")]


class DispatchRequest(models.Model):
    """Units of one type an incident needs (from a plan or by hand); the
    recommendation fills what is still missing."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE,
                                 related_name="dispatch_requests")
    activation = models.ForeignKey(PlanActivation, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="dispatch_requests")
    unit_type = models.CharField(_("力量类型"), max_length=24, choices=UnitType.choices)
    count = models.PositiveSmallIntegerField(_("数量"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(name="dispatchrequest_count_range",
                                   condition=Q(count__gte=1) & Q(count__lte=100)),
        ]
