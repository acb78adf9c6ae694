from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import PlacementSource

from .base import SourcedModel


class BimModel(SourcedModel):
    """A BIM building from an IFC file, placed in the city.

    ``(source, source_id)`` is the file's IfcProject GlobalId (a re-import of
    the same project replaces the model and its elements).  ``footprint`` is
    the union of its elements' plan outlines; ``height`` from the lowest to
    the highest element; ``base_elevation`` the orthometric height of the
    model's z = 0.  ``placement`` records which source placed it and where
    (:meth:`cim.bim.placement.Placement.report`).  ``replaces`` (the reverse of
    :attr:`Building.bim_model`) is the city building it stands for, whose
    LoD1/LoD2 shell the city tiles then leave out: the link is a column of the
    building, so that linking, unlinking and deleting a model change the
    building's row and are kept in its history.
    """

    name = models.CharField(_("名称"), max_length=200, blank=True)
    file_name = models.CharField(_("文件"), max_length=255)
    schema = models.CharField(_("IFC 版本"), max_length=16)
    footprint = models.MultiPolygonField(_("基底轮廓"), srid=4326)
    height = models.FloatField(_("高度(米)"))
    base_elevation = models.FloatField(_("基底高程(米)"))
    storeys = models.JSONField(_("楼层"), default=list, blank=True)
    placement_source = models.CharField(_("定位来源"), max_length=24, choices=PlacementSource.choices)
    placement = models.JSONField(_("定位"), default=dict)
    tiles_version = models.CharField(_("瓦片版本"), max_length=32, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("BIM 建筑")
        verbose_name_plural = _("BIM 建筑")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="bimmodel_source_key"),
            models.CheckConstraint(
                name="bimmodel_height_range", condition=Q(height__gt=0) & Q(height__lte=1000)
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.file_name

    @property
    def replaces_id(self) -> int | None:
        """The id of the city building this model replaces, if any."""
        building = getattr(self, "replaces", None)  # the reverse one-to-one: None when unlinked
        return None if building is None else building.pk


class BimElement(models.Model):
    """One element of a BIM building: its IFC identity and attributes, its
    property sets (jsonb) and its plan outline and height range (PostGIS)."""

    model = models.ForeignKey(
        BimModel, on_delete=models.CASCADE, related_name="elements", verbose_name=_("BIM 建筑")
    )
    global_id = models.CharField(_("GlobalId"), max_length=22, db_collation="C")
    ifc_class = models.CharField(_("IFC 类型"), max_length=64)
    storey = models.CharField(_("楼层"), max_length=200, blank=True)
    name = models.CharField(_("名称"), max_length=255, blank=True)
    type_name = models.CharField(_("构件类型"), max_length=255, blank=True)
    material = models.CharField(_("材料"), max_length=500, blank=True)
    psets = models.JSONField(_("属性集"), default=dict, blank=True)
    outline = models.PolygonField(_("平面轮廓"), srid=4326, null=True, blank=True)
    z_min = models.FloatField(_("底部高程(米)"), null=True, blank=True)
    z_max = models.FloatField(_("顶部高程(米)"), null=True, blank=True)

    class Meta:
        verbose_name = _("BIM 构件")
        verbose_name_plural = _("BIM 构件")
        constraints = [
            models.UniqueConstraint(fields=["model", "global_id"], name="bimelement_model_global_id"),
        ]
        indexes = [
            models.Index(fields=["model", "ifc_class"], name="bimelement_class"),
            models.Index(fields=["model", "storey"], name="bimelement_storey"),
            GinIndex(fields=["psets"], name="bimelement_psets"),
        ]

    def __str__(self) -> str:
        return f"{self.ifc_class} {self.global_id}"
