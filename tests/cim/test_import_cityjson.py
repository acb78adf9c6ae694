"""``import_cityjson`` on the real Delft, Rotterdam and Den Haag files and on
broken ones."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyproj
import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.core.management.base import CommandError

from cim.choices import ImportStatus
from cim.importers.cityjson_reader import epsg_from_reference, split_crs
from cim.models import Building, ImportRun, RejectedFeature

pytestmark = pytest.mark.django_db


def run_import(path: Path, *args: str) -> tuple[ImportRun, str]:
    out = io.StringIO()
    call_command("import_cityjson", str(path), "--no-progress", *args, stdout=out)
    return ImportRun.objects.latest("id"), out.getvalue()


@pytest.mark.parametrize("text,code", [
    ("https://www.opengis.net/def/crs/EPSG/0/7415", 7415),
    ("http://www.opengis.net/def/crs/EPSG/0/28992", 28992),
    ("urn:ogc:def:crs:EPSG::7415", 7415), ("urn:ogc:def:crs:EPSG:1.0:28992", 28992), ("EPSG:4547", 4547),
    ("", None), (None, None),
])
def test_reference_system_forms(text, code):
    assert epsg_from_reference(text) == code


def test_compound_crs_uses_its_horizontal_part():
    horizontal, vertical = split_crs(7415)
    assert horizontal.to_epsg() == 28992 and vertical == "NAP height"


def test_delft_lod1(shared_data):
    run, summary = run_import(shared_data / "cityjson" / "delft.json")
    assert run.status == ImportStatus.SUCCEEDED
    assert run.counts["buildings"]["read"] == 160 and run.counts["buildings"]["imported"] == 160
    assert run.counts["buildings"]["skipped"] == 410  # roads, plants, land use… are not buildings
    assert "160" in summary
    buildings = Building.objects.filter(source="delft")
    assert buildings.count() == 160 and set(buildings.values_list("lod", flat=True)) == {1}
    b = buildings.get(source_id="b1105d28c-00ba-11e6-b420-2bdcc4ab5d7f")
    # Its label point (RD New, in the attributes) reprojected independently lies in the footprint.
    x, y = map(float, b.tags["plaatsingspunt"].strip("(1:)").split())
    lon, lat = pyproj.Transformer.from_crs(28992, 4326, always_xy=True).transform(x, y)
    assert b.footprint.distance(Point(lon, lat, srid=4326)) < 2e-5  # about a metre
    assert b.height_source == "model" and 0 < b.height < 30
    solid = b.solid
    assert solid["lod"] == "1" and solid["crs"] == "EPSG:7415" and solid["crs_z"] == "NAP height"
    zs = [v[2] for v in solid["vertices"]]
    assert b.height == pytest.approx(max(zs) - min(zs), abs=0.001)
    assert all(0 <= i < len(solid["vertices"]) for face in solid["faces"] for ring in face for i in ring)
    assert len(solid["semantics"]) == len(solid["faces"])
    assert b.tags["identificatiebagpnd"] == "503100000000035"
    # footprint: the xy outline of the solid, about its roof/floor area
    lons = [v[0] for v in solid["vertices"]]
    assert b.footprint.extent[0] == pytest.approx(min(lons), abs=1e-7)

    again, _ = run_import(shared_data / "cityjson" / "delft.json")
    assert again.counts["buildings"]["updated"] == 160 and buildings.count() == 160


def test_building_parts_merge_and_missing_crs(shared_data):
    path = shared_data / "cityjson" / "DH_01_subs.city.json"
    with pytest.raises(CommandError, match=r"DH_01_subs\.city\.json: the file declares no coordinate "
                                           r"reference system .* --crs"):
        run_import(path)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and "--crs" in failed.message
    assert not Building.objects.exists()

    run, _ = run_import(path, "--crs", "EPSG:28992")
    assert run.counts["buildings"] == {"read": 4, "imported": 4, "inserted": 4, "updated": 0, "rejected": 0}
    b = Building.objects.get(source="DH_01_subs", source_id="GUID_8CE54418-E2F7-49A7-9A8D-C3D172BA62C4")
    doc = json.loads(path.read_text())
    parts = doc["CityObjects"][b.source_id]["children"]
    assert len(parts) == 2
    part_faces = sum(len(doc["CityObjects"][p]["geometry"][0]["boundaries"][0]) for p in parts)
    assert len(b.solid["faces"]) == part_faces  # both parts' faces in one solid
    assert b.lod == 2 and b.solid["crs_z"] is None
    assert {"RoofSurface", "WallSurface", "GroundSurface"} <= set(b.solid["semantics"])
    assert 4.27 < b.centroid.x < 4.28 and 52.10 < b.centroid.y < 52.11  # Den Haag


def test_rotterdam_lod2(shared_data):
    run, _ = run_import(shared_data / "cityjson" / "rotterdam_subset.json", "--crs", "EPSG:7415")
    assert run.counts["buildings"]["imported"] == 16
    lods = Building.objects.filter(source="rotterdam_subset").values_list("lod", "solid__lod")
    assert set(lods) == {(2, "2")}
    assert all(b.footprint.valid for b in Building.objects.all())


def _doc(objects: dict, vertices: list, **extra) -> dict:
    return {"type": "CityJSON", "version": "2.0", "transform": {"scale": [0.01, 0.01, 0.01],
                                                                 "translate": [85000, 447000, 0]},
            "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/28992"},
            "CityObjects": objects, "vertices": vertices, **extra}


def _cube(base: int) -> dict:
    return {"type": "Solid", "lod": "1", "boundaries": [[
        [[base + 0, base + 3, base + 2, base + 1]], [[base + 4, base + 5, base + 6, base + 7]],
        [[base + 0, base + 1, base + 5, base + 4]], [[base + 1, base + 2, base + 6, base + 5]],
        [[base + 2, base + 3, base + 7, base + 6]], [[base + 3, base + 0, base + 4, base + 7]]]]}


def test_bad_buildings_are_rejected_and_bad_files_refused(tmp_path, shared_data):
    run_import(shared_data / "cityjson" / "DH_01_subs.city.json", "--crs", "EPSG:28992")
    before = list(Building.objects.order_by("id").values_list("source_id", "height", "solid"))
    cube = [[0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0],
            [0, 0, 1000], [1000, 0, 1000], [1000, 1000, 1000], [0, 1000, 1000]]
    flat = [[0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0],
            [0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0]]
    path = tmp_path / "mixed.city.json"
    path.write_text(json.dumps(_doc({
        "ok": {"type": "Building", "geometry": [_cube(0)]},
        "flat": {"type": "Building", "geometry": [_cube(8)]},
        "nothing": {"type": "Building"},
        "broken": {"type": "Building", "geometry": [{"type": "Solid", "lod": "1",
                                                     "boundaries": [[[[0, 1, 999]]]]}]},
    }, cube + flat)))
    run, _ = run_import(path)
    assert run.counts["buildings"]["imported"] == 1
    reasons = dict(RejectedFeature.objects.filter(run=run).values_list("source_id", "reason"))
    assert reasons == {"flat": "absurd_height", "nothing": "empty_geometry", "broken": "bad_value"}
    assert Building.objects.get(source="mixed", source_id="ok").height == pytest.approx(10.0)

    bad = {
        "broken.json": '{"type": "CityJSON", "version": "2.0", "CityObj',
        "old.json": json.dumps({**_doc({}, []), "version": "0.9"}),
        "other.json": json.dumps({"type": "FeatureCollection", "features": []}),
        "notes.txt": "hello",
    }
    messages = {"broken.json": "not valid JSON", "old.json": "version '0.9' is not supported",
                "other.json": "not a CityJSON document", "notes.txt": "unknown format"}
    for name, content in bad.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(CommandError, match=f"{name}: .*{messages[name]}"):
            run_import(tmp_path / name)
        assert ImportRun.objects.latest("id").status == ImportStatus.FAILED
    assert list(Building.objects.filter(source="DH_01_subs").order_by("id").values_list(
        "source_id", "height", "solid")) == before


def test_a_building_outside_the_area_of_its_crs_is_rejected_with_the_reason(tmp_path):
    """Issue 12 §3.11 for CityJSON: coordinates outside the valid area of the
    file's CRS (here 5,000 km east of the Netherlands in RD New) are refused
    in the import report; the building that lies in it is stored."""
    cube = [[0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0],
            [0, 0, 1000], [1000, 0, 1000], [1000, 1000, 1000], [0, 1000, 1000]]
    far = [[x + 500_000_000, y, z] for x, y, z in cube]
    path = tmp_path / "far.city.json"
    path.write_text(json.dumps(_doc({
        "near": {"type": "Building", "geometry": [_cube(0)]},
        "far": {"type": "Building", "geometry": [_cube(8)]},
    }, cube + far)))
    run, _ = run_import(path)
    assert run.counts["buildings"]["imported"] == 1
    refused = RejectedFeature.objects.get(run=run, source_id="far")
    assert refused.reason == "out_of_range" and "outside the valid area" in refused.detail
    assert list(Building.objects.filter(source="far").values_list("source_id", flat=True)) == ["near"]
