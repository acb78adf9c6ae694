"""Control zones (封控区/管控区/防范区) and public alerts (CAP 1.2)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from emergency.choices import (
    CapCategory,
    CapCertainty,
    CapMsgType,
    CapSeverity,
    CapStatus,
    CapUrgency,
    ZoneStatus,
    ZoneTier,
)


class ControlZone(models.Model):
    """An area under control measures, drawn or generated around addresses,
    with what it holds: buildings, addresses and an estimate of the people
    inside (from floors, use and footprint area), computed when it is made."""

    incident = models.ForeignKey("emergency.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="zones")
    tier = models.CharField(_("管控等级"), max_length=16, choices=ZoneTier.choices)
    name = models.CharField(_("名称"), max_length=200)
    geom = models.MultiPolygonField(_("范围"), srid=4326)
    generated = models.BooleanField(_("按地址生成"), default=False)
    buffer_m = models.FloatField(_("外扩距离(米)"), null=True, blank=True)
    source_addresses = models.ManyToManyField("cim.Address", blank=True, related_name="+")
    buildings_count = models.PositiveIntegerField(_("建筑数"), default=0)
    addresses_count = models.PositiveIntegerField(_("地址数"), default=0)
    people_estimate = models.PositiveIntegerField(_("估算人数"), default=0)
    status = models.CharField(_("状态"), max_length=8, choices=ZoneStatus.choices,
                              default=ZoneStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("管控区域")
        verbose_name_plural = _("管控区域")
        constraints = [
            models.CheckConstraint(
                name="zone_lifted_has_time",
                condition=(Q(status=ZoneStatus.LIFTED) & Q(lifted_at__isnull=False))
                | (Q(status=ZoneStatus.ACTIVE) & Q(lifted_at__isnull=True)),
            ),
            models.CheckConstraint(name="zone_buffer_range",
                                   condition=Q(buffer_m__isnull=True)
                                   | (Q(buffer_m__gte=0) & Q(buffer_m__lte=5000))),
        ]


class Alert(models.Model):
    """A public alert as issued, kept with the exact CAP 1.2 document sent.

    ``identifier`` follows GB/T 35965.1: the 6-digit division code, the
    sender's unit code, the entry time and a sequence digit,
    ``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N``.
    """

    identifier = models.CharField(_("标识"), max_length=40, unique=True)
    incident = models.ForeignKey("emergency.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alerts")
    division_code = models.CharField(_("区划代码"), max_length=6)
    sender = models.CharField(_("发布者"), max_length=200)
    sender_name = models.CharField(_("发布单位"), max_length=200)
    sent = models.DateTimeField(_("发布时间"))
    status = models.CharField(max_length=10, choices=CapStatus.choices, default=CapStatus.ACTUAL)
    msg_type = models.CharField(max_length=8, choices=CapMsgType.choices, default=CapMsgType.ALERT)
    references = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="followups")
    category = models.CharField(max_length=10, choices=CapCategory.choices)
    event = models.CharField(_("事件"), max_length=100)
    urgency = models.CharField(max_length=10, choices=CapUrgency.choices)
    severity = models.CharField(max_length=10, choices=CapSeverity.choices)
    certainty = models.CharField(max_length=10, choices=CapCertainty.choices)
    headline = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("内容"))
    instruction = models.TextField(_("防御指南"), blank=True)
    area_desc = models.CharField(_("区域描述"), max_length=300)
    area = models.MultiPolygonField(_("预警范围"), srid=4326)
    expires = models.DateTimeField(_("失效时间"), null=True, blank=True)
    # when the sweep saw it expire and dropped the scan pages of its area
    expired_at = models.DateTimeField(_("到期处理时间"), null=True, blank=True, editable=False)
    xml = models.TextField(_("CAP 文档"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent", "-id"]
        verbose_name = _("预警信息")
        verbose_name_plural = _("预警信息")
        constraints = [
            models.CheckConstraint(name="alert_division_code_digits",
                                   condition=Q(division_code__regex=r"^[0-9]{6}$")),
            models.CheckConstraint(name="alert_identifier_format",
                                   condition=Q(identifier__regex=r"^[0-9]{14}_[0-9]{14}_[0-9]$")),
        ]
