"""Response agencies, their units and every unit status change; cameras."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emergency.choices import AgencyKind, CameraProtocol, UnitStatus, UnitType


class Agency(models.Model):
    """A responding agency: fire and rescue, medical, police, health,
    emergency management…"""

    code = models.CharField(_("机构编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类别"), max_length=24, choices=AgencyKind.choices)
    phone = models.CharField(_("值班电话"), max_length=32, blank=True)
    admin_area = models.ForeignKey("cim.AdminArea", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("辖区"))
    department = models.ForeignKey("cim.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="agencies", verbose_name=_("所属部门"))
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("应急机构")
        verbose_name_plural = _("应急机构")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A response unit (fire engine, ambulance, police car, team…).

    ``status`` moves along :data:`emergency.states.UNIT_TRANSITIONS`, each
    move logged in :class:`UnitStatusChange`.  ``last_position`` is the
    latest AVL fix; older than ``UNIT_POSITION_STALE_S`` it is stale and the
    unit counts from its home station.  ``members`` are the responders who
    may report this unit's status and position.
    """

    code = models.CharField(_("呼号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="units",
                               verbose_name=_("所属机构"))
    unit_type = models.CharField(_("力量类型"), max_length=24, choices=UnitType.choices)
    home_station = models.ForeignKey("cim.ServicePoint", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("驻地"))
    crew_size = models.PositiveSmallIntegerField(_("编制人数"), default=0)
    crew = models.JSONField(_("人员"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=UnitStatus.choices,
                              default=UnitStatus.AVAILABLE)
    status_changed_at = models.DateTimeField(_("状态时间"), default=timezone.now)
    status_note = models.CharField(_("状态说明"), max_length=500, blank=True,
                                   help_text=_("停用原因等，随状态变更更新"))
    last_position = models.PointField(_("最新位置"), srid=4326, null=True, blank=True)
    last_position_at = models.DateTimeField(_("定位时间"), null=True, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="units",
                                     verbose_name=_("队员账号"))
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("应急力量")
        verbose_name_plural = _("应急力量")
        constraints = [
            models.CheckConstraint(name="unit_crew_size_range", condition=Q(crew_size__lte=100)),
            models.CheckConstraint(
                name="unit_position_has_time",
                condition=Q(last_position__isnull=True, last_position_at__isnull=True)
                | Q(last_position__isnull=False, last_position_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["unit_type", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UnitStatusChange(models.Model):
    """One transition of a unit's status, with its time (turnout and travel
    times are computed from these)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=UnitStatus.choices)
    to_status = models.CharField(max_length=16, choices=UnitStatus.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    incident = models.ForeignKey("emergency.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("力量状态变更")
        verbose_name_plural = _("力量状态变更")


class Camera(models.Model):
    """A video camera of the city's surveillance network, with its stream."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    geom = models.PointField(_("位置"), srid=4326)
    stream_url = models.CharField(_("视频流地址"), max_length=500)
    snapshot_url = models.CharField(_("截图地址"), max_length=500, blank=True,
                                    help_text=_("视频无法播放时显示的静态图片"))
    protocol = models.CharField(_("协议"), max_length=8, choices=CameraProtocol.choices,
                                default=CameraProtocol.HLS)
    heading = models.FloatField(_("朝向(度)"), null=True, blank=True)
    active = models.BooleanField(_("在线"), default=True)
    admin_area = models.ForeignKey("cim.AdminArea", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("视频监控")
        verbose_name_plural = _("视频监控")
        constraints = [
            models.CheckConstraint(
                name="camera_heading_range",
                condition=Q(heading__isnull=True) | (Q(heading__gte=0) & Q(heading__lt=360)),
            ),
        ]

    def __str__(self) -> str:
        return self.name
