from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CatalogueVersion(models.Model):
    """One saved state of the service catalogue (服务事项目录): the service
    items, the halls' opening hours and the guided questions (智能导办), as
    one JSON document.  Every save of the editor is a new version, never an
    edit of an old one; publishing a version writes it into the live tables
    (:class:`ServiceItem`, :class:`GuideQuestion`, :class:`GuideOption`,
    ``ServicePoint.opening_hours``) the scan page reads.  At most one version
    is the published one."""

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    data = models.JSONField(_("目录内容"))
    changes = models.JSONField(_("变更摘要"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("基于版本"))
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_label = models.CharField(_("保存人"), max_length=150, blank=True)
    published = models.BooleanField(_("现行版本"), default=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_label = models.CharField(_("发布人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("服务目录版本")
        verbose_name_plural = _("服务目录版本")
        constraints = [
            models.UniqueConstraint(fields=["published"], condition=Q(published=True),
                                    name="catalogueversion_one_published"),
            models.CheckConstraint(name="catalogueversion_number_positive",
                                   condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"
