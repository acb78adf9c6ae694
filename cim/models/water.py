from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from cim.choices import WaterwayKind

from .base import SourcedModel


class Waterway(SourcedModel):
    """A river, stream or lake as a water area the 3D viewer can draw.

    ``geom`` is the water surface (a river's channel, a lake's shore);
    ``centreline`` the river's course downstream, where it has one.
    """

    name = models.CharField(_("名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=WaterwayKind.choices)
    geom = models.MultiPolygonField(_("水域范围"), srid=4326)
    centreline = models.LineStringField(_("中心线"), srid=4326, null=True, blank=True)
    tags = models.JSONField(_("原始属性"), default=dict, blank=True)

    class Meta:
        verbose_name = _("水系")
        verbose_name_plural = _("水系")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="waterway_source_key"),
        ]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self) -> str:
        return self.name or f"{self.source}:{self.source_id}"
