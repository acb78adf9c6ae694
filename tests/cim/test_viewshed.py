"""可视域 and 通视: GDAL's viewshed over terrain + buildings, checked against the
``gdal_viewshed`` command line on the same surface raster; line of sight on a
scene whose answer is known; the saved runs, the API, roles and bad input."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from cim.errors import DomainError
from cim.models import AnalysisRun
from cim.services.analyses import viewshed as vs
from cim.services.dem import dem_register
from tests import factories as f

pytestmark = pytest.mark.django_db

WEST, NORTH, STEP = 105.700, 34.600, 0.0001  # ≈ 9 × 11 m DEM cells
ROWS, COLS = 260, 260
CENTRE = (WEST + 130 * STEP, NORTH - 130 * STEP)


def hills_dem(path):
    """Rolling hills (±15 m) around 1150 m and a ridge 40 m high east of the centre."""
    r, c = np.mgrid[:ROWS, :COLS].astype(float)
    ground = 1150 + 8 * np.sin(r / 17) + 7 * np.cos(c / 23) + 3 * np.sin((r + c) / 7)
    ground += 40 * np.exp(-(((c - 190) / 6) ** 2))
    with rasterio.open(path, "w", driver="GTiff", width=COLS, height=ROWS, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(WEST, NORTH, STEP, STEP)) as dst:
        dst.write(ground.astype(np.float32), 1)
    return path


@pytest.fixture
def scene(tmp_path, media_root):
    dem_register(source_path=hills_dem(tmp_path / "hills.tif"), name="hills", synthetic=True)
    lon, lat = CENTRE
    towers = [f.building(lon + dx * STEP, lat + dy * STEP, size=0.0003, height=h)
              for dx, dy, h in ((-40, 10, 60), (25, -30, 30), (-10, -60, 45), (60, 45, 80), (6, -1, 20))]
    return {"towers": towers}


def cli_viewshed(tmp_path, surface, x, y, *, oz, tz, md):
    """``gdal_viewshed`` (the command line) on the surface written as a GeoTIFF."""
    src, dst = tmp_path / "surface.tif", tmp_path / "cli.tif"
    heights = surface.height
    rows, cols = heights.shape
    with rasterio.open(src, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                       crs=f"EPSG:{surface.srid}", transform=surface.transform) as out:
        out.write(heights, 1)
    subprocess.run(["gdal_viewshed", "-q", "-ox", repr(x), "-oy", repr(y), "-oz", repr(oz),
                    "-tz", repr(tz), "-md", repr(md), "-vv", "2", "-iv", "1", "-ov", "0", "-cc", "0.85714",
                    str(src), str(dst)], check=True)
    with rasterio.open(dst) as got:
        cells = got.read(1)
        c0 = round((got.transform.c - surface.transform.c) / surface.cell)
        r0 = round((surface.transform.f - got.transform.f) / surface.cell)
    full = np.zeros(heights.shape, dtype=np.uint8)
    full[r0:r0 + cells.shape[0], c0:c0 + cells.shape[1]] = cells
    return full


@pytest.mark.parametrize("observer_height,cell", [(1.7, 5.0), (25.0, 4.0)])
def test_agrees_with_the_gdal_viewshed_command(scene, tmp_path, observer_height, cell):
    v = vs.ViewshedInput(observer=CENTRE, radius=1000.0, cell=cell, observer_height=observer_height,
                         target_height=1.5).clean()
    got = vs.viewshed_compute(v)
    assert (got.surface.building_ids > 0).sum() > 0  # the towers are in the surface
    reference = cli_viewshed(tmp_path, got.surface, got.x, got.y, oz=observer_height, tz=1.5, md=1000.0)
    in_range = (got.cells != vs.OUTSIDE) | (reference != 0)
    agree = (got.cells == reference)[in_range].mean()
    assert agree >= 0.995, agree
    visible = got.cells == vs.VISIBLE
    assert 0.02 < visible[in_range].mean() < 0.98  # not trivially all seen or all hidden


def test_buildings_hide_what_lies_behind_them(scene):
    bare = vs.ViewshedInput(observer=CENTRE, radius=800.0, cell=5.0, observer_height=1.7).clean()
    with_towers = vs.viewshed_compute(bare)
    for b in scene["towers"]:
        b.delete()
    without = vs.viewshed_compute(bare)
    roof = with_towers.surface.building_ids > 0
    ground_seen_with = ((with_towers.cells == vs.VISIBLE) & ~roof).sum()
    ground_seen_without = ((without.cells == vs.VISIBLE) & ~roof).sum()
    assert ground_seen_with < ground_seen_without - 100  # the towers' shadows
    # Roof cells of the towers are higher than the ground they stand on.
    assert (with_towers.surface.height[roof] > without.surface.height[roof] + 19.9).all()


def test_run_is_saved_with_area_image_and_geotiff(scene):
    run = vs.viewshed_run(by="test", observer=CENTRE, radius=600, cell=5, observer_height=2)
    s = run.summary
    cells = s["grid"]["cols"] * s["grid"]["rows"]
    assert 0 < s["visible_area_m2"] <= s["analysed_area_m2"] <= cells * 25
    assert s["visible_area_m2"] == pytest.approx(s["visible_share"] * s["analysed_area_m2"], rel=1e-3)
    assert sum(b["visible_m2"] for b in s["bands"]) == pytest.approx(s["visible_area_m2"], abs=1)
    assert vs.viewshed_image_path(run).read_bytes().startswith(b"\x89PNG")
    with rasterio.open(vs.viewshed_raster_path(run)) as tif:
        assert tif.crs.to_epsg() == 4544
        assert (tif.read(1) == vs.VISIBLE).sum() * 25 == pytest.approx(s["visible_area_m2"])
    assert run.kind == "viewshed" and run.model_version and run.created_by is None


def test_bad_input_names_the_field(scene):
    cases = [
        ({"radius": 5001}, "radius"),
        ({"radius": 3000, "cell": 0.5}, "cell"),
        ({"observer": (104.0, 34.0)}, "observer"),  # outside the DEM
        ({"observer": (500, 34.0)}, "observer"),
        ({"observer_height": -1}, "observer_height"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as err:
            vs.viewshed_run(by="test", **{"observer": CENTRE, "radius": 500, "cell": 5, **kwargs})
        assert err.value.field == field, kwargs
    assert not AnalysisRun.objects.exists()


def test_without_an_elevation_model_the_observer_is_refused_before_any_surface(media_root, client_for):
    """No DEM at all: the observer stands outside the elevation model (400 naming it) for both
    analyses, while the size of the grid is still checked first; nothing is saved."""
    planner = client_for("planner")
    sight = planner.post("/api/cim/analyses/line-of-sight/",
                         {"observer": list(CENTRE), "target": [CENTRE[0] + 0.005, CENTRE[1]]}, format="json")
    assert sight.status_code == 400 and sight.json()["field"] == "observer"
    view = planner.post("/api/cim/analyses/viewshed/", {"observer": list(CENTRE), "radius": 5000, "cell": 2},
                        format="json")
    assert view.status_code == 400 and view.json()["field"] == "observer"
    too_fine = planner.post("/api/cim/analyses/viewshed/", {"observer": list(CENTRE), "radius": 3000,
                                                             "cell": 0.5}, format="json")
    assert too_fine.status_code == 400 and too_fine.json()["field"] == "cell"
    assert not AnalysisRun.objects.exists()


# --- line of sight -------------------------------------------------------------------------------


def test_line_of_sight_is_blocked_by_the_ridge_and_says_where(scene):
    a = (WEST + 150 * STEP, NORTH - 100 * STEP)  # west of the ridge (column 190)
    b = (WEST + 230 * STEP, NORTH - 100 * STEP)  # east of it
    r = vs.line_of_sight(vs.SightInput(observer=a, target=b, observer_height=1.7, target_height=1.7,
                                       cell=2.0).clean())
    assert r["visible"] is False
    hit = r["obstruction"]
    ridge_lon = WEST + 190.5 * STEP
    assert a[0] < hit["lon"] < ridge_lon  # blocked on the near slope of the ridge
    assert hit["surface_m"] > hit["sight_m"]
    # Above the ridge (observer on a 200 m mast) the target is seen.
    r = vs.line_of_sight(vs.SightInput(observer=a, target=b, observer_height=200, target_height=1.7,
                                       cell=2.0).clean())
    assert r["visible"] is True and r["obstruction"] is None


def test_line_of_sight_names_the_building_in_the_way(scene):
    tower = scene["towers"][0]  # 60 m, at (-40, 10) from the centre
    c = tower.footprint.centroid
    a = (c.x - 0.002, c.y)
    b = (c.x + 0.002, c.y)
    r = vs.line_of_sight(vs.SightInput(observer=a, target=b, cell=1.0).clean())
    assert r["visible"] is False
    assert r["obstruction"]["building"] == tower.pk
    assert tower.footprint.extent[0] - 0.00002 <= r["obstruction"]["lon"] <= c.x


def test_line_of_sight_agrees_with_the_viewshed(scene):
    """Targets the viewshed calls visible are (almost all) visible along the line too."""
    v = vs.ViewshedInput(observer=CENTRE, radius=500.0, cell=5.0, observer_height=10, target_height=0).clean()
    got = vs.viewshed_compute(v)
    rng = np.random.default_rng(4)
    rows, cols = got.cells.shape
    agree = n = 0
    from cim.services.analyses.viewshed import _to_lonlat

    for _ in range(40):
        r, c = rng.integers(5, rows - 5), rng.integers(5, cols - 5)
        if got.cells[r, c] == vs.OUTSIDE or got.surface.building_ids[r, c]:
            continue
        x, y = got.surface.transform @ (c + 0.5, r + 0.5)
        lon, lat = _to_lonlat(x, y)
        if np.hypot(x - got.x, y - got.y) < 30:
            continue
        los = vs.line_of_sight(vs.SightInput(observer=CENTRE, target=(lon, lat), observer_height=10,
                                             target_height=0.05, cell=5.0).clean())
        n += 1
        agree += los["visible"] == (got.cells[r, c] == vs.VISIBLE)
    assert n >= 20 and agree / n >= 0.85, (agree, n)


def test_line_of_sight_bad_input(scene):
    with pytest.raises(DomainError) as err:
        vs.line_of_sight_run(by="test", observer=CENTRE, target=(CENTRE[0] + 0.2, CENTRE[1]))
    assert err.value.field == "target"
    with pytest.raises(DomainError) as err:
        vs.line_of_sight_run(by="test", observer=(104.0, 34.0), target=(104.001, 34.0))
    assert err.value.field == "observer"


# --- API, roles, exports --------------------------------------------------------------------------


def test_api_runs_viewshed_and_line_of_sight_for_planners_only(scene, client_for):
    body = {"observer": list(CENTRE), "radius": 400, "cell": 5, "observer_height": 2}
    for role in ("commander", "dispatcher"):
        assert client_for(role).post("/api/cim/analyses/viewshed/", body, format="json").status_code == 403
    assert client_for(None).post("/api/cim/analyses/viewshed/", body, format="json").status_code in (401, 403)
    planner = client_for("planner")
    r = planner.post("/api/cim/analyses/viewshed/", body, format="json")
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["kind"] == "viewshed" and run["summary"]["visible_area_m2"] > 0
    image = planner.get(f"/api/cim/analyses/runs/{run['id']}/image/")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    tif = planner.get(f"/api/cim/analyses/runs/{run['id']}/raster/")
    assert tif.status_code == 200 and tif["Content-Type"] == "image/tiff"
    assert tif.content[:2] in (b"II", b"MM")
    # The CSV export does not apply to a viewshed: a 400 naming the run.
    refused = planner.get(f"/api/cim/analyses/runs/{run['id']}/csv/")
    assert refused.status_code == 400 and refused.json()["field"] == "id"
    # Commanders see flood results only.
    assert client_for("commander").get(f"/api/cim/analyses/runs/{run['id']}/").status_code == 404
    bad = planner.post("/api/cim/analyses/viewshed/", {**body, "radius": 6000}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "radius"
    outside = planner.post("/api/cim/analyses/viewshed/", {**body, "observer": [104.0, 34.0]}, format="json")
    assert outside.status_code == 400 and outside.json()["field"] == "observer"

    tower = scene["towers"][0].footprint.centroid
    los = planner.post("/api/cim/analyses/line-of-sight/",
                       {"observer": [tower.x - 0.002, tower.y], "target": [tower.x + 0.002, tower.y]},
                       format="json")
    assert los.status_code == 201, los.content
    got = los.json()
    assert got["kind"] == "line_of_sight" and got["summary"]["visible"] is False
    assert got["summary"]["obstruction"]["building"] == scene["towers"][0].pk
    assert len(got["result"]["profile"]["distance_m"]) == len(got["result"]["profile"]["sight_m"])


def test_cancelling_stops_gdal_mid_viewshed(scene):
    """A job's reporter raises when the job was cancelled: GDAL is told to stop and the
    cancellation comes back out of the viewshed."""

    class Cancelled(Exception):
        pass

    seen = []

    def progress(done, total, message):
        seen.append(done)
        if message == "viewshed" and done >= 300:
            raise Cancelled

    with pytest.raises(Cancelled):
        vs.viewshed_run(by="test", observer=CENTRE, radius=800, cell=5, progress=progress)
    assert max(seen) < 1000 and not AnalysisRun.objects.exists()


def test_the_viewshed_panel_is_the_planners(make_user, client):
    for role, shown in (("planner", True), ("commander", False), ("dispatcher", False)):
        client.force_login(make_user(role, f"{role}_viewshed_page"))
        html = client.get("/viewer/").content.decode()
        assert ('id="panel-viewshed"' in html) is shown, role
        assert ('"lineOfSightUrl"' in html) is (role != "dispatcher"), role


# --- printable reports ------------------------------------------------------------------------------


def _pdf_text(content: bytes, tmp_path) -> str:
    """The text of a PDF (poppler's ``pdftotext``, as the other report tests read theirs)."""
    assert content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _pdf_images(content: bytes, tmp_path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(content)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                             check=True).stdout
    return len(listing.splitlines()) - 2  # two header lines


def test_viewshed_report_holds_the_figures_and_the_map(scene, client_for, make_user, tmp_path):
    planner = make_user("planner", "vs_report_planner")
    run = vs.viewshed_run(by=planner, observer=CENTRE, radius=600, cell=5, observer_height=12,
                          target_height=1.5)
    s = run.summary
    r = client_for("planner").get(f"/api/cim/analyses/runs/{run.pk}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == f'attachment; filename="analysis-{run.pk}.pdf"'
    text = _pdf_text(r.content, tmp_path)
    squeezed = text.replace(" ", "")
    for figure in (f"{CENTRE[0]:.6f}°E", f"{CENTRE[1]:.6f}°N", f"{s['observer']['ground_m']:.2f}",
                   f"{s['visible_area_m2']:,.1f}", f"{100 * s['visible_share']:.2f}%", "600", "12", "1.5",
                   run.model_version, "vs_report_planner", f"#{run.pk}"):
        assert figure.replace(" ", "") in squeezed, figure
    assert "分析半径" in squeezed and "栅格分辨率" in squeezed and "可见面积" in squeezed
    # The map is the run's picture, embedded.
    assert _pdf_images(r.content, tmp_path) >= 1


def test_line_of_sight_report_says_where_and_what_blocks(scene, client_for, tmp_path):
    tower = scene["towers"][0]
    c = tower.footprint.centroid
    run = vs.line_of_sight_run(by="test", observer=(c.x - 0.002, c.y), target=(c.x + 0.002, c.y),
                               observer_height=1.6, target_height=2.5)
    o = run.summary["obstruction"]
    assert o["building"] == tower.pk
    text = _pdf_text(client_for("planner").get(f"/api/cim/analyses/runs/{run.pk}/pdf/").content, tmp_path)
    squeezed = text.replace(" ", "")
    for figure in (f"{c.x - 0.002:.6f}°E", f"{c.x + 0.002:.6f}°E", f"{run.summary['length_m']:,.1f}",
                   f"{o['distance_m']:,.1f}", f"建筑#{tower.pk}", "不通视", "1.6", "2.5", "剖面",
                   f"{o['surface_m']:.2f}/{o['sight_m']:.2f}", run.model_version):
        assert figure.replace(" ", "") in squeezed, figure
    # Over the ridge from a mast: visible, no obstruction named.
    a, b = (WEST + 150 * STEP, NORTH - 100 * STEP), (WEST + 230 * STEP, NORTH - 100 * STEP)
    seen = vs.line_of_sight_run(by="test", observer=a, target=b, observer_height=200, cell=2)
    text = _pdf_text(client_for("planner").get(f"/api/cim/analyses/runs/{seen.pk}/pdf/").content, tmp_path)
    assert "通视：目标可见" in text.replace(" ", "") and "遮挡物" not in text
    # Blocked by the ridge: the terrain is named.
    blocked = vs.line_of_sight_run(by="test", observer=a, target=b, cell=2)
    text = _pdf_text(client_for("planner").get(f"/api/cim/analyses/runs/{blocked.pk}/pdf/").content, tmp_path)
    assert "被地形遮挡" in text.replace(" ", "")


def test_profile_ticks_suit_every_length():
    from cim.services.analyses.viewshed_pdf import tick_step

    for length in (2.0, 9.9, 10.0, 29.0, 30.0, 99.0, 275.0, 367.0, 1000.0, 2999.0, 7071.0, 10000.0):
        step = tick_step(length)
        assert 3 <= length / step <= 15, (length, step)
        assert round(step / 10 ** math.floor(math.log10(step)), 6) in (1, 2, 5), step


def test_reports_are_the_planners(scene, client_for):
    run = vs.viewshed_run(by="test", observer=CENTRE, radius=300, cell=5)
    tower = scene["towers"][0].footprint.centroid
    sight = vs.line_of_sight_run(by="test", observer=(tower.x - 0.002, tower.y),
                                 target=(tower.x + 0.002, tower.y))
    for pk in (run.pk, sight.pk):
        url = f"/api/cim/analyses/runs/{pk}/pdf/"
        assert client_for("admin").get(url).status_code == 200
        assert client_for("commander").get(url).status_code == 404  # flood runs only
        assert client_for("dispatcher").get(url).status_code == 403
        assert client_for(None).get(url).status_code in (401, 403)


@pytest.mark.parametrize("top", [5_000, 3_000_000_000])
def test_roof_cells_find_their_footprint_by_id(top):
    """The position of each burnt-in id among the sorted footprint ids: a table for
    ordinary ids, a binary search for huge ones; the same answer."""
    rng = np.random.default_rng(2)
    ids = np.unique(rng.integers(1, top, 900)).astype(np.int64)
    cells = rng.choice(ids, 20_000)
    assert np.array_equal(vs._positions(ids, cells), np.searchsorted(ids, cells))
    assert np.array_equal(ids[vs._positions(ids, cells)], cells)
