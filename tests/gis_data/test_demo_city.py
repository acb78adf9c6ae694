"""The whole generator: reproducible from the seed, and the full plan has
the size the demo promises (its full build is measured by scripts/bench_demo.py)."""

from __future__ import annotations

import shapely

from gis_data import tianshui
from gis_data.demo import blocks, city, plan, rivers
from gis_data.demo.geo import geoms_to_metric

from .conftest import OLD_TOWN


def test_same_seed_same_city_other_seed_other_city(old_town):
    again = city.generate(seed=plan.DEFAULT_SEED, extent=OLD_TOWN)
    assert city.digest(again) == city.digest(old_town)
    assert again.buildings["source_id"] == old_town.buildings["source_id"]
    other = city.generate(seed=plan.DEFAULT_SEED + 1, extent=OLD_TOWN)
    assert city.digest(other) != city.digest(old_town)


def test_full_plan_is_about_120_km2_of_valley_floor_in_the_two_districts():
    valleys = rivers.build_valleys(plan.DEFAULT_SEED)
    real = tianshui.boundaries()
    districts = {c: geoms_to_metric(real[c]) for c in (plan.QINZHOU, plan.MAIJI)}
    extent = geoms_to_metric(shapely.box(*plan.FULL_EXTENT))
    fabric = blocks.urban_fabric(valleys, districts, extent)
    land = shapely.union_all(list(fabric.values())).difference(valleys.water())
    assert 105 <= land.area / 1e6 <= 135
    assert fabric[plan.QINZHOU].area / 1e6 > 40 and fabric[plan.MAIJI].area / 1e6 > 40


def test_generation_reports_its_steps(old_town):
    seen = []
    city.generate(seed=3, extent=(105.712, 34.570, 105.722, 34.578), progress=seen.append)
    assert seen == list(city.STEPS)
    assert set(old_town.stats["timings_s"]) == set(city.STEPS)
    assert old_town.stats["rejected_buildings"]["overlap"] == 0
