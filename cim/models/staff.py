"""Who a staff member works for and where: departments (应急局, 公安, 消防…)
and the profile that places a user in one and, optionally, limits them to
districts.  :mod:`cim.scope` turns a profile into what the user may see."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import AdminLevel

__all__ = ["Department", "DepartmentKind", "StaffProfile"]


class DepartmentKind(models.TextChoices):
    COMMAND = "command", _("应急管理/指挥")
    POLICE = "police", _("公安")
    FIRE = "fire", _("消防救援")
    HEALTH = "health", _("卫生健康")
    TRANSPORT = "transport", _("交通运输")
    STREET = "street", _("街道办/社区")
    PLANNING = "planning", _("规划")
    OTHER = "other", _("其他")


class Department(models.Model):
    """A government department staff belong to.  ``own_work_only``: its
    staff see, in emergency work, only what is sent to the department (the
    tasks addressed to its agencies, its units and the incidents those
    concern) — a line department such as 公安 or 卫健; the emergency
    management bureau sees every incident of its area."""

    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=DepartmentKind.choices)
    own_work_only = models.BooleanField(
        _("仅见本部门任务"),
        default=False,
        help_text=_("勾选后，该部门人员只看到派给本部门的任务、本部门的力量及相关事件。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        constraints = [
            models.CheckConstraint(
                name="department_code_format", condition=Q(code__regex=r"^[a-z0-9_-]{1,32}$")
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """A user's department and the districts they work in; no district at
    all means the whole city.  Streets and communities below a district are
    in scope by the admin tree (their codes extend the district's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("用户"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("部门"),
    )
    districts = models.ManyToManyField(
        "cim.AdminArea",
        blank=True,
        related_name="+",
        verbose_name=_("负责区县"),
        limit_choices_to={"level": AdminLevel.DISTRICT},
        help_text=_("不选表示全市。"),
    )

    class Meta:
        verbose_name = _("人员档案")
        verbose_name_plural = _("人员档案")

    def __str__(self) -> str:
        return self.user.get_username()
