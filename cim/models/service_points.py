from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from cim.choices import ServiceCategory

from .base import SourcedModel


class ServicePoint(SourcedModel):
    """A point of interest that serves the public: a government service hall,
    hospital, fire or police station, school, shelter…"""

    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    category = models.CharField(_("类别"), max_length=32, choices=ServiceCategory.choices)
    geom = models.PointField(_("位置"), srid=4326)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    opening_hours = models.CharField(_("办公时间"), max_length=120, blank=True)
    admin_area = models.ForeignKey(
        "cim.AdminArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="service_points"
    )
    capacity = models.PositiveIntegerField(_("容量"), null=True, blank=True)
    tags = models.JSONField(_("原始属性"), default=dict, blank=True)

    class Meta:
        verbose_name = _("服务网点")
        verbose_name_plural = _("服务网点")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="servicepoint_source_key"),
        ]
        indexes = [models.Index(fields=["category"])]

    def __str__(self) -> str:
        return self.name
