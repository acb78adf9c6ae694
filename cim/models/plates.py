from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import PlateAlertKind, PlateAlertStatus, PlateSize, PlateStatus

ACTIVE_PLATE_STATUSES = (PlateStatus.ISSUED, PlateStatus.INSTALLED, PlateStatus.DAMAGED)


class Plate(models.Model):
    """A physical door plate with a QR code, pointing to a standard address.

    ``code`` is opaque and permanent (10 random Crockford base-32 characters
    plus a check character, :mod:`cim.plates.codes`).  A damaged or stolen
    plate is replaced by a new plate with a new code for the same address; the
    old one keeps its record (status ``replaced``) and ``replaced_by`` points
    to its successor.  At most one plate per address is in service.
    """

    code = models.CharField(_("门牌码"), max_length=11, unique=True)
    address = models.ForeignKey(
        "cim.Address", on_delete=models.PROTECT, related_name="plates", verbose_name=_("标准地址")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=PlateStatus.choices, default=PlateStatus.ISSUED
    )
    size = models.CharField(_("规格"), max_length=8, choices=PlateSize.choices,
                            default=PlateSize.MEDIUM)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces",
        verbose_name=_("替换为"),
    )
    issued_at = models.DateTimeField(_("制发时间"), auto_now_add=True)
    installed_at = models.DateTimeField(_("安装时间"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("门牌")
        verbose_name_plural = _("门牌")
        constraints = [
            models.CheckConstraint(
                name="plate_code_format", condition=Q(code__regex=r"^[0-9A-HJKMNP-TV-Z]{11}$")
            ),
            models.UniqueConstraint(
                fields=["address"], condition=Q(status__in=ACTIVE_PLATE_STATUSES),
                name="plate_one_in_service_per_address",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="plate_status")]

    def __str__(self) -> str:
        return self.code


class PlateEvent(models.Model):
    """One step in a plate's life (issued, installed, damaged…), with who and why.
    The audit log holds the same change; this is the plate's own history for
    the UI and for statistics."""

    plate = models.ForeignKey(Plate, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=PlateStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("门牌状态变更")
        verbose_name_plural = _("门牌状态变更")


class PlateScanDay(models.Model):
    """Scans of one plate on one day, and an estimate of distinct clients.

    Scans are counted in Redis as they happen and folded in here; clients are
    counted as salted hashes in a HyperLogLog, so no address is ever stored."""

    plate = models.ForeignKey(Plate, on_delete=models.CASCADE, related_name="scan_days")
    day = models.DateField(_("日期"))
    scans = models.PositiveIntegerField(_("扫码次数"), default=0)
    clients = models.PositiveIntegerField(_("独立访客(估计)"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("门牌扫码统计")
        verbose_name_plural = _("门牌扫码统计")
        constraints = [
            models.UniqueConstraint(fields=["plate", "day"], name="platescanday_unique_day"),
        ]


class PlateAlert(models.Model):
    """A sign that a plate may be fake or tampered with: a sudden spike of scans
    (a pasted-over QR sending people elsewhere is often spread widely) or a
    resident pressing "this plate looks wrong"."""

    plate = models.ForeignKey(Plate, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("类型"), max_length=16, choices=PlateAlertKind.choices)
    status = models.CharField(_("状态"), max_length=8, choices=PlateAlertStatus.choices,
                              default=PlateAlertStatus.OPEN)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    comment = models.CharField(_("群众说明"), max_length=500, blank=True)
    client_hash = models.CharField(_("客户端摘要"), max_length=64, blank=True)
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("门牌告警")
        verbose_name_plural = _("门牌告警")
        indexes = [models.Index(fields=["status", "kind"], name="platealert_status_kind")]
