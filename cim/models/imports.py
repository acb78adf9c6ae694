from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cim.choices import ImportKind, ImportStatus


class ImportRun(models.Model):
    """One run of an importer: which file, its checksum, when, what it loaded
    per layer and what it rejected (with the reason, in ``rejections``).

    The run record is written outside the import transaction, so a failed
    import leaves its record (status ``failed`` and the message) while the
    city data stays exactly as it was.
    """

    kind = models.CharField(_("类型"), max_length=16, choices=ImportKind.choices)
    source_name = models.CharField(_("文件"), max_length=500)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    file_size = models.BigIntegerField(_("文件大小"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    counts = models.JSONField(_("各图层数量"), default=dict, blank=True)
    options = models.JSONField(_("参数"), default=dict, blank=True)
    message = models.TextField(_("信息"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self) -> str:
        return f"{self.kind} {self.source_name} ({self.status})"


class RejectedFeature(models.Model):
    """A single feature an import refused, with the reason."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    layer = models.CharField(_("图层"), max_length=32)
    source_id = models.CharField(_("来源编号"), max_length=128, blank=True)
    reason = models.CharField(_("原因"), max_length=64)
    detail = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("被拒要素")
        verbose_name_plural = _("被拒要素")

    def __str__(self) -> str:
        return f"{self.layer}:{self.source_id} {self.reason}"
