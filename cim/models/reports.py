from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import ReportCategory, ReportStatus


class PublicReport(models.Model):
    """A problem a resident reported at an address (usually from a plate scan).

    It enters the staff queue as ``new``; one operator claims it (so two never
    work the same report), moves it on and closes it with a public reply.  The
    resident follows it with ``tracking_code`` on a public page that shows the
    status and the reply, never the reporter's contact details.
    """

    tracking_code = models.CharField(_("查询码"), max_length=9, unique=True)
    address = models.ForeignKey(
        "cim.Address", on_delete=models.PROTECT, related_name="reports", verbose_name=_("地址")
    )
    plate = models.ForeignKey(
        "cim.Plate", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    position = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=ReportCategory.choices)
    description = models.TextField(_("问题描述"), max_length=2000)
    photo = models.FileField(_("照片"), upload_to="reports/%Y/%m/", blank=True)
    reporter_name = models.CharField(_("联系人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    client_hash = models.CharField(_("客户端摘要"), max_length=64, blank=True)
    language = models.CharField(_("语言"), max_length=8, default="zh-hans")
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices,
                              default=ReportStatus.NEW)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("认领人"),
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    public_reply = models.CharField(_("答复"), max_length=500, blank=True)
    # SLA clocks: the first claim answers the response deadline, closing the resolution one.
    acknowledged_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # The incident this report became (emergency keeps the tracking code as its external ref).
    incident_number = models.CharField(_("转办事件编号"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("群众上报")
        verbose_name_plural = _("群众上报")
        constraints = [
            models.CheckConstraint(
                name="publicreport_claim_consistent",
                condition=(Q(claimed_by__isnull=True) & Q(claimed_at__isnull=True))
                | (Q(claimed_by__isnull=False) & Q(claimed_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="publicreport_tracking_format",
                condition=Q(tracking_code__regex=r"^R[0-9A-HJKMNP-TV-Z]{8}$"),
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="publicreport_queue")]

    def __str__(self) -> str:
        return self.tracking_code


class PublicReportEvent(models.Model):
    """A status change of a report, or a reply to the resident (``public_note``,
    shown in order on the tracking page); ``actor`` is staff-only."""

    report = models.ForeignKey(PublicReport, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices)
    public_note = models.CharField(_("公开说明"), max_length=500, blank=True)
    actor = models.CharField(_("操作人"), max_length=150, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("上报处理记录")
        verbose_name_plural = _("上报处理记录")
