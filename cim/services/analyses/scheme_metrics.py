"""The planning indicators of a design scheme (pure: shapely, no Django).

All geometries in a metric CRS (metres).  Definitions as Chinese planning
practice states them (GB 50180-2018 居住区 and local 技术规定):

* 容积率 FAR = gross floor area (Σ footprint area × floors) / site area;
* 建筑密度 coverage = the area the buildings cover (union of footprints,
  within the site) / site area;
* 绿地率 green ratio = green area within the site / site area (only when green
  areas were given);
* 最大高度, number of buildings, floor area per use.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

__all__ = ["MetricBuilding", "scheme_indicators"]


@dataclass
class MetricBuilding:
    footprint: shapely.Geometry  # metres
    height: float
    floors: int
    use: str
    floors_estimated: bool = False


def scheme_indicators(site: shapely.Geometry, buildings: list[MetricBuilding],
                      green: shapely.Geometry | None = None) -> dict:
    """The indicators of a scheme; ratios are plain fractions (0.35 = 35 %)."""
    site_area = float(site.area)
    if site_area <= 0:
        raise ValueError("the site has no area")
    gfa_by_use: dict[str, float] = {}
    gfa = 0.0
    for b in buildings:
        floor_area = float(b.footprint.area) * b.floors
        gfa += floor_area
        gfa_by_use[b.use] = gfa_by_use.get(b.use, 0.0) + floor_area
    covered = shapely.union_all([b.footprint for b in buildings]) if buildings else shapely.Polygon()
    covered_area = float(shapely.intersection(covered, site).area)
    green_area = None if green is None else float(shapely.intersection(shapely.union_all(green), site).area)
    return {
        "site_area_m2": round(site_area, 2),
        "buildings": len(buildings),
        "gross_floor_area_m2": round(gfa, 2),
        "footprint_area_m2": round(covered_area, 2),
        "far": round(gfa / site_area, 4),
        "coverage": round(covered_area / site_area, 4),
        "green_area_m2": None if green_area is None else round(green_area, 2),
        "green_ratio": None if green_area is None else round(green_area / site_area, 4),
        "max_height_m": round(max((b.height for b in buildings), default=0.0), 2),
        "max_floors": max((b.floors for b in buildings), default=0),
        "floors_estimated": sum(1 for b in buildings if b.floors_estimated),
        "gfa_by_use": {use: round(area, 2) for use, area in sorted(gfa_by_use.items())},
    }
