"""IFC import (``import_ifc``): placement from each georeferencing source
(error < 0.1 m against a known IfcMapConversion), the stored model and
elements (queryable in PostGIS), its 3D Tiles (validated like the city's,
linked into the city tileset, the replaced building left out) and bad files
refused with nothing stored."""

from __future__ import annotations

import json
import math
from io import StringIO
from pathlib import Path

import numpy as np
import pyproj
import pytest
from django.contrib.gis.measure import D
from django.core.management import CommandError, call_command
from django.db import connection

from cim.bim import reader
from cim.conf import cim_settings
from cim.errors import ImportFailed
from cim.importers.ifc import ManualPlacement
from cim.models import BimElement, BimModel, Building, ImportRun
from cim.services.bim import bim_import
from cim.services.tiles import tiles_build
from cim.terrain.geoid import undulation
from cim.tiling.geodesy import EnuFrame
from cim.tiling.glb import read_glb
from cim.tiling.validate import glb_reports, tileset_errors
from tests import factories
from tests.cim.ifc_files import small_ifc

pytestmark = pytest.mark.django_db

SCHEMAS = Path(cim_settings.SHARED_DATA_DIR).parent / "schemas" / "3d-tiles"
E0, N0, H0, ROT = 566_000.0, 3_828_000.0, 1100.0, 30.0  # in Tianshui, EPSG:4544
MAP_CONVERSION = {
    "Eastings": E0,
    "Northings": N0,
    "OrthogonalHeight": H0,
    "XAxisAbscissa": math.cos(math.radians(ROT)),
    "XAxisOrdinate": math.sin(math.radians(ROT)),
}
TO_4544 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4544", always_xy=True)


def _bim_dir(bim: BimModel) -> Path:
    return Path(cim_settings.BIM_TILES_DIR) / str(bim.pk)


def _glb_world(bim: BimModel, name: str = "elements.glb"):
    """The model's glb vertices as lon/lat/ellipsoidal h, and the glb."""
    doc = json.loads((_bim_dir(bim) / "tileset.json").read_text())
    m = np.array(doc["root"]["transform"]).reshape(4, 4).T
    glb = read_glb((_bim_dir(bim) / name).read_bytes())
    ecef = glb.positions @ m[:3, :3].T + m[:3, 3]
    frame = EnuFrame(0.0, 0.0, 0.0)
    lon, lat, h = frame.to_geodetic(frame.from_ecef(ecef))
    return lon, lat, h, glb


def _expected_map_points(path: Path) -> np.ndarray:
    """The model's vertices placed by hand with the IfcMapConversion formula (EPSG:4544)."""
    model = reader.read_model(path)
    p = reader.tessellate(model, workers=1).positions
    a, b = math.cos(math.radians(ROT)), math.sin(math.radians(ROT))
    return np.column_stack([E0 + a * p[:, 0] - b * p[:, 1], N0 + b * p[:, 0] + a * p[:, 1], H0 + p[:, 2]])


def test_map_conversion_places_within_a_decimetre(media_root, tmp_path):
    path = small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION)
    run, report, bim = bim_import(path=path, workers=1)
    assert run.status == "succeeded"
    assert bim.placement_source == "map_conversion"
    assert bim.placement["crs"] == "EPSG:4544" and bim.placement["rotation_deg"] == pytest.approx(-ROT)
    assert any("placed by map_conversion" in note for note in report.notes)

    expected = _expected_map_points(path)
    lon, lat, h, glb = _glb_world(bim)
    e, n = TO_4544.transform(lon, lat)
    got = np.column_stack([e, n, h - undulation(lon, lat)])
    # every vertex of the file lands on a vertex of the tiles within 0.1 m, and back
    d_exp = np.min(np.linalg.norm(expected[:, None, :] - got[None, :, :], axis=2), axis=1)
    d_got = np.min(np.linalg.norm(got[:, None, :] - expected[None, :, :], axis=2), axis=1)
    assert d_exp.max() < 0.1 and d_got.max() < 0.1, (d_exp.max(), d_got.max())
    # the stored origin: model (0, 0) at (E0, N0)
    oe, on = TO_4544.transform(bim.placement["lon"], bim.placement["lat"])
    assert math.hypot(oe - E0, on - N0) < 0.01


