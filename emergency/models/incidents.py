"""Incidents, their level history, timeline and attachments."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emergency.choices import (
    AttachmentKind,
    Disposition,
    IncidentCategory,
    IncidentLevel,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    TimelineKind,
)


class Incident(models.Model):
    """A public emergency being handled: what (category, type, level), where
    (the reported point, its snap to the road network, an optional area, the
    standard address), who reported it, and where it stands in its life
    cycle (see :mod:`emergency.states`).

    ``(source, external_ref)`` is unique when set, so a hotline ticket or a
    resident's plate report becomes at most one incident.  Caller details are
    personal data: masked in the API for roles that do not need them.
    """

    number = models.CharField(_("事件编号"), max_length=32, unique=True, null=True, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("事件描述"), blank=True)
    category = models.CharField(_("事件类别"), max_length=24, choices=IncidentCategory.choices)
    incident_type = models.CharField(_("事件类型"), max_length=24, choices=IncidentType.choices)
    level = models.CharField(_("响应级别"), max_length=3, choices=IncidentLevel.choices,
                             default=IncidentLevel.IV)
    status = models.CharField(_("状态"), max_length=16, choices=IncidentStatus.choices,
                              default=IncidentStatus.RECEIVED)
    disposition = models.CharField(_("结案方式"), max_length=16, choices=Disposition.choices, blank=True)
    status_reason = models.CharField(_("状态说明"), max_length=500, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=IncidentSource.choices)
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True,
                                    help_text=_("热线工单号、门牌上报查询码等"))
    caller_name = models.CharField(_("报警人"), max_length=100, blank=True)
    caller_phone = models.CharField(_("报警电话"), max_length=32, blank=True)
    location = models.PointField(_("位置"), srid=4326)
    snapped_location = models.PointField(_("路网吸附位置"), srid=4326, null=True, blank=True)
    snap_distance_m = models.FloatField(_("到路网距离(米)"), null=True, blank=True)
    road_segment = models.ForeignKey("cim.RoadSegment", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    area = models.MultiPolygonField(_("影响范围"), srid=4326, null=True, blank=True)
    address = models.ForeignKey("cim.Address", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="incidents", verbose_name=_("标准地址"))
    admin_area = models.ForeignKey("cim.AdminArea", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("所在区划"))
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_duplicates", verbose_name=_("合并至"))
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="split_offs", verbose_name=_("拆分自"))
    cameras = models.ManyToManyField("emergency.Camera", blank=True, related_name="incidents")
    reported_at = models.DateTimeField(_("接报时间"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("突发事件")
        verbose_name_plural = _("突发事件")
        constraints = [
            models.CheckConstraint(
                name="incident_closed_has_disposition",
                condition=~Q(status=IncidentStatus.CLOSED) | ~Q(disposition=""),
            ),
            models.CheckConstraint(
                name="incident_merged_has_target",
                condition=(Q(status=IncidentStatus.MERGED) & Q(merged_into__isnull=False))
                | (~Q(status=IncidentStatus.MERGED) & Q(merged_into__isnull=True)),
            ),
            models.CheckConstraint(name="incident_not_merged_into_self",
                                   condition=~Q(merged_into=F("id"))),
            models.CheckConstraint(name="incident_not_split_from_self",
                                   condition=~Q(split_from=F("id"))),
            models.UniqueConstraint(fields=["source", "external_ref"], condition=~Q(external_ref=""),
                                    name="incident_source_external_ref"),
        ]
        indexes = [models.Index(fields=["status", "level"]), models.Index(fields=["incident_type"])]

    def __str__(self) -> str:
        return f"{self.number or self.pk} {self.title}"


class IncidentLevelChange(models.Model):
    """One change of an incident's response level, with the reason."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="level_changes")
    from_level = models.CharField(max_length=3, choices=IncidentLevel.choices)
    to_level = models.CharField(max_length=3, choices=IncidentLevel.choices)
    reason = models.CharField(_("原因"), max_length=500)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("响应级别变更")
        verbose_name_plural = _("响应级别变更")
        constraints = [
            models.CheckConstraint(name="levelchange_differs", condition=~Q(from_level=F("to_level"))),
        ]


class TimelineEntry(models.Model):
    """One line of an incident's timeline: who did what, when.  Written by
    the services in the same transaction as the change it tells of."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作者"), max_length=150)
    kind = models.CharField(_("类型"), max_length=16, choices=TimelineKind.choices)
    text = models.CharField(_("内容"), max_length=1000)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("事件时间线")
        verbose_name_plural = _("事件时间线")


def attachment_path(instance: Attachment, filename: str) -> str:
    """Private, unguessable path under MEDIA_ROOT (served only by the API)."""
    from emergency.conf import emergency_settings

    ext = PurePosixPath(filename).suffix.lower()[:8]
    day = timezone.localdate()
    return f"{emergency_settings.PRIVATE_MEDIA_DIR}/attachments/{day:%Y/%m}/{uuid.uuid4().hex}{ext}"


class Attachment(models.Model):
    """A photo, video or voice file of an incident.  The type is taken from
    the file's magic bytes, not its name; the file lives under MEDIA_ROOT's
    private folder and is served only through a permission-checked view."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=8, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    content_type = models.CharField(_("媒体类型"), max_length=64)
    size_bytes = models.PositiveBigIntegerField(_("大小(字节)"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # A push-to-talk voice message on the incident's channel (console ⇄
    # field app), as opposed to a file filed with the incident.
    channel = models.BooleanField(_("语音通话消息"), default=False)
    duration_s = models.FloatField(_("时长(秒)"), null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("事件附件")
        verbose_name_plural = _("事件附件")
        constraints = [
            models.CheckConstraint(name="attachment_size_positive", condition=Q(size_bytes__gt=0)),
        ]
