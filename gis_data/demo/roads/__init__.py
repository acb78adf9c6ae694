"""The road network of the demo city.

Streets follow the valleys: parallels at fixed offsets from the valley axis,
cross streets along its normals, riverside roads on both banks, arterials
named after the plan, finer lanes (巷) in the old towns, bridges where a
street crosses water, one one-way pair (民主路 / 解放路).  The lines are noded
into a routing graph and only its largest strongly connected component is
kept.  Metric coordinates (EPSG:4544).  Pure: no Django.
"""

from __future__ import annotations

import shapely

from ..rivers import Valleys
from .base import ONEWAY_LANES, ROAD_CLASSES, RoadNetwork, SourceLine
from .graph import MIN_PIECE_M, node_lines
from .lines import main_axis_lines, tributary_lines

__all__ = ["ONEWAY_LANES", "ROAD_CLASSES", "RoadNetwork", "build_roads"]


def build_roads(valleys: Valleys, road_space, water, districts: dict[str, shapely.Geometry],
                seed: int) -> RoadNetwork:
    """Generate, node and prune the street network inside ``road_space``."""
    main, wei = valleys.main, valleys.wei_upper
    floor_main = main.floor_polygon()
    floor_wei = wei.floor_polygon()
    inner = road_space.buffer(-10)
    corridor = water.buffer(120)
    lines = []
    lines += main_axis_lines(main, seed, corridor, inner.intersection(floor_main.buffer(40)))
    wei_domain = inner.intersection(floor_wei.difference(floor_main.buffer(-60)))
    lines += main_axis_lines(wei, seed, corridor, wei_domain)
    taken = floor_main.union(floor_wei)
    for trib in valleys.tributaries:
        domain = inner.intersection(trib.floor_polygon().difference(taken.buffer(-60)))
        lines += tributary_lines(trib, seed, water, domain)
    for ln in lines:
        ln.geom = ln.geom.intersection(inner)
        if not ln.bridge_ok:
            ln.geom = ln.geom.difference(water.buffer(6))
    lines = explode(lines)
    return node_lines(lines, water, districts, seed)


def explode(lines: list[SourceLine]) -> list[SourceLine]:
    out = []
    for ln in lines:
        for part in shapely.get_parts(ln.geom):
            if part.geom_type == "LineString" and part.length >= MIN_PIECE_M:
                out.append(SourceLine(part, ln.name, ln.road_class, ln.oneway, ln.kind,
                                      ln.bridge_ok, ln.group, ln.district))
    return out
