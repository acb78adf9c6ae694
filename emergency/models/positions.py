"""The AVL history: every position report of every unit, as received."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import BrinIndex
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emergency.live.choices import PositionSource


class PositionReport(models.Model):
    """One position fix of a unit (time of the fix, where, speed, heading),
    who sent it and how.  Written in bulk (COPY) by
    :func:`emergency.live.ingest.positions_ingest`, kept for
    ``POSITION_RETENTION_S`` and purged by time of receipt.  Reports that
    arrive out of order are kept too; only the newest moves the unit
    (``Unit.last_position``)."""

    id = models.BigAutoField(primary_key=True)
    unit = models.ForeignKey("emergency.Unit", on_delete=models.CASCADE, related_name="position_reports",
                             db_index=False, verbose_name=_("应急力量"))
    at = models.DateTimeField(_("定位时间"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    # No spatial index: the history is read by unit and time, and a GiST
    # index would cost every one of thousands of inserts a second.
    geom = models.PointField(_("位置"), srid=4326, spatial_index=False)
    speed_kmh = models.FloatField(_("速度(km/h)"), null=True, blank=True)
    heading = models.FloatField(_("航向(度)"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=PositionSource.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("上报账号"))

    class Meta:
        ordering = ["unit", "at", "id"]
        verbose_name = _("定位记录")
        verbose_name_plural = _("定位记录")
        indexes = [
            models.Index(fields=["unit", "at"], name="positionreport_unit_at"),
            BrinIndex(fields=["received_at"], name="positionreport_received_brin"),
        ]
        constraints = [
            models.CheckConstraint(
                name="positionreport_heading_range",
                condition=Q(heading__isnull=True) | (Q(heading__gte=0) & Q(heading__lt=360)),
            ),
            models.CheckConstraint(
                name="positionreport_speed_range",
                condition=Q(speed_kmh__isnull=True) | (Q(speed_kmh__gte=0) & Q(speed_kmh__lte=1000)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} @ {self.at:%H:%M:%S}"
