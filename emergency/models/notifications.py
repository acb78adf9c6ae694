"""Notifications that leave the platform (e-mail, SMS, in-app), one row per
message and one per recipient and channel (the delivery log), and residents'
subscriptions to the warnings of their address."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from emergency.choices import DeliveryStatus, NotificationChannel, NotificationKind


class Notification(models.Model):
    """One message sent for one reason (an assignment, an agency task, an
    escalation, a CAP alert) to any number of recipients.  ``ref`` names what
    it is about (``task:12``, ``alert:3``); ``context`` fills the zh/en
    templates."""

    kind = models.CharField(_("类型"), max_length=16, choices=NotificationKind.choices)
    ref = models.CharField(_("关联对象"), max_length=64, blank=True, db_index=True)
    context = models.JSONField(_("模板参数"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")


class Delivery(models.Model):
    """One recipient's copy of a notification on one channel, with its
    attempts: the delivery log.  One row per (notification, channel,
    address): a recipient never gets the same message twice on a channel."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=8, choices=NotificationChannel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notification_deliveries",
    )
    address = models.CharField(_("接收地址"), max_length=254)
    language = models.CharField(_("语言"), max_length=8, default="zh-hans")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最后错误"), max_length=500, blank=True)
    provider_ref = models.CharField(_("网关回执"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel", "address"], name="delivery_once"),
            models.CheckConstraint(
                name="delivery_sent_has_time",
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["user", "channel", "-created_at"], name="delivery_user_idx"),
        ]


class AlertSubscription(models.Model):
    """A resident's wish to get the warnings for one address by SMS, made
    on the plate's scan page with explicit consent; ended by the opt-out
    link or code in every message.  The phone is only ever shown masked."""

    address = models.ForeignKey("cim.Address", on_delete=models.CASCADE, related_name="alert_subscriptions")
    phone = models.CharField(_("手机号"), max_length=20)
    language = models.CharField(_("语言"), max_length=8, default="zh-hans")
    token = models.CharField(_("退订码"), max_length=32, unique=True)
    consent_at = models.DateTimeField(_("同意时间"))
    client = models.CharField(_("客户端"), max_length=64, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    opted_out_at = models.DateTimeField(_("退订时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("预警订阅")
        verbose_name_plural = _("预警订阅")
        constraints = [
            models.UniqueConstraint(
                fields=["address", "phone"],
                condition=Q(active=True),
                name="subscription_once_per_address_phone",
            ),
            models.CheckConstraint(
                name="subscription_phone_digits", condition=Q(phone__regex=r"^1[3-9][0-9]{9}$")
            ),
            models.CheckConstraint(
                name="subscription_opt_out_has_time", condition=Q(active=True) | Q(opted_out_at__isnull=False)
            ),
        ]
