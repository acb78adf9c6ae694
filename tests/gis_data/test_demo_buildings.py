"""Buildings of the demo city: typologies with plausible floors, heights and
years, on the terrain, clear of each other, the roads and the water, facing
south, inside the real districts."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gis_data import tianshui
from gis_data.demo.buildings import STOREY_M

FLOORS = {"walkup": (5, 7), "oldtown": (1, 3), "village": (2, 4)}
YEARS = {"oldtown": (1920, 2000), "village": (1985, 2019), "walkup": (1978, 2010),
         "tower": (2005, 2024), "industrial": (1958, 2023)}


def _column(city, key):
    return city.buildings[key]


def test_no_building_overlaps_another_a_road_or_water(old_town, seam):
    for city in (old_town, seam):
        geoms = np.array(city.buildings["geom"], dtype=object)
        a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        assert np.all(a == b), "no two footprints may touch"
        roads = np.array([e["geom"] for e in city.road_edges], dtype=object)
        assert shapely.STRtree(roads).query(geoms, predicate="intersects").size == 0
        water = shapely.union_all([w["geom"] for w in city.waterways])
        assert not shapely.intersects(geoms, water).any()


def test_floors_heights_and_years_fit_the_typology(old_town, seam):
    seen = set()
    for city in (old_town, seam):
        b = city.buildings
        for floors, height, use, year, tags in zip(b["floors"], b["height"], b["use"], b["year"],
                                                  b["tags"], strict=True):
            typ = tags["typology"]
            seen.add(typ)
            if typ in FLOORS and use == "residential":
                lo, hi = FLOORS[typ]
                assert lo <= floors <= hi, (typ, floors)
            if typ == "tower" and use == "residential":
                assert 15 <= floors <= 33
            if typ == "industrial" and use == "industrial":
                assert floors <= 2 and height >= 8.0  # large low sheds
            if typ in YEARS:
                lo, hi = YEARS[typ]
                assert lo <= year <= hi, (typ, year)
            storey = height / floors
            expected = {"oldtown": STOREY_M["oldtown"], "village": STOREY_M["village"]}.get(
                typ, STOREY_M.get(use))
            if expected and use not in ("industrial",) and typ not in ("market",):
                assert storey == pytest.approx(expected, abs=0.06), (typ, use, storey)
    assert {"oldtown", "walkup", "tower"} <= seen


def test_towers_are_tall_and_old_town_is_low(old_town):
    b = old_town.buildings
    typ = np.array([t["typology"] for t in b["tags"]])
    height = np.array(b["height"])
    assert height[typ == "tower"].max() >= 18 * 2.9
    assert height[typ == "oldtown"].max() <= 3 * 3.3 + 0.01
    assert (typ == "oldtown").sum() > 500


def test_walkup_slabs_run_east_west(old_town):
    b = old_town.buildings
    for geom, tags, use in zip(b["geom"], b["tags"], b["use"], strict=True):
        if tags["typology"] != "walkup" or use != "residential":
            continue
        rect = np.asarray(shapely.oriented_envelope(geom).exterior.coords)
        edges = np.diff(rect[:3], axis=0) * [np.cos(np.radians(34.57)), 1.0]
        long_edge = edges[np.argmax(np.hypot(*edges.T))]
        angle = np.degrees(np.arctan2(long_edge[1], long_edge[0])) % 180
        assert min(angle, 180 - angle) <= 16.0


def test_buildings_stand_on_the_terrain_not_on_slopes(old_town):
    grid = old_town.terrain.grid
    b = old_town.buildings
    for geom, base in zip(b["geom"][::7], b["base_elevation"][::7], strict=True):
        xy = shapely.get_coordinates(geom)
        z = grid.sample(xy[:, 0], xy[:, 1])
        assert base == pytest.approx(z.min(), abs=0.5)
        assert z.max() - z.min() <= 3.0
        assert 1100 <= base <= 1200


def test_notable_buildings_have_names(old_town):
    names = [n for n, t in zip(old_town.buildings["name"], old_town.buildings["tags"], strict=True)
             if t["typology"] in ("primary_school", "middle_school", "hospital", "government")]
    assert names and all(names)
    assert any(n.endswith("小学教学楼") or "中学" in n for n in names)


def test_school_fields_are_left_open(old_town):
    fields = [s["geom"] for s in old_town.open_spaces if s["kind"] == "school_field"]
    assert fields
    geoms = np.array(old_town.buildings["geom"], dtype=object)
    tree = shapely.STRtree(geoms)
    assert all(tree.query(f, predicate="intersects").size == 0 for f in fields)


def test_urban_fabric_stays_in_the_real_districts(seam):
    real = tianshui.boundaries()
    b = seam.buildings
    by_district = {tianshui.QINZHOU: 0, tianshui.MAIJI: 0}
    for geom, code in zip(b["geom"], b["community"], strict=True):
        district = code[:6]
        assert real[district].contains(geom), code
        by_district[district] += 1
    assert all(v > 100 for v in by_district.values()), by_district
