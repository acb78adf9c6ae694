from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class BuildingVersion(models.Model):
    """A past version of a building (the 3DCityDB v5 model): its attributes
    and geometry as they were from ``valid_from`` (its creation) until
    ``valid_to`` (its termination), and the change that ended it — an
    import run, or a user with a reason — and how (updated or deleted).

    The current version is the ``Building`` row itself, valid from the
    ``valid_to`` of its last past version (or its ``created_at``).  Rows
    here are written by PostgreSQL statement triggers on ``cim_building``
    (migration ``0023_history``) in the transaction of the change, whatever
    path made it: the importers' COPY/upserts, the edit service, BIM
    replacement, deletion.  A first import (COPY into an empty table) fires
    no trigger at all: there is no past to keep.
    """

    class Operation(models.TextChoices):
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")

    # No foreign key: the building may since have been deleted.
    building_id = models.BigIntegerField(_("建筑编号"))
    source = models.CharField(_("来源"), max_length=64, db_collation="C")
    source_id = models.CharField(_("来源编号"), max_length=128, db_collation="C")
    valid_from = models.DateTimeField(_("生效时间"))
    valid_to = models.DateTimeField(_("终止时间"))
    operation = models.CharField(_("终止方式"), max_length=8, choices=Operation.choices)
    # The change that terminated this version.
    changed_run = models.ForeignKey(
        "cim.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, verbose_name=_("终止它的导入"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, verbose_name=_("终止它的用户"),
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    # The version's own state (as the Building row was).
    import_run = models.ForeignKey(
        "cim.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )
    synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    name = models.CharField(max_length=200, blank=True)
    footprint = models.MultiPolygonField(srid=4326)
    centroid = models.PointField(srid=4326, spatial_index=False)
    height = models.FloatField()
    height_source = models.CharField(max_length=16)
    floors = models.PositiveSmallIntegerField(null=True, blank=True)
    use = models.CharField(max_length=16)
    year_built = models.PositiveSmallIntegerField(null=True, blank=True)
    base_elevation = models.FloatField(null=True, blank=True)
    admin_area_id = models.BigIntegerField(null=True, blank=True)
    lod = models.PositiveSmallIntegerField(default=1)
    solid = models.JSONField(null=True, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    bim_model_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["building_id", "valid_from", "id"]
        verbose_name = _("建筑历史版本")
        verbose_name_plural = _("建筑历史版本")
        indexes = [
            models.Index(fields=["building_id", "valid_to"], name="bversion_building"),
            models.Index(fields=["valid_from", "valid_to"], name="bversion_interval"),
            models.Index(fields=["changed_run"], name="bversion_run"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id} [{self.valid_from} – {self.valid_to})"
