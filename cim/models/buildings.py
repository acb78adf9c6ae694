from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import BuildingUse, HeightSource

from .base import SourcedModel


class Building(SourcedModel):
    """A building: its footprint, height and use, set on the terrain.

    ``base_elevation`` is the orthometric (EGM96) ground height under the
    footprint in metres; ``solid`` keeps an LoD1/LoD2 boundary representation
    from a 3D import (lon/lat/orthometric z vertices and faces as rings of
    vertex indices) for the 3D Tiles builder.
    """

    name = models.CharField(_("名称"), max_length=200, blank=True)
    footprint = models.MultiPolygonField(_("基底轮廓"), srid=4326)
    # No spatial index: buildings are found by their footprint (whose index
    # answers every bbox and point query); the centroid is read with the row.
    centroid = models.PointField(_("中心点"), srid=4326, spatial_index=False)
    height = models.FloatField(_("高度(米)"))
    height_source = models.CharField(
        _("高度来源"), max_length=16, choices=HeightSource.choices, default=HeightSource.MEASURED
    )
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    use = models.CharField(
        _("用途"), max_length=16, choices=BuildingUse.choices, default=BuildingUse.OTHER
    )
    year_built = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    base_elevation = models.FloatField(_("基底高程(米)"), null=True, blank=True)
    admin_area = models.ForeignKey(
        "cim.AdminArea", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="buildings", verbose_name=_("所在区划"),
    )
    lod = models.PositiveSmallIntegerField(_("细节层次"), default=1)
    solid = models.JSONField(_("三维实体"), null=True, blank=True)
    tags = models.JSONField(_("原始属性"), default=dict, blank=True)
    # The BIM model that replaces this building in the city (its LoD1/LoD2
    # shell is then left out of the tiles); a column of the building so that
    # the history triggers keep every link, unlink and model deletion.
    bim_model = models.OneToOneField(
        "cim.BimModel", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="replaces", verbose_name=_("替代它的 BIM 建筑"),
    )

    class Meta:
        verbose_name = _("建筑")
        verbose_name_plural = _("建筑")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="building_source_key"),
            models.CheckConstraint(
                name="building_height_range", condition=Q(height__gt=0) & Q(height__lte=1000)
            ),
            models.CheckConstraint(
                name="building_floors_range",
                condition=Q(floors__isnull=True) | (Q(floors__gte=1) & Q(floors__lte=200)),
            ),
            models.CheckConstraint(
                name="building_year_range",
                condition=Q(year_built__isnull=True)
                | (Q(year_built__gte=1000) & Q(year_built__lte=2100)),
            ),
            models.CheckConstraint(name="building_lod_range", condition=Q(lod__in=[0, 1, 2, 3])),
        ]
        indexes = [models.Index(fields=["use"])]

    def __str__(self) -> str:
        return self.name or f"{self.source}:{self.source_id}"