def test_stored_model_and_elements_are_queryable_in_postgis(media_root, tmp_path):
    path = small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION)
    _, _, bim = bim_import(path=path, workers=1)
    assert bim.schema == "IFC4" and bim.name == "测试楼"
    assert [s["name"] for s in bim.storeys] == ["1F", "2F"]
    assert [s["elevation"] for s in bim.storeys] == [0.0, 3.0]
    assert bim.height == pytest.approx(6.0, abs=0.01)
    assert bim.base_elevation == pytest.approx(H0, abs=0.01)
    # footprint ≈ the 10 × 6 m box (walls 0.2 m thick, door sticking out 0.3 m), in square metres
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Area(footprint::geography) FROM cim_bimmodel WHERE id = %s", [bim.pk])
        area = cur.fetchone()[0]
    assert 60 <= area <= 68
    elements = BimElement.objects.filter(model=bim)
    assert elements.count() == 10
    assert elements.filter(ifc_class="IfcWall", storey="2F").count() == 4
    wall = elements.get(name="1F-W1")
    assert wall.psets["Pset_WallCommon"]["FireRating"] == "REI 90"
    assert len(wall.global_id) == 22 and wall.z_min == pytest.approx(H0, abs=0.01)
    # jsonb and spatial queries: external walls; what lies within half a metre of the door on its floor
    assert elements.filter(psets__Pset_WallCommon__IsExternal=True).count() == 8
    door = elements.get(ifc_class="IfcDoor")
    near = elements.filter(outline__distance_lte=(door.outline, D(m=0.5)), z_min__lt=door.z_max)
    assert set(near.values_list("name", flat=True)) == {"1F-Door", "1F-W1", "1F-Slab"}


def test_pset_map_conversion_in_ifc2x3(media_root, tmp_path):
    values = {**MAP_CONVERSION, "XAxisAbscissa": 1.0, "XAxisOrdinate": 0.0}
    path = small_ifc(tmp_path / "ifc2x3.ifc", schema="IFC2X3", pset_map_conversion=values)
    _, _, bim = bim_import(path=path, workers=1)
    assert bim.schema == "IFC2X3" and bim.placement_source == "pset_map_conversion"
    oe, on = TO_4544.transform(bim.placement["lon"], bim.placement["lat"])
    assert math.hypot(oe - E0, on - N0) < 0.01


def test_site_reference_and_manual_placement(media_root, tmp_path):
    path = small_ifc(tmp_path / "site.ifc", site_reference=(34.58, 105.72, 1150.0))
    _, _, bim = bim_import(path=path, workers=1)
    assert bim.placement_source == "site_reference"
    assert (bim.placement["lon"], bim.placement["lat"]) == pytest.approx((105.72, 34.58), abs=1e-6)
    assert bim.base_elevation == pytest.approx(1150.0, abs=0.01)

    plain = small_ifc(tmp_path / "plain.ifc")
    _, report, bim2 = bim_import(
        path=plain,
        workers=1,
        placement=ManualPlacement(lon=105.7, lat=34.57, rotation_deg=90.0, base_height=1200),
    )
    assert bim2.placement_source == "manual" and bim2.placement["rotation_deg"] == 90.0
    # rotated 90° clockwise: the model's +X runs south, its +Y east
    lon, lat, _, glb = _glb_world(bim2)
    enu = EnuFrame(105.7, 34.57, 0.0).from_geodetic(lon, lat, np.zeros_like(lon))
    local = reader.tessellate(reader.read_model(plain), workers=1).positions
    assert enu[:, 0].min() == pytest.approx(local[:, 1].min(), abs=0.01)
    assert enu[:, 0].max() == pytest.approx(local[:, 1].max(), abs=0.01)
    assert enu[:, 1].min() == pytest.approx(-local[:, 0].max(), abs=0.01)
    assert enu[:, 1].max() == pytest.approx(-local[:, 0].min(), abs=0.01)


def test_real_files(media_root, shared_data):
    """The two buildingSMART samples (a subset of classes, to keep the test fast)."""
    duplex = shared_data / "ifc" / "Duplex_A_20110907.ifc"
    _, report, bim = bim_import(path=duplex, classes=("IfcDoor", "IfcWindow"), workers=2)
    assert bim.schema == "IFC2X3" and bim.placement_source == "site_reference"
    assert (bim.placement["lon"], bim.placement["lat"]) == pytest.approx((-87.6394, 41.8744), abs=1e-4)
    assert BimElement.objects.filter(model=bim, ifc_class="IfcDoor").count() == 14
    assert BimElement.objects.filter(model=bim, ifc_class="IfcWindow").count() == 24
    assert [s["name"] for s in bim.storeys] == ["T/FDN", "Level 1", "Level 2", "Roof"]
    assert BimElement.objects.filter(model=bim, storey="Level 2").exists()

    # the same file placed in Tianshui by hand: the report says the file's own placement was overridden
    _, report, again = bim_import(
        path=duplex,
        classes=("IfcDoor",),
        workers=2,
        placement=ManualPlacement(lon=105.72, lat=34.58, base_height=1150),
    )
    assert again.pk == bim.pk and again.placement_source == "manual"
    assert any("overridden" in note for note in report.notes)
    assert BimElement.objects.filter(model=again).count() == 14  # re-import replaces the elements

    gym = shared_data / "ifc" / "example_project_location.ifc"
    _, report, bim = bim_import(path=gym, classes=("IfcDoor",), workers=2)
    assert bim.schema == "IFC4" and bim.placement_source == "map_conversion"
    assert bim.placement["crs"] == "EPSG:28992"
    assert (bim.placement["lon"], bim.placement["lat"]) == pytest.approx((5.309449, 51.712186), abs=1e-6)
    assert any("project unit" in note for note in report.notes)  # the mm Eastings of this file
    assert BimElement.objects.filter(model=bim).count() == 21


