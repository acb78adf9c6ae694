"""The event log of the operations picture (consumed live in issue 6)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One change worth telling the consoles about.  The bigserial ``id`` is
    the increasing event id a console resumes from after a reconnect; rows are
    written in the same transaction as the change and published to the
    channel layer only after commit."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("类型"), max_length=48, db_index=True)
    payload = models.JSONField(_("内容"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("事件消息")
        verbose_name_plural = _("事件消息")
