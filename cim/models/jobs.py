"""Long work run by a Celery worker and followed by the people who asked for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Job", "JobStatus"]


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class Job(models.Model):
    """One piece of long work (an import, a tiles build, a plate sheet…): what
    was asked (``kind``, ``params``, an uploaded ``input_file``), by whom, how
    far it is (``progress`` 0–100 and a message, written by the worker while it
    runs, with a heartbeat), and what came of it (``result``, ``result_file``
    or ``error``).

    The row is written by :mod:`cim.services.jobs` only; the work itself runs
    in its own transaction, so a job that fails or is cancelled leaves the city
    data as it was.
    """

    FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.CharField(_("进度说明"), max_length=300, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    input_file = models.FileField(_("上传文件"), upload_to="jobs/input/%Y/%m/", blank=True, max_length=300)
    result_file = models.FileField(_("结果文件"), upload_to="jobs/result/%Y/%m/", blank=True, max_length=300)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    cancel_requested = models.BooleanField(_("已请求取消"), default=False)
    idempotent = models.BooleanField(_("可重试"), default=False)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="cim_job_status_beat")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="cim_job_progress_max_100"),
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="cim_job_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running"]) | Q(finished_at__isnull=False),
                name="cim_job_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED
