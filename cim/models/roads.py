from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import RoadClass

from .base import SourcedModel


class RoadNode(SourcedModel):
    """A junction or end of the road network (a vertex of the routing graph)."""

    geom = models.PointField(_("位置"), srid=4326)

    class Meta:
        verbose_name = _("路网节点")
        verbose_name_plural = _("路网节点")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="roadnode_source_key"),
        ]


class RoadSegment(SourcedModel):
    """A road between two junctions (an edge of the routing graph).

    The geometry runs from ``from_node`` to ``to_node``; a one-way segment is
    drivable only in that direction.  ``closed`` is the permanent state of the
    road; temporary closures by incidents live in the emergency app.
    """

    name = models.CharField(_("道路名称"), max_length=200, blank=True)
    geom = models.LineStringField(_("几何"), srid=4326)
    from_node = models.ForeignKey(RoadNode, on_delete=models.PROTECT, related_name="+")
    to_node = models.ForeignKey(RoadNode, on_delete=models.PROTECT, related_name="+")
    road_class = models.CharField(
        _("道路等级"), max_length=16, choices=RoadClass.choices, default=RoadClass.UNCLASSIFIED
    )
    speed_kmh = models.FloatField(_("限速(公里/小时)"))
    speed_from_tag = models.BooleanField(_("限速来自数据"), default=False)
    oneway = models.BooleanField(_("单行"), default=False)
    lanes = models.PositiveSmallIntegerField(_("车道数"), null=True, blank=True)
    closed = models.BooleanField(_("封闭"), default=False)
    bridge = models.BooleanField(_("桥梁"), default=False)
    tunnel = models.BooleanField(_("隧道"), default=False)
    length_m = models.FloatField(_("长度(米)"))
    tags = models.JSONField(_("原始属性"), default=dict, blank=True)

    class Meta:
        verbose_name = _("路段")
        verbose_name_plural = _("路段")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="roadsegment_source_key"),
            models.CheckConstraint(
                name="roadsegment_speed_range", condition=Q(speed_kmh__gt=0) & Q(speed_kmh__lte=200)
            ),
            models.CheckConstraint(name="roadsegment_length_positive", condition=Q(length_m__gte=0)),
            models.CheckConstraint(
                name="roadsegment_lanes_range",
                condition=Q(lanes__isnull=True) | (Q(lanes__gte=1) & Q(lanes__lte=16)),
            ),
        ]
        indexes = [models.Index(fields=["road_class"])]

    def __str__(self) -> str:
        return self.name or f"{self.source}:{self.source_id}"
