"""Design schemes (设计方案) for a site, kept apart from the city model: a
planner uploads one or more, compares their indicators and looks at them in
3D in place of the buildings that stand on the site today."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import BuildingUse


class DesignScheme(models.Model):
    """One design scheme: the site (用地红线), the planned buildings
    (:class:`SchemeBuilding`), optional green areas and the indicators
    computed when it was uploaded (``indicators``, see
    :func:`cim.services.analyses.scheme_metrics.scheme_indicators`)."""

    name = models.CharField(_("方案名称"), max_length=200)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    site = models.PolygonField(_("用地范围"), srid=4326)
    green = models.MultiPolygonField(_("绿地"), srid=4326, null=True, blank=True)
    source_name = models.CharField(_("方案文件"), max_length=200, blank=True)
    source_format = models.CharField(_("文件格式"), max_length=16)
    indicators = models.JSONField(_("指标"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("设计方案")
        verbose_name_plural = _("设计方案")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class SchemeBuilding(models.Model):
    """A planned building of a scheme (never a row of ``cim_building``).
    ``base_elevation`` is the orthometric (EGM96) ground under it, from the
    city's DEM, as for the city's buildings."""

    scheme = models.ForeignKey(DesignScheme, on_delete=models.CASCADE, related_name="buildings")
    source_id = models.CharField(_("来源编号"), max_length=128)
    name = models.CharField(_("名称"), max_length=200, blank=True)
    footprint = models.MultiPolygonField(_("基底轮廓"), srid=4326)
    centroid = models.PointField(_("中心点"), srid=4326, spatial_index=False)
    height = models.FloatField(_("高度(米)"))
    floors = models.PositiveSmallIntegerField(_("层数"))
    floors_estimated = models.BooleanField(_("层数按高度推算"), default=False)
    use = models.CharField(_("用途"), max_length=16, choices=BuildingUse.choices, default=BuildingUse.OTHER)
    base_elevation = models.FloatField(_("基底高程(米)"), null=True, blank=True)

    class Meta:
        verbose_name = _("方案建筑")
        verbose_name_plural = _("方案建筑")
        ordering = ["scheme", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "source_id"], name="schemebuilding_source_key"),
            models.CheckConstraint(name="schemebuilding_height_range",
                                   condition=Q(height__gt=0) & Q(height__lte=1000)),
            models.CheckConstraint(name="schemebuilding_floors_range",
                                   condition=Q(floors__gte=1) & Q(floors__lte=200)),
        ]

    def __str__(self) -> str:
        return self.name or self.source_id
