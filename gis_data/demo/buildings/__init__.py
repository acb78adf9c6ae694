"""Buildings of the demo city, laid out parcel by parcel by typology.

- old town (老城): courtyard houses (四合院, 三合院, L-shaped and single rows),
  1–3 floors, on lots of about 17 × 22 m along narrow lanes;
- urban villages (城中村): self-built houses of 2–4 floors on small lots;
- residential compounds (小区) of 5–7 storey walk-up slabs in rows with the
  long axis east-west, rows spaced for sunlight (1.25 × the height);
- newer compounds of 18–33 storey point and slab towers, staggered, with
  two-storey shops along one edge;
- centres with malls and office towers; industrial parcels with large low
  sheds; schools with their sports field left open; hospitals, government
  compounds and markets.

Layouts are built on a lattice per parcel, so buildings never overlap; every
footprint lies inside its parcel's setback line.  Metric coordinates
(EPSG:4544).  Pure: no Django.
"""

from __future__ import annotations

import shapely

from ..blocks import Parcel
from .base import SOUTH_FACING_MAX, STOREY_M, Buildings, Frame
from .housing import layout_oldtown, layout_tower, layout_village, layout_walkup
from .sites import (
    layout_commercial,
    layout_government,
    layout_hospital,
    layout_industrial,
    layout_market,
    layout_school,
)

__all__ = ["SOUTH_FACING_MAX", "STOREY_M", "Buildings", "Frame", "layout_all"]


def layout_all(parcels: list[Parcel], seed: int) -> tuple[Buildings, list]:
    """Buildings for every parcel, and the sports fields of the schools."""
    out = Buildings()
    fields: list = []
    industrial = [p.geom for p in parcels if p.typology == "industrial"]
    factory_zone = shapely.union_all(industrial).buffer(400) if industrial else shapely.Polygon()
    shapely.prepare(factory_zone)
    for i, p in enumerate(parcels):
        t = p.typology
        if t == "walkup":
            layout_walkup(p, i, out, seed, factory_zone.contains(p.geom.centroid))
        elif t == "tower":
            layout_tower(p, i, out, seed)
        elif t == "oldtown":
            layout_oldtown(p, i, out, seed)
        elif t == "village":
            layout_village(p, i, out, seed)
        elif t in ("commercial", "office"):
            layout_commercial(p, i, out, seed, office_only=t == "office")
        elif t == "industrial":
            layout_industrial(p, i, out, seed)
        elif t in ("primary_school", "middle_school"):
            layout_school(p, i, out, seed, fields)
        elif t == "hospital":
            layout_hospital(p, i, out, seed)
        elif t == "government":
            layout_government(p, i, out, seed)
        elif t == "market":
            layout_market(p, i, out, seed)
        # parks stay open
    return out, fields
