"""Operations sent by a responder's field app, each under the device's own id,
so a device that resends its offline queue (or retries after a lost answer)
never applies the same change twice."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class FieldOp(models.Model):
    """One operation of a field device (a status change, a batch of position
    fixes, an acknowledgement) and the answer it got.  ``(user, client_id)``
    is unique: a repeated operation gets the stored answer, not a second
    change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(_("客户端编号"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16)
    client_at = models.DateTimeField(_("设备时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    http_status = models.PositiveSmallIntegerField(_("结果状态码"))
    answer = models.JSONField(_("结果"), default=dict)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("外勤终端操作")
        verbose_name_plural = _("外勤终端操作")
        constraints = [
            models.UniqueConstraint(fields=["user", "client_id"], name="fieldop_one_per_client_id"),
        ]
