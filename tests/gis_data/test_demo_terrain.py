"""The synthetic DEM: 1″ grid, valley floors at 1,100–1,200 m falling
downstream, rivers at the bottom, loess hills several hundred metres higher."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gis_data.demo import plan, rivers, terrain
from gis_data.demo.geo import to_lonlat, to_metric

SEED = plan.DEFAULT_SEED


@pytest.fixture(scope="module")
def valleys():
    return rivers.build_valleys(SEED)


@pytest.fixture(scope="module")
def full(valleys):
    # The valley band of the full DEM (the hills far out add nothing here).
    w, _s, e, _n = plan.DEM_BOUNDS
    return terrain.build_terrain(valleys, rivers.build_gullies(valleys, SEED), (w, 34.53, e, 34.62), SEED)


def _river_points(axis, every=200):
    pts = axis.offset_points(axis.meander)[::every]
    return to_lonlat(pts[:, 0], pts[:, 1])


def test_grid_is_one_arc_second_in_wgs84(full):
    t = full.transform
    assert t.a == pytest.approx(1 / 3600) and t.e == pytest.approx(-1 / 3600)
    assert full.data.dtype == np.float32
    assert np.isfinite(full.data).all()


def test_valley_floor_between_1100_and_1200_m_falling_downstream(full, valleys):
    main = valleys.main
    lon, lat = _river_points(main)
    inside = (lon > plan.FULL_EXTENT[0]) & (lon < plan.FULL_EXTENT[2])
    z = full.heights_lonlat(lon[inside], lat[inside])
    assert z.min() >= 1095 and z.max() <= 1200
    # Downstream is lower, over every kilometre or so.
    assert np.all(np.diff(z) < 1.0)
    assert z[0] - z[-1] > 60


def test_rivers_run_along_the_valley_bottom(full, valleys):
    main = valleys.main
    for k in range(2000, main.x.size - 2000, 1500):
        t = np.linspace(-main.wr[k], main.wl[k], 60)
        xs, ys = main.x[k] + main.nx[k] * t, main.y[k] + main.ny[k] * t
        z = full.heights_metric(xs, ys)
        lowest = t[int(np.argmin(z))]
        assert abs(lowest - main.meander[k]) < main.ww[k] / 2 + 40, k


def test_loess_hills_rise_several_hundred_metres(full, valleys):
    """1.5 km and more from the valley floors the ground is loess hills."""
    floors = valleys.floors()
    w, s, e, n = full.bounds
    glon, glat = (a.ravel() for a in np.meshgrid(np.linspace(w + 0.01, e - 0.01, 160),
                                                 np.linspace(s + 0.002, n - 0.002, 60)))
    x, y = to_metric(glon, glat)
    far = shapely.distance(shapely.points(x, y), floors) > 1500
    assert far.sum() > 1000
    z = full.heights_lonlat(glon[far], glat[far])
    assert np.percentile(z, 50) > 1400  # several hundred metres above 1,100–1,200 m
    assert z.max() > 1550


def test_heights_do_not_depend_on_the_crop(full, valleys):
    """A small build gets exactly the ground of the full one."""
    bounds = (105.70, 34.56, 105.74, 34.59)
    small = terrain.build_terrain(valleys, rivers.build_gullies(valleys, SEED),
                                  (bounds[0] - 0.02, bounds[1] - 0.02, bounds[2] + 0.02, bounds[3] + 0.02),
                                  SEED)
    lon = np.linspace(bounds[0], bounds[2], 40)
    lat = np.linspace(bounds[1], bounds[3], 30)
    glon, glat = (a.ravel() for a in np.meshgrid(lon, lat))
    assert np.allclose(small.heights_lonlat(glon, glat), full.heights_lonlat(glon, glat), atol=0.01)


def test_same_seed_same_ground_other_seed_other_hills(valleys):
    bounds = (105.70, 34.60, 105.74, 34.63)
    gullies = rivers.build_gullies(valleys, SEED)
    a = terrain.build_terrain(valleys, gullies, bounds, SEED).data
    b = terrain.build_terrain(valleys, gullies, bounds, SEED).data
    assert np.array_equal(a, b)
    other = rivers.build_valleys(SEED + 1)
    c = terrain.build_terrain(other, rivers.build_gullies(other, SEED + 1), bounds, SEED + 1).data
    assert np.abs(a - c).max() > 5