def test_tiles_validate_and_join_the_city(media_root, tmp_path):
    # a city building where the model will stand, and one beside it
    lon0, lat0 = 105.7193, 34.5779
    here = factories.building(lon0, lat0, size=0.0001, height=9.0, source_id="here")
    other = factories.building(lon0 + 0.002, lat0, size=0.0001, height=9.0, source_id="other")
    tiles_build()
    path = small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION)
    _, report, bim = bim_import(path=path, workers=1)
    assert bim.replaces_id == here.pk

    folder = _bim_dir(bim)
    doc = json.loads((folder / "tileset.json").read_text())
    assert tileset_errors(doc, SCHEMAS) == []
    assert doc["root"]["content"]["uri"].startswith("shell.glb")
    assert doc["root"]["children"][0]["content"]["uri"].startswith("elements.glb")
    reports = glb_reports([folder / "shell.glb", folder / "elements.glb"])
    assert [r["errors"] for r in reports] == [0, 0], reports
    # one feature per element with geometry: GlobalId, class, storey
    _, _, _, glb = _glb_world(bim)
    stored = {e.global_id: (e.ifc_class, e.storey) for e in BimElement.objects.filter(model=bim)}
    assert len(glb.properties["global_id"]) == 10
    for gid, cls, storey in zip(
        glb.properties["global_id"], glb.properties["ifc_class"], glb.properties["storey"], strict=True
    ):
        assert stored[gid] == (cls, storey)
    assert set(np.unique(glb.feature_ids)) == set(range(10))

    city = json.loads((Path(cim_settings.TILES_DIR) / "tileset.json").read_text())
    assert tileset_errors(city, SCHEMAS) == []
    links = [c for c in city["root"].get("children", []) if c["content"]["uri"].startswith("bim/")]
    assert [c["content"]["uri"].split("?")[0] for c in links] == [f"bim/{bim.pk}/tileset.json"]
    shown = set()
    for glb_path in (Path(cim_settings.TILES_DIR) / "t").glob("*.glb"):
        shown.update(read_glb(glb_path.read_bytes()).properties["id"])
    assert str(other.pk) in shown and str(here.pk) not in shown  # the replaced shell is left out


def test_command_reports_the_placement(media_root, tmp_path):
    path = small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION)
    out = StringIO()
    call_command("import_ifc", str(path), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "placed by map_conversion" in text and "EPSG:4544 E 566000.000 N 3828000.000" in text
    assert "bim_elements" in text


def _nothing_stored(before_runs: int) -> None:
    assert BimModel.objects.count() == 0 and BimElement.objects.count() == 0
    run = ImportRun.objects.order_by("-pk").first()
    assert ImportRun.objects.count() == before_runs + 1 and run.status == "failed"
    root = Path(cim_settings.BIM_TILES_DIR)
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


@pytest.mark.parametrize("case", ["truncated", "schema", "no_geometry", "no_placement", "not_ifc"])
def test_bad_files_are_refused_whole(media_root, tmp_path, case):
    path = tmp_path / f"{case}.ifc"
    if case == "truncated":
        good = small_ifc(tmp_path / "good.ifc", map_conversion=MAP_CONVERSION).read_bytes()
        path.write_bytes(good[: len(good) * 2 // 3])
        expected = "truncated"
    elif case == "schema":
        good = small_ifc(tmp_path / "good.ifc", map_conversion=MAP_CONVERSION).read_text()
        path.write_text(good.replace("FILE_SCHEMA(('IFC4'))", "FILE_SCHEMA(('IFC2X2_FINAL'))"))
        expected = "unsupported IFC schema"
    elif case == "no_geometry":
        small_ifc(path, map_conversion=MAP_CONVERSION, geometry=False)
        expected = "no element has any geometry"
    elif case == "no_placement":
        small_ifc(path)
        expected = "has no placement"
    else:
        path.write_text("hello")
        expected = "not an IFC STEP file"
    before = ImportRun.objects.count()
    with pytest.raises(ImportFailed) as err:
        bim_import(path=path, workers=1)
    assert expected in err.value.message and path.name in err.value.message
    _nothing_stored(before)


def test_command_errors_are_clear(media_root, tmp_path):
    path = small_ifc(tmp_path / "plain.ifc")
    with pytest.raises(CommandError, match="has no placement.*give a point"):
        call_command("import_ifc", str(path), "--no-progress")
    with pytest.raises(CommandError, match="expected LON,LAT"):
        call_command("import_ifc", str(path), "--at", "east")
    with pytest.raises(CommandError, match="no city building #999999"):
        call_command(
            "import_ifc",
            str(path),
            "--at",
            "105.7,34.5",
            "--base-height",
            "0",
            "--replaces",
            "999999",
            "--no-progress",
        )
    assert BimModel.objects.count() == 0 and Building.objects.count() == 0
