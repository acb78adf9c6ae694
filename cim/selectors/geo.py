"""PostGIS functions Django has no wrapper for, and the precision of map output."""

from __future__ import annotations

from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import GeoFunc

__all__ = ["MAP_DECIMALS", "LineInterpolatePoint", "SimplifyPreserveTopology"]

MAP_DECIMALS = 6  # ≈ 0.1 m: enough for drawing, half the bytes of full precision


class SimplifyPreserveTopology(GeoFunc):
    """PostGIS ``ST_SimplifyPreserveTopology(geom, tolerance)``."""

    function = "ST_SimplifyPreserveTopology"
    geom_param_pos = (0,)

    @property
    def output_field(self):
        return self.source_expressions[0].output_field


class LineInterpolatePoint(GeoFunc):
    """PostGIS ``ST_LineInterpolatePoint(line, fraction)``."""

    function = "ST_LineInterpolatePoint"
    output_field = PointField(srid=4326)
    geom_param_pos = (0,)
