"""Assignments of units to incidents, and temporary road closures."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emergency.choices import ClosureReason, MutualAidStatus


class Assignment(models.Model):
    """A unit sent to an incident, with the route and ETA computed when it
    was sent.  A unit has at most one active (unreleased) assignment: a
    partial unique constraint in the database, on top of the row locks."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE,
                                 related_name="assignments")
    unit = models.ForeignKey("emergency.Unit", on_delete=models.PROTECT, related_name="assignments")
    dispatch_request = models.ForeignKey("emergency.DispatchRequest", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    position_source = models.CharField(_("出发位置"), max_length=8,
                                       help_text=_("avl: 最新定位; station: 驻地"))
    eta_s = models.FloatField(_("预计到达(秒)"), null=True, blank=True)
    distance_m = models.FloatField(_("路程(米)"), null=True, blank=True)
    route = models.LineStringField(_("路线"), srid=4326, null=True, blank=True)
    route_edge_ids = models.JSONField(default=list, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=200, blank=True)
    # The crew confirmed on its device that it received the assignment
    # (the field app); unacknowledged past FIELD_ACK_TIMEOUT_S the console
    # shows it in red.
    acknowledged_at = models.DateTimeField(_("确认接收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["assigned_at", "id"]
        verbose_name = _("派遣")
        verbose_name_plural = _("派遣")
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(released_at__isnull=True),
                                    name="assignment_one_active_per_unit"),
            models.CheckConstraint(
                name="assignment_released_after_assigned",
                condition=Q(released_at__isnull=True) | Q(released_at__gte=F("assigned_at")),
            ),
        ]


class RoadClosure(models.Model):
    """Road segments closed for a while (by an incident, a flood or a manual
    order).  Routing leaves them out from the next query on while the closure
    is in force: started, not yet ended, not lifted."""

    reason = models.CharField(_("原因"), max_length=16, choices=ClosureReason.choices)
    incident = models.ForeignKey("emergency.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="road_closures")
    segments = models.ManyToManyField("cim.RoadSegment", related_name="+", verbose_name=_("封闭路段"))
    area = models.PolygonField(_("封闭范围"), srid=4326, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ends_at = models.DateTimeField(_("预计结束"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["lifted_at", "ends_at"], name="closure_force_idx")]
        verbose_name = _("道路封闭")
        verbose_name_plural = _("道路封闭")
        constraints = [
            models.CheckConstraint(name="closure_ends_after_start",
                                   condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at"))),
        ]


class MutualAidRequest(models.Model):
    """A district dispatcher's request for a unit of another district
    (跨区支援) for one of their incidents.  A city-level commander or
    dispatcher approves it — the unit is then assigned, the assignment kept
    here — or declines it with a reason.  At most one pending request per
    incident and unit."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE,
                                 related_name="mutual_aid_requests")
    unit = models.ForeignKey("emergency.Unit", on_delete=models.PROTECT, related_name="mutual_aid_requests")
    reason = models.CharField(_("申请理由"), max_length=500)
    status = models.CharField(_("状态"), max_length=12, choices=MutualAidStatus.choices,
                              default=MutualAidStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    assignment = models.OneToOneField(Assignment, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="mutual_aid_request")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("跨区支援申请")
        verbose_name_plural = _("跨区支援申请")
        constraints = [
            models.UniqueConstraint(fields=["incident", "unit"], condition=Q(status="pending"),
                                    name="mutualaid_one_pending_per_incident_unit"),
            models.CheckConstraint(
                name="mutualaid_decided_when_not_pending",
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
            ),
        ]
