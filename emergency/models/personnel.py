"""Personnel (人员): the duty roster (值班表), the expert directory (专家库) and the
members of response teams with their qualifications.

Shifts are data (:class:`DutyShift`: 白班 08:00–20:00, 夜班 20:00–08:00 of the next
day, …); a :class:`DutyAssignment` puts one person on one shift of one day in one
position and stores the absolute interval it covers (``starts_at``/``ends_at``,
computed in the platform's time zone), so "who is on duty now" and "does this
person already work then" are plain interval queries, midnight or not.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DutyAssignment",
    "DutyPosition",
    "DutyShift",
    "Expert",
    "ExpertAvailability",
    "ExpertField",
    "Qualification",
    "TeamMember",
]


class DutyPosition(models.TextChoices):
    """Positions of the duty roster, in the order the grid shows them."""

    LEADER = "leader", _("带班领导")
    OFFICER = "officer", _("值班员")
    DISPATCHER = "dispatcher", _("调度员")
    LIAISON = "liaison", _("联络员")


class ExpertField(models.TextChoices):
    """Fields of expertise of the expert directory."""

    HAZCHEM = "hazchem", _("危化")
    GEOLOGICAL = "geological", _("地质灾害")
    MEDICAL = "medical", _("医疗")
    FIRE = "fire", _("消防")
    WATER = "water", _("水利")
    POWER = "power", _("电力")
    STRUCTURE = "structure", _("建筑结构")
    METEOROLOGY = "meteorology", _("气象")
    PUBLIC_HEALTH = "public_health", _("公共卫生")
    TRAFFIC = "traffic", _("交通")


class ExpertAvailability(models.TextChoices):
    AVAILABLE = "available", _("可随时响应")
    ON_CALL = "on_call", _("需预约")
    UNAVAILABLE = "unavailable", _("暂不可用")


class DutyShift(models.Model):
    """A shift of the roster: a daily time window that may run past midnight
    (``end`` ≤ ``start`` means it ends on the next day)."""

    code = models.CharField(_("班次编码"), max_length=16, unique=True)
    name = models.CharField(_("班次名称"), max_length=40)
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "start", "code"]
        verbose_name = _("值班班次")
        verbose_name_plural = _("值班班次")
        constraints = [models.CheckConstraint(name="dutyshift_not_empty", condition=~Q(start=F("end")))]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


class DutyAssignment(models.Model):
    """One person on one shift of one day in one position, for an agency or
    department.  The person is a platform user or just a name and phone
    (people without an account: leaders on the phone roster)."""

    date = models.DateField(_("日期"), db_index=True)
    shift = models.ForeignKey(DutyShift, on_delete=models.PROTECT, related_name="assignments",
                              verbose_name=_("班次"))
    position = models.CharField(_("岗位"), max_length=16, choices=DutyPosition.choices)
    agency = models.ForeignKey("emergency.Agency", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="duty_assignments", verbose_name=_("部门/机构"))
    # the name is kept when the account goes
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="duty_assignments", verbose_name=_("平台账号"))
    person_name = models.CharField(_("姓名"), max_length=60)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    starts_at = models.DateTimeField(_("开始"), editable=False)
    ends_at = models.DateTimeField(_("结束"), editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "shift__order", "position", "person_name"]
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        constraints = [
            models.CheckConstraint(name="dutyassignment_interval", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(name="dutyassignment_person_named", condition=~Q(person_name="")),
            models.UniqueConstraint(fields=["date", "shift", "position", "person_name"],
                                    name="dutyassignment_once_per_slot"),
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="dutyassignment_interval_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.shift.name} {self.get_position_display()} {self.person_name}"


class Expert(models.Model):
    """An expert of the directory who advises the command on incidents in
    their fields.  The phone is personal data: masked everywhere, shown on
    purpose only (audited)."""

    name = models.CharField(_("姓名"), max_length=60)
    fields = ArrayField(models.CharField(max_length=24, choices=ExpertField.choices),
                        verbose_name=_("专业领域"), size=8)
    organisation = models.CharField(_("工作单位"), max_length=200)
    title = models.CharField(_("职称/职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=32)
    availability = models.CharField(_("响应状态"), max_length=16, choices=ExpertAvailability.choices,
                                    default=ExpertAvailability.AVAILABLE)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("应急专家")
        verbose_name_plural = _("应急专家")
        constraints = [
            models.CheckConstraint(name="expert_has_field", condition=Q(fields__len__gte=1)),
            models.UniqueConstraint(fields=["name", "organisation"], name="expert_unique_name_org"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    """A member of a response unit's team, with a role in the team.  The
    unit's free-text ``crew`` list stays as it was; these records are the
    directory with qualifications (and may point at the member's account)."""

    unit = models.ForeignKey("emergency.Unit", on_delete=models.CASCADE, related_name="team_members",
                             verbose_name=_("所属力量"))
    name = models.CharField(_("姓名"), max_length=60)
    role = models.CharField(_("队内职务"), max_length=40)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="team_memberships", verbose_name=_("平台账号"))
    active = models.BooleanField(_("在岗"), default=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit", "name", "id"]
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="teammember_unique_in_unit")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit.code})"


class Qualification(models.Model):
    """A certificate a team member holds; past ``expires_on`` it is expired."""

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="qualifications",
                               verbose_name=_("队员"))
    name = models.CharField(_("资质名称"), max_length=100)
    certificate_no = models.CharField(_("证书编号"), max_length=60)
    issued_on = models.DateField(_("发证日期"), null=True, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        ordering = ["member", "expires_on", "id"]
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")
        constraints = [
            models.UniqueConstraint(fields=["member", "certificate_no"], name="qualification_unique_cert"),
            models.CheckConstraint(
                name="qualification_dates_order",
                condition=Q(issued_on__isnull=True) | Q(expires_on__isnull=True)
                | Q(expires_on__gt=F("issued_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.certificate_no}"
