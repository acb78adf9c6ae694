"""Community areas: real names and codes, contiguous, grouped by street,
covering the urban fabric and containing their buildings."""

from __future__ import annotations

import numpy as np
import shapely

from gis_data import tianshui
from gis_data.demo import communities


def test_codes_and_names_are_the_real_ones(old_town, seam):
    divisions = tianshui.division_map()
    for city in (old_town, seam):
        assert city.communities
        for code, c in city.communities.items():
            assert divisions[code].level == "community"
            assert c["name"] == divisions[code].name
        for code, u in city.units.items():
            assert divisions[code].level == "street"
            assert u["name"] == divisions[code].name
    assert "620502001001" in old_town.communities  # 进步巷社区居委会, 大城街道


def test_every_building_lies_in_its_community(old_town, seam):
    for city in (old_town, seam):
        areas = {code: c["geom"] for code, c in city.communities.items()}
        for area in areas.values():
            shapely.prepare(area)
        for geom, code in zip(city.buildings["geom"], city.buildings["community"], strict=True):
            assert areas[code].covers(geom), code


def test_communities_are_contiguous_and_do_not_overlap(old_town):
    geoms = [c["geom"] for c in old_town.communities.values()]
    assert all(shapely.get_num_geometries(g) == 1 for g in geoms)
    total = sum(g.area for g in geoms)
    union = shapely.union_all(geoms)
    assert union.area == np.float64(union.area)
    assert (total - union.area) / total < 1e-4


def test_streets_are_unions_of_their_communities_and_contiguous(old_town):
    for code, unit in old_town.units.items():
        kids = [c["geom"] for k, c in old_town.communities.items() if k.startswith(code)]
        assert kids
        assert shapely.get_num_geometries(unit["geom"]) == 1
        assert unit["geom"].symmetric_difference(shapely.union_all(kids)).area < 1e-9


def test_areas_cover_the_urban_fabric(old_town):
    # Everything built on lies in a community, and the communities cover
    # (almost) all of the valley floor in the extent (km² from the generator).
    union_km2 = sum(c["geom"].area for c in old_town.communities.values())
    # degrees² → km² at 34.57 N
    km2 = union_km2 * (111.32 * np.cos(np.radians(34.57))) * 110.95
    assert km2 >= 0.95 * old_town.stats["fabric_km2"]


def test_contact_details_are_plausible(old_town):
    for c in old_town.communities.values():
        assert c["phone"].startswith("0938-") and len(c["phone"]) == 12
        assert c["office_address"].startswith("天水市秦州区")
        assert c["population"] > 0


def test_short_names():
    assert communities.short_name("进步巷社区居委会") == "进步巷"
    assert communities.short_name("张家村村委会") == "张家村"
    assert communities.short_name("大城街道") == "大城"
    assert communities.short_name("社棠镇") == "社棠"
