from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import ServiceCategory


class ServiceItem(models.Model):
    """A public service a resident can get done (一码办事): which kind of hall
    handles it, what to bring, when it is open."""

    code = models.SlugField(_("事项编码"), max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150)
    department = models.CharField(_("主管部门"), max_length=100)
    department_en = models.CharField(_("主管部门(英文)"), max_length=150, blank=True)
    hall_category = models.CharField(_("办理场所类别"), max_length=32,
                                     choices=ServiceCategory.choices)
    materials = models.JSONField(_("所需材料"), default=list,
                                 help_text=_('[{"zh": "身份证", "en": "ID card"}, …]'))
    hours = models.CharField(_("办理时间"), max_length=120)
    hours_en = models.CharField(_("办理时间(英文)"), max_length=160, blank=True)
    time_limit = models.CharField(_("办理时限"), max_length=60, blank=True)
    time_limit_en = models.CharField(_("办理时限(英文)"), max_length=80, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")

    def __str__(self) -> str:
        return self.name


class GuideQuestion(models.Model):
    """A question of the guided finder (智能导办); ``root`` questions start it."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    text = models.CharField(_("问题"), max_length=200)
    text_en = models.CharField(_("问题(英文)"), max_length=250)
    root = models.BooleanField(_("起始问题"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("导办问题")
        verbose_name_plural = _("导办问题")

    def __str__(self) -> str:
        return self.text


class GuideOption(models.Model):
    """An answer to a guide question: leads to a further question or to an item."""

    question = models.ForeignKey(GuideQuestion, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("选项"), max_length=100)
    label_en = models.CharField(_("选项(英文)"), max_length=150)
    next_question = models.ForeignKey(
        GuideQuestion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(ServiceItem, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "id"]
        verbose_name = _("导办选项")
        verbose_name_plural = _("导办选项")
        constraints = [
            models.CheckConstraint(
                name="guideoption_leads_somewhere",
                condition=(Q(next_question__isnull=False) & Q(item__isnull=True))
                | (Q(next_question__isnull=True) & Q(item__isnull=False)),
            ),
        ]
