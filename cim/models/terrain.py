from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from cim.choices import VerticalDatum


class DemRaster(models.Model):
    """A registered digital elevation model, stored as a Cloud-Optimised
    GeoTIFF under ``MEDIA_ROOT/dem`` and read with rasterio.

    Heights are orthometric (EGM96) unless ``vertical_datum`` says ellipsoid.
    Where several rasters cover a point, the one with the highest priority
    (then the finest resolution) answers.
    """

    name = models.CharField(_("名称"), max_length=200)
    path = models.CharField(_("文件"), max_length=500, unique=True)
    source_name = models.CharField(_("原始文件"), max_length=500)
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    crs = models.CharField(_("坐标系"), max_length=64)
    vertical_datum = models.CharField(
        _("高程基准"), max_length=16, choices=VerticalDatum.choices, default=VerticalDatum.EGM96
    )
    bounds = models.PolygonField(_("范围"), srid=4326)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    resolution_m = models.FloatField(_("分辨率(米)"))
    nodata = models.FloatField(null=True, blank=True)
    min_elevation = models.FloatField(null=True, blank=True)
    max_elevation = models.FloatField(null=True, blank=True)
    priority = models.SmallIntegerField(_("优先级"), default=0)
    synthetic = models.BooleanField(_("合成数据"), default=False)
    import_run = models.ForeignKey(
        "cim.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-priority", "resolution_m"]
        verbose_name = _("数字高程模型")
        verbose_name_plural = _("数字高程模型")

    def __str__(self) -> str:
        return self.name
