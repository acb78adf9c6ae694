"""The look of the basemap: a light paper map in the manner of Chinese
government web maps (天地图 vector), so that the 3D city and the emergency
layers drawn over it stay the strongest things on screen."""

from __future__ import annotations

from dataclasses import dataclass

STYLE_VERSION = "1"  # bump when the look changes: a rebuild then redraws every tile

LAND = (243, 240, 233)
WATER = (158, 199, 235)
WATER_EDGE = (120, 170, 216)
WATER_TEXT = (40, 98, 160)
HALO = (255, 255, 255)

# Land use, from the buildings' use (cim.choices.BuildingUse).
LAND_USE = {
    "residential": (234, 214, 184),
    "commercial": (240, 183, 160),
    "office": (214, 196, 230),
    "public": (190, 214, 238),
    "education": (242, 226, 150),
    "healthcare": (240, 190, 190),
    "industrial": (214, 200, 214),
    "religious": (222, 205, 170),
    "transport": (205, 205, 210),
    "agricultural": (206, 226, 170),
    "other": (222, 214, 205),
}
BUILDING_EDGE_DARKEN = 0.82  # outlines from z16, a shade of the fill


@dataclass(frozen=True)
class RoadStyle:
    min_zoom: int
    width16: float  # pixels at zoom 16
    fill: tuple[int, int, int]
    casing: tuple[int, int, int]
    label_zoom: int  # names from this zoom
    rank: int  # drawn and labelled in this order (lower first for drawing)


_MAJOR_CASE = (200, 140, 60)
_MINOR_CASE = (190, 190, 190)
ROADS = {
    "motorway": RoadStyle(10, 11, (247, 180, 90), _MAJOR_CASE, 12, 9),
    "trunk": RoadStyle(10, 10, (250, 196, 110), _MAJOR_CASE, 12, 8),
    "primary": RoadStyle(10, 9, (253, 214, 140), _MAJOR_CASE, 13, 7),
    "secondary": RoadStyle(11, 8, (255, 236, 170), (205, 170, 100), 14, 6),
    "link": RoadStyle(13, 5, (255, 236, 170), (205, 170, 100), 17, 5),
    "tertiary": RoadStyle(12, 6.5, (255, 255, 255), _MINOR_CASE, 15, 4),
    "unclassified": RoadStyle(13, 5, (255, 255, 255), _MINOR_CASE, 16, 3),
    "residential": RoadStyle(13, 5, (255, 255, 255), _MINOR_CASE, 16, 3),
    "service": RoadStyle(15, 3, (255, 255, 255), _MINOR_CASE, 17, 2),
    "pedestrian": RoadStyle(15, 3, (245, 240, 250), (200, 190, 210), 17, 1),
    "track": RoadStyle(14, 2.5, (236, 222, 196), (190, 170, 140), 17, 0),
}
DEFAULT_ROAD = ROADS["unclassified"]
CLOSED_ROAD = (230, 80, 80)
ROAD_TEXT = (60, 60, 60)


def road_width(style: RoadStyle, z: int) -> float:
    """Pixels at zoom ``z``: halves about every 1.4 zoom levels out from 16, never below 0.8."""
    return max(0.8, style.width16 * 2 ** ((z - 16) * 0.7))


@dataclass(frozen=True)
class AreaStyle:
    label_zooms: tuple[int, int]
    font: int
    text: tuple[int, int, int]
    line: tuple[int, int, int] | None
    line_width: float
    dash: tuple[float, float]
    line_min_zoom: int


ADMIN = {
    "district": AreaStyle((10, 13), 18, (110, 60, 120), (170, 110, 170), 2.0, (10, 4), 10),
    "street": AreaStyle((12, 15), 15, (120, 80, 120), (190, 140, 190), 1.5, (6, 4), 12),
    "community": AreaStyle((14, 17), 13, (90, 90, 110), (200, 170, 200), 1.0, (3, 3), 14),
}
ROAD_FONT = 12
MAJOR_ROAD_FONT = 13
WATER_FONT = 13
LABEL_REPEAT_PX = 480  # a road's name again after this much road
