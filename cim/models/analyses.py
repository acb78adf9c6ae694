"""Planning analyses (智能决策): height-control zones and saved analysis runs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HeightDatum(models.TextChoices):
    GROUND = "ground", _("距室外地面")
    ABSOLUTE = "absolute", _("绝对高程(1985国家高程基准)")


class LimitShape(models.TextChoices):
    FLAT = "flat", _("水平面")
    PLANE = "plane", _("倾斜面")


class HeightZone(models.Model):
    """A height-control zone (控高区): a polygon and the highest a building
    inside it may reach.

    A flat limit is one number.  A plane limit (an approach surface, a view
    corridor) rises from ``max_height`` at ``plane_origin`` by ``plane_slope``
    metres per metre along ``plane_azimuth`` (degrees clockwise from north),
    measured in the city's metric CRS.  ``datum`` says what the numbers are
    heights above: the building's own ground, or the national 1985 datum.
    """

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类别"), max_length=64, blank=True)
    geom = models.MultiPolygonField(_("范围"), srid=4326)
    datum = models.CharField(_("高程基准"), max_length=12, choices=HeightDatum.choices)
    shape = models.CharField(_("限高面"), max_length=8, choices=LimitShape.choices,
                             default=LimitShape.FLAT)
    max_height = models.FloatField(_("限高(米)"))
    plane_origin = models.PointField(_("倾斜面起点"), srid=4326, null=True, blank=True)
    plane_azimuth = models.FloatField(_("倾斜方向(度)"), null=True, blank=True)
    plane_slope = models.FloatField(_("坡度(米/米)"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("控高区")
        verbose_name_plural = _("控高区")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(name="heightzone_limit_range",
                                   condition=Q(max_height__gte=-500) & Q(max_height__lte=9000)),
            models.CheckConstraint(
                name="heightzone_plane_complete",
                condition=Q(shape="flat") | (Q(plane_origin__isnull=False)
                                             & Q(plane_azimuth__gte=0) & Q(plane_azimuth__lt=360)
                                             & Q(plane_slope__gte=0) & Q(plane_slope__lte=1)),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AnalysisKind(models.TextChoices):
    HEIGHT_LIMIT = "height_limit", _("控高分析")
    FLOOD = "flood", _("淹没分析")
    SUNLIGHT = "sunlight", _("日照分析")
    SCHEME_COMPARE = "scheme_compare", _("方案比对")
    VIEWSHED = "viewshed", _("可视域分析")
    LINE_OF_SIGHT = "line_of_sight", _("通视分析")


class AnalysisRun(models.Model):
    """One analysis as it was run: who ran it, on what, when, against which
    state of the city model, and its result (kept so that a link reopens it)."""

    kind = models.CharField(_("分析类型"), max_length=24, choices=AnalysisKind.choices)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    params = models.JSONField(_("参数"), default=dict)
    summary = models.JSONField(_("摘要"), default=dict)
    result = models.JSONField(_("结果"), default=dict)
    model_version = models.CharField(_("城市模型版本"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("分析结果")
        verbose_name_plural = _("分析结果")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @staticmethod
    def current_model_version() -> str:
        """Which state of the city model a result is computed on now: the last
        import run and the buildings' count and last change (kept on every run
        as ``model_version``)."""
        from django.db import connection

        from cim.models.imports import ImportRun

        last_run = ImportRun.objects.order_by("-pk").values_list("pk", flat=True).first()
        with connection.cursor() as cur:
            cur.execute("SELECT max(updated_at), count(*) FROM cim_building")
            changed, count = cur.fetchone()
        when = changed.isoformat(timespec="seconds") if changed else "-"
        return f"run {last_run or 0} · {count} bldg · {when}"
