"""淹没分析: connected flooding (not the bathtub), checked against a plain
breadth-first search written here; the whole service on a small scene with a
river, a slope and a basin behind a ridge; its API, roles and bad input."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import rasterio
import shapely
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from rasterio import features
from rasterio.transform import from_origin
from scipy import ndimage
from shapely.geometry import shape

from cim.errors import DomainError
from cim.models import AnalysisRun, Waterway
from cim.services.analyses import flood, flood_cells
from cim.services.analyses.rasters import gdal_rasterize_wkb
from cim.services.dem import dem_register
from tests import factories as f

pytestmark = pytest.mark.django_db


def bfs_flood(ground, water, seeds, obstacle):
    """Reference: every cell below the water reachable edge-to-edge from a seed."""
    rows, cols = ground.shape
    wet = np.isfinite(ground) & (ground < water) & ~obstacle
    seen = np.zeros_like(wet)
    queue = deque(zip(*np.nonzero(seeds & wet), strict=True))
    for r, c in queue:
        seen[r, c] = True
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols and wet[rr, cc] and not seen[rr, cc]:
                seen[rr, cc] = True
                queue.append((rr, cc))
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_connected_flood_matches_a_plain_search(seed):
    rng = np.random.default_rng(seed)
    ground = rng.normal(0, 1, (60, 80)).cumsum(axis=0).cumsum(axis=1) / 8
    seeds = np.zeros_like(ground, dtype=bool)
    seeds[30, :] = True
    obstacle = rng.random(ground.shape) < 0.05
    water = float(np.median(ground))
    got = flood.connected_flood(ground, water, seeds, obstacle)
    assert np.array_equal(got, bfs_flood(ground, water, seeds, obstacle))
    bathtub = (ground < water) & ~obstacle
    assert got.sum() <= bathtub.sum()


def test_a_basin_behind_a_ridge_stays_dry():
    ground = np.full((5, 7), 10.0)
    ground[2, :] = 0.0  # the river row
    ground[:, 4] = 20.0  # a ridge
    ground[2, 4] = 0.0  # the river passes
    ground[0, 5:] = 1.0  # a basin behind the ridge, below the water, open only to the north edge
    ground[1, 5:] = 30.0
    seeds = ground == 0.0
    got = flood.connected_flood(ground, 5.0, seeds, None)
    assert got[seeds].all()
    assert not got[0, 5:].any()  # below the level but not reached: no bathtub


def label_flood(ground, water, seeds, obstacle):
    """Reference: scipy's labelling of the whole grid (edge-connected regions), keeping
    the regions that hold a seed."""
    wet = np.isfinite(ground) & (ground < water) & ~obstacle
    labels, _ = ndimage.label(wet)
    hit = np.unique(labels[seeds & wet])
    return np.isin(labels, hit[hit > 0])


@pytest.mark.parametrize("seed", [4, 5, 6, 7])
def test_connected_flood_matches_scipy_labelling(seed):
    rng = np.random.default_rng(seed)
    ground = rng.normal(0, 1, (90, 70)).cumsum(axis=0).cumsum(axis=1) / 8
    ground[rng.random(ground.shape) < 0.02] = np.nan  # no DEM there
    seeds = np.zeros_like(ground, dtype=bool)
    seeds[:, 35] = True
    seeds[rng.random(ground.shape) < 0.01] = True
    obstacle = rng.random(ground.shape) < 0.08
    # One level, or a level per cell (as a rise above the river gives).
    level = float(np.nanmedian(ground))
    water = level if seed % 2 else level + rng.normal(0, 0.5, ground.shape)
    got = flood.connected_flood(ground, water, seeds, obstacle)
    assert np.array_equal(got, label_flood(ground, water, seeds, obstacle))
    assert got.any() and not got.all()


def test_water_does_not_wrap_from_the_last_column_to_the_next_row():
    ground = np.full((3, 4), 10.0)
    ground[0, 3] = ground[1, 0] = 0.0  # neighbours in memory, not on the ground
    seeds = np.zeros_like(ground, dtype=bool)
    seeds[0, 3] = True
    got = flood.connected_flood(ground, 5.0, seeds, None)
    assert got[0, 3] and not got[1, 0]


def test_outline_polygonised_in_groups_is_gdals_outline_of_the_whole_grid(monkeypatch):
    rng = np.random.default_rng(8)
    mask = ndimage.gaussian_filter(rng.random((300, 400)), 3) > 0.51  # blobs, some with holes
    transform = from_origin(105.7, 34.6, 6e-5, 5e-5)
    monkeypatch.setattr(flood_cells, "POLYGON_BLOCK", 16)  # many groups
    r, c = np.nonzero(mask)
    got = flood_cells.polygons(r, c, mask.shape[1], transform, 6e-5)
    cells = features.shapes(mask.view(np.uint8), mask=mask, transform=transform)
    whole = [shape(g) for g, v in cells if v == 1]
    want = shapely.simplify(np.array(whole, dtype=object), 3e-5, preserve_topology=True)
    assert len(whole) > 20 and any(len(p.interiors) for p in whole)

    def coordinates(polygons):
        return sorted(shapely.get_coordinates(p).tobytes() for p in polygons)

    assert coordinates(got.geoms) == coordinates(want)


# --- the whole service on a small scene --------------------------------------------------------

WEST, NORTH, STEP = 105.700, 34.590, 0.0001  # ≈ 9 × 11 m cells
ROWS, COLS = 200, 200
RIVER_ROW = 150


def scene_dem(path):
    """A river along row 150 at 1100 m, ground rising 0.1 m a row northwards; a ridge at
    row 60 (1125 m) behind which lies a basin at 1101 m (rows 20-50)."""
    rows = np.arange(ROWS)[:, None] * np.ones((1, COLS))
    ground = 1100.0 + np.abs(RIVER_ROW - rows) * 0.1
    ground[55:66, :] = 1125.0
    ground[20:51, :] = 1101.0
    with rasterio.open(path, "w", driver="GTiff", width=COLS, height=ROWS, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(WEST, NORTH, STEP, STEP)) as dst:
        dst.write(ground.astype(np.float32), 1)
    return path


def lonlat(row, col):
    return WEST + (col + 0.5) * STEP, NORTH - (row + 0.5) * STEP


@pytest.fixture
def scene(tmp_path, media_root):
    dem_register(source_path=scene_dem(tmp_path / "scene.tif"), name="scene", synthetic=True)
    y0, y1 = NORTH - (RIVER_ROW + 1) * STEP, NORTH - RIVER_ROW * STEP
    river = Polygon.from_bbox((WEST, y0, WEST + COLS * STEP, y1))
    Waterway.objects.create(source="test", source_id="r", name="测试河", kind="river",
                            geom=MultiPolygon(river, srid=4326),
                            centreline=LineString(lonlat(RIVER_ROW, 0), lonlat(RIVER_ROW, COLS - 1),
                                                  srid=4326))
    slope_lon, slope_lat = lonlat(120, 100)  # 3 m above the river
    high_lon, high_lat = lonlat(80, 40)  # 7 m above the river
    basin_lon, basin_lat = lonlat(35, 100)  # 1101 m, behind the ridge
    return {
        "slope": f.building(slope_lon, slope_lat, size=0.0002, height=12),
        "high": f.building(high_lon, high_lat, size=0.0002, height=12),
        "basin": f.building(basin_lon, basin_lat, size=0.0002, height=12),
        "road_wet": f.road(lonlat(110, 20), lonlat(110, 180), name="滨河路"),
        "road_basin": f.road(lonlat(30, 20), lonlat(30, 180), name="盆地路"),
        "extent": (WEST, NORTH - ROWS * STEP, WEST + COLS * STEP, NORTH),
    }


def test_level_floods_what_the_river_reaches(scene):
    run = flood.flood_run(by="test", extent=scene["extent"], level=1105.0, cell=10.0)
    hit = {b["building"] for b in run.result["buildings"]}
    assert scene["slope"].pk in hit
    assert scene["high"].pk not in hit  # 7 m above the river: dry at 5 m
    assert scene["basin"].pk not in hit  # below the level, but behind the ridge
    roads = {r["segment"] for r in run.result["roads"]}
    assert roads == {scene["road_wet"].pk}
    s = run.summary
    # rows 101-149 and 151-199 lie below 1105 m on the river's side of the ridge (≈ 0.1 m a row)
    assert 0.8 < s["flooded_area_m2"] / (98 * COLS * 9.2 * 11.1) < 1.2
    assert s["max_depth_m"] == pytest.approx(5.0, abs=0.2)
    assert run.result["flooded"]["type"] == "MultiPolygon"
    assert flood.depth_image_path(run).read_bytes().startswith(b"\x89PNG")
    assert run.kind == "flood" and AnalysisRun.objects.filter(pk=run.pk).exists()


def test_rise_follows_the_river(scene):
    run = flood.flood_run(by="test", extent=scene["extent"], rise=2.0, cell=10.0)
    hit = {b["building"] for b in run.result["buildings"]}
    assert scene["slope"].pk not in hit  # 3 m up: dry at a 2 m rise
    assert run.summary["max_depth_m"] == pytest.approx(2.0, abs=0.2)


def test_bad_input_names_the_field(scene):
    cases = [
        ({"level": 1099.0}, "level"),  # below the river
        ({"level": 1105.0, "rise": 1.0}, "level"),  # both
        ({"rise": 0.0}, "rise"),
        ({"rise": 1.0, "cell": 1.0}, "cell"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as err:
            flood.flood_run(by="test", extent=scene["extent"], **kwargs)
        assert err.value.field == field, kwargs
    with pytest.raises(DomainError) as err:  # no river there
        flood.flood_run(by="test", extent=(105.80, 34.60, 105.81, 34.61), level=1100.0)
    assert err.value.field == "extent"
    assert not AnalysisRun.objects.exists()


def test_api_roles_and_depth_image(scene, client_for):
    body = {"extent": list(scene["extent"]), "level": 1105, "cell": 10}
    assert client_for("dispatcher").post("/api/cim/analyses/flood/", body, format="json").status_code == 403
    assert client_for(None).post("/api/cim/analyses/flood/", body, format="json").status_code in (401, 403)
    r = client_for("planner").post("/api/cim/analyses/flood/", body, format="json")
    assert r.status_code == 201, r.content
    run_id = r.json()["id"]
    assert r.json()["summary"]["road_segments"] == 1
    commander = client_for("commander")
    assert commander.get(f"/api/cim/analyses/runs/{run_id}/").status_code == 200
    png = commander.get(f"/api/cim/analyses/runs/{run_id}/depth/")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    bad = client_for("planner").post("/api/cim/analyses/flood/", {**body, "level": 1000}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "level"


def test_planner_page_offers_road_closures_to_the_control_room_only(make_user, client):
    import json
    import re

    for role, can_close in (("planner", False), ("commander", True)):
        client.force_login(make_user(role, f"{role}_page"))
        html = client.get("/viewer/").content.decode()
        config = json.loads(re.search(r'id="planner-config" type="application/json">(.*?)</script>',
                                      html).group(1))
        assert config["analyses"]["floodUrl"] == "/api/cim/analyses/flood/"
        assert bool(config["analyses"]["closuresUrl"]) is can_close, role


def test_height_check_exports_refuse_a_flood_run(scene, client_for):
    run = flood.flood_run(by="test", extent=scene["extent"], level=1105.0, cell=10.0)
    commander = client_for("commander")
    for export in ("csv", "pdf"):
        refused = commander.get(f"/api/cim/analyses/runs/{run.pk}/{export}/")
        assert refused.status_code == 400 and refused.json()["field"] == "id", export
        assert "height_limit" in refused.json()["detail"]
    image = commander.get(f"/api/cim/analyses/runs/{run.pk}/image/")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_footprints_are_burnt_where_the_water_can_reach_as_on_the_whole_grid(scene, monkeypatch):
    monkeypatch.setattr(flood, "TILE", 8)  # several windows
    grid = flood.flood_grid(scene["extent"], 10.0)
    r, c = flood_cells.cells_below(grid, 1105.0)
    ids = flood.building_ids(grid, r, c)
    rows = flood._wkb("cim_building", "footprint", [scene["extent"]])
    whole = gdal_rasterize_wkb([w for _, _, w in rows], [pk for _, pk, _ in rows], grid.transform,
                               grid.river.shape, 4326, np.int32)
    below = np.zeros(grid.river.shape, dtype=bool)
    below[r, c] = True
    near = ndimage.binary_dilation(below)  # the cells below the water and their neighbours
    assert np.array_equal(ids[near], whole[near])
    # The slope (below the level) and the basin (below it, behind the ridge) are burnt; the
    # building on high ground, far from any cell below the level, is not read at all.
    assert {scene["slope"].pk, scene["basin"].pk} <= set(ids[near].tolist())
    assert scene["high"].pk not in ids


def test_the_grid_is_kept_until_a_river_changes(scene):
    grid = flood.flood_grid(scene["extent"], 10.0)
    assert flood.flood_grid(scene["extent"], 10.0) is grid
    assert not grid.ground.flags.writeable and not grid.river.flags.writeable
    # A second river (a channel along row 20): a new grid, with its cells.
    y0, y1 = NORTH - 21 * STEP, NORTH - 20 * STEP
    channel = Polygon.from_bbox((WEST, y0, WEST + COLS * STEP, y1))
    Waterway.objects.create(source="test", source_id="r2", name="新渠", kind="river",
                            geom=MultiPolygon(channel, srid=4326))
    fresh = flood.flood_grid(scene["extent"], 10.0)
    assert fresh is not grid and fresh.river.sum() > grid.river.sum()
