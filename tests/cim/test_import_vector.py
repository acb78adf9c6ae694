"""``import_vector``: GeoJSON, GeoPackage and Shapefile (made here with
ogr2ogr from GeoJSON), field mapping, reprojection, road nodes, bad input."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pyproj
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cim.choices import ImportStatus
from cim.models import AdminArea, Building, ImportRun, RejectedFeature, RoadNode, RoadSegment, ServicePoint
from tests import factories as f

pytestmark = pytest.mark.django_db

X, Y = 105.72, 34.58  # 秦州区


def box(x: float, y: float, size: float = 0.0002) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def ogr(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(["ogr2ogr", *args, str(dst), str(src)], check=True, capture_output=True)
    return dst


def run_import(path: Path, *args: str) -> tuple[ImportRun, str]:
    out = io.StringIO()
    call_command("import_vector", str(path), "--no-progress", *args, stdout=out)
    return ImportRun.objects.latest("id"), out.getvalue()


def buildings_file(path: Path) -> Path:
    bow_tie = [[[X, Y], [X + 0.001, Y + 0.001], [X + 0.001, Y], [X, Y + 0.001], [X, Y]]]
    return write_geojson(path, [
        feature({"BID": "A1", "HOEHE": 24.5, "NAME": "一号楼", "NUTZUNG": "住宅", "BAUJAHR": 1998},
                {"type": "Polygon", "coordinates": box(X, Y)}),
        feature({"BID": "A2", "HOEHE": None, "STOCK": 6, "NUTZUNG": "commercial"},
                {"type": "Polygon", "coordinates": box(X + 0.001, Y)}),
        feature({"BID": "A3", "HOEHE": "12 m", "NUTZUNG": "apartments"},
                {"type": "MultiPolygon", "coordinates": [box(X + 0.002, Y)]}),
        feature({"BID": "B1", "HOEHE": 30}, {"type": "Polygon", "coordinates": bow_tie}),
        feature({"BID": "B2", "HOEHE": 30}, None),
        feature({"BID": "B3", "HOEHE": 0}, {"type": "Polygon", "coordinates": box(X + 0.003, Y)}),
        feature({"BID": "B4", "HOEHE": 2000}, {"type": "Polygon", "coordinates": box(X + 0.004, Y)}),
        feature({"BID": "B5", "NUTZUNG": "spaceport"}, {"type": "Polygon", "coordinates": box(X + 0.005, Y)}),
        feature({"BID": "B6"}, {"type": "Point", "coordinates": [X, Y]}),
        feature({"BID": "A1", "HOEHE": 10}, {"type": "Polygon", "coordinates": box(X + 0.006, Y)}),
        feature({"BID": "B7", "HOEHE": "tall"}, {"type": "Polygon", "coordinates": box(X + 0.007, Y)}),
    ])


BUILDING_MAP = ["--kind", "buildings", "--id-field", "BID", "--map", "height=HOEHE", "--map", "name=NAME",
                "--map", "use=NUTZUNG", "--map", "floors=STOCK", "--map", "year_built=BAUJAHR"]


def test_geojson_buildings_mapping_and_rejections(tmp_path):
    district = f.admin_area("620502", "秦州区", "district", bbox=(105.6, 34.5, 105.8, 34.7))
    run, summary = run_import(buildings_file(tmp_path / "gebaeude.geojson"), *BUILDING_MAP)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.counts["buildings"]["read"] == 11 and run.counts["buildings"]["imported"] == 3
    assert run.counts["buildings"]["rejected_by_reason"] == {
        "invalid_geometry": 1, "empty_geometry": 1, "absurd_height": 2, "unknown_value": 1,
        "wrong_geometry_type": 1, "duplicate_id": 1, "bad_value": 1}
    reasons = dict(RejectedFeature.objects.filter(run=run).values_list("source_id", "detail"))
    assert "Self-intersection" in reasons["B1"] and "spaceport" in reasons["B5"]
    assert "2000" in reasons["B4"] and "Point" in reasons["B6"] and "tall" in reasons["B7"]
    a1 = Building.objects.get(source="gebaeude", source_id="A1")
    assert (a1.height, a1.height_source, a1.name, a1.use, a1.year_built) == (
        24.5, "measured", "一号楼", "residential", 1998)
    assert a1.admin_area == district and a1.tags["NUTZUNG"] == "住宅"
    a2 = Building.objects.get(source_id="A2")
    assert (a2.height, a2.height_source, a2.floors, a2.use) == (18.0, "levels", 6, "commercial")
    assert Building.objects.get(source_id="A3").height == 12.0
    assert "invalid_geometry" in summary

    again, _ = run_import(tmp_path / "gebaeude.geojson", *BUILDING_MAP)
    assert again.counts["buildings"]["updated"] == 3 and Building.objects.count() == 3


def test_geopackage_and_projected_shapefile(tmp_path):
    src = buildings_file(tmp_path / "src.geojson")
    gpkg = ogr(src, tmp_path / "city.gpkg", "-f", "GPKG", "-nln", "bauten")
    run, _ = run_import(gpkg, *BUILDING_MAP, "--layer", "bauten", "--source", "gpkg")
    assert run.counts["buildings"]["imported"] == 3
    # Shapefile in CGCS2000 / 3-degree Gauss-Kruger CM 105E: reprojected back to lon/lat.
    shp = ogr(src, tmp_path / "city.shp", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4544", "-skipfailures",
              "-lco", "ENCODING=UTF-8")
    run, _ = run_import(shp, *BUILDING_MAP, "--source", "shp")
    assert run.counts["buildings"]["imported"] == 3
    a1_gpkg = Building.objects.get(source="gpkg", source_id="A1")
    a1_shp = Building.objects.get(source="shp", source_id="A1")
    assert a1_shp.centroid.x == pytest.approx(a1_gpkg.centroid.x, abs=1e-7)
    assert a1_shp.centroid.y == pytest.approx(a1_gpkg.centroid.y, abs=1e-7)

    # Without its .prj the Shapefile has no CRS: refused, then accepted with --source-crs.
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CommandError, match=r"city\.shp: the layer has no coordinate reference system"):
        run_import(shp, *BUILDING_MAP, "--source", "noprj")
    assert ImportRun.objects.latest("id").status == ImportStatus.FAILED
    assert not Building.objects.filter(source="noprj").exists()
    run_import(shp, *BUILDING_MAP, "--source", "noprj", "--source-crs", "EPSG:4544")
    assert Building.objects.get(source="noprj", source_id="A1").centroid.x == pytest.approx(
        a1_gpkg.centroid.x, abs=1e-7)


def test_roads_get_nodes_snapped_within_tolerance(tmp_path):
    to_m = pyproj.Transformer.from_crs(4326, 32648, always_xy=True)
    x0, y0 = to_m.transform(X, Y)
    back = pyproj.Transformer.from_crs(32648, 4326, always_xy=True)

    def at(dx: float, dy: float) -> list[float]:
        return list(back.transform(x0 + dx, y0 + dy))

    path = write_geojson(tmp_path / "strassen.geojson", [
        feature({"id": "r1", "klasse": "primary", "v": 50, "name": "民主路"},
                {"type": "LineString", "coordinates": [at(0, 0), at(100, 0)]}),
        feature({"id": "r2", "klasse": "次干路", "einbahn": "yes"},  # starts 0.4 m from r1's end
                {"type": "LineString", "coordinates": [at(100.4, 0), at(100.4, 80)]}),
        feature({"id": "r3", "klasse": "footway", "einbahn": "-1"},
                {"type": "LineString", "coordinates": [at(0, 0.3), at(-50, 0)]}),
        feature({"id": "r4", "klasse": "hyperloop"},
                {"type": "LineString", "coordinates": [at(0, 0), at(5, 5)]}),
        feature({"id": "r5", "klasse": "primary", "v": 900},
                {"type": "LineString", "coordinates": [at(0, 10), at(5, 10)]}),
    ])
    run, _ = run_import(path, "--kind", "roads", "--id-field", "id", "--map", "road_class=klasse",
                        "--map", "speed_kmh=v", "--map", "oneway=einbahn")
    assert run.counts["roads"]["imported"] == 3
    assert run.counts["roads"]["rejected_by_reason"] == {"unknown_value": 1, "out_of_range": 1}
    r1, r2, r3 = (RoadSegment.objects.get(source="strassen", source_id=i) for i in ("r1", "r2", "r3"))
    assert r1.to_node_id == r2.from_node_id  # 0.4 m apart: one junction
    assert r1.from_node_id == r3.to_node_id  # r3 is reversed (oneway=-1) and ends where r1 starts
    assert RoadNode.objects.filter(source="strassen").count() == 4
    assert (r1.speed_kmh, r1.speed_from_tag, r1.road_class, r1.name) == (50.0, True, "primary", "民主路")
    assert r2.road_class == "secondary" and r2.oneway and not r2.speed_from_tag
    assert r3.road_class == "pedestrian" and r3.oneway
    assert r1.length_m == pytest.approx(100.0, abs=0.5)  # metres on the ellipsoid, not degrees
    assert r1.geom.coords[-1] == pytest.approx(r2.geom.coords[0])  # ends moved onto the node


def test_service_points_and_admin_areas(tmp_path, shared_data):
    run, _ = run_import(shared_data / "tianshui" / "tianshui_admin_wgs84.geojson", "--kind", "admin_areas",
                        "--map", "code=adcode")
    assert run.counts["admin_areas"]["imported"] == 8
    qinzhou = AdminArea.objects.get(code="620502")
    assert qinzhou.name == "秦州区" and qinzhou.level == "district" and qinzhou.parent.code == "620500"
    assert qinzhou.boundary.contains(qinzhou.boundary.point_on_surface)

    path = write_geojson(tmp_path / "poi.geojson", [
        feature({"code": "h1", "type": "医院", "name": "天水市第一人民医院", "tel": "0938-1234567"},
                {"type": "Point", "coordinates": [X, Y]}),
        feature({"code": "p1", "type": "police"}, {"type": "Point", "coordinates": [X + 0.01, Y]}),
        feature({"code": "s1", "type": "shelter", "name": "广场"},
                {"type": "Polygon", "coordinates": box(X + 0.02, Y, 0.002)}),
        feature({"code": "x1", "type": "casino"}, {"type": "Point", "coordinates": [X, Y]}),
    ])
    run, _ = run_import(path, "--kind", "service_points", "--id-field", "code", "--map", "category=type",
                        "--map", "phone=tel")
    assert run.counts["service_points"]["imported"] == 3
    assert run.counts["service_points"]["rejected_by_reason"] == {"unknown_value": 1}
    hospital = ServicePoint.objects.get(source="poi", source_id="h1")
    assert hospital.category == "hospital" and hospital.phone == "0938-1234567"
    assert hospital.admin_area.code == "620502"  # the finest area that covers it
    assert ServicePoint.objects.get(source_id="p1").category == "police_station"
    shelter = ServicePoint.objects.get(source_id="s1")
    assert shelter.geom.x == pytest.approx(X + 0.021)


def test_bad_inputs_fail_cleanly(tmp_path):
    run_import(buildings_file(tmp_path / "good.geojson"), *BUILDING_MAP)
    before = list(Building.objects.order_by("id").values_list("source_id", "height", "footprint"))
    gpkg = ogr(tmp_path / "good.geojson", tmp_path / "city.gpkg", "-f", "GPKG")
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(gpkg.read_bytes()[:5000])
    not_json = tmp_path / "broken.geojson"
    not_json.write_text('{"type": "FeatureCollection", "features": [{"type": ')
    txt = tmp_path / "notes.txt"
    txt.write_text("x,y\n1,2\n")
    csv = shutil.copy(txt, tmp_path / "points.csv")
    cases = [
        (cut, "cut.gpkg: GDAL cannot open it"),
        (not_json, "broken.geojson: GDAL cannot open it"),
        (txt, "notes.txt: unknown format '.txt'"),
        (Path(csv), "points.csv: unknown format '.csv'"),
        (tmp_path / "missing.geojson", "missing.geojson: file not found"),
    ]
    for path, message in cases:
        with pytest.raises(CommandError, match=message):
            run_import(path, *BUILDING_MAP)
        failed = ImportRun.objects.latest("id")
        assert failed.status == ImportStatus.FAILED and message.split(": ", 1)[1] in failed.message
    with pytest.raises(CommandError, match="has no field 'HEIGHT'"):
        run_import(tmp_path / "good.geojson", "--kind", "buildings", "--map", "height=HEIGHT")
    with pytest.raises(CommandError, match="'colour' is not a target of buildings"):
        run_import(tmp_path / "good.geojson", "--kind", "buildings", "--map", "colour=NAME")
    assert list(Building.objects.order_by("id").values_list("source_id", "height", "footprint")) == before


def test_coordinates_outside_the_crs_are_refused(tmp_path):
    """issue 12, security fix 11: a polygon at longitude 500 (or a projected file
    whose coordinates lie outside its CRS's area) is refused with the reason;
    the rest of the file loads."""
    path = write_geojson(tmp_path / "stray.geojson", [
        feature({"BID": "OK1", "HOEHE": 12}, {"type": "Polygon", "coordinates": box(X, Y)}),
        feature({"BID": "LON500", "HOEHE": 12}, {"type": "Polygon", "coordinates": box(500.0, Y)}),
        feature({"BID": "LAT95", "HOEHE": 12}, {"type": "Polygon", "coordinates": box(X, 95.0)}),
    ])
    run, _ = run_import(path, "--kind", "buildings", "--id-field", "BID", "--map", "height=HOEHE")
    assert set(Building.objects.values_list("source_id", flat=True)) == {"OK1"}
    refused = {r.source_id: r for r in RejectedFeature.objects.filter(run=run)}
    assert set(refused) == {"LON500", "LAT95"}
    assert refused["LON500"].reason == "out_of_range" and "lon 500" in refused["LON500"].detail

    # CGCS2000 3° GK zone 35 (CM 105° E): easting 35,500,000 ± 150 km is the zone;
    # a footprint 2,000 km east lies outside the CRS's area of use.
    gk = pyproj.Transformer.from_crs(4326, 4544, always_xy=True)
    e, n = gk.transform(X, Y)

    def square(x0, y0):
        return [[[x0, y0], [x0 + 20, y0], [x0 + 20, y0 + 20], [x0, y0 + 20], [x0, y0]]]

    src = write_geojson(tmp_path / "gk.geojson", [
        feature({"BID": "GK1", "HOEHE": 9}, {"type": "Polygon", "coordinates": square(e, n)}),
        feature({"BID": "FAR", "HOEHE": 9}, {"type": "Polygon", "coordinates": square(e + 2_000_000, n)}),
    ])
    run, _ = run_import(src, "--kind", "buildings", "--id-field", "BID", "--map", "height=HOEHE",
                        "--source-crs", "EPSG:4544", "--source", "gk")
    assert set(Building.objects.filter(source="gk").values_list("source_id", flat=True)) == {"GK1"}
    far = RejectedFeature.objects.get(run=run, source_id="FAR")
    assert far.reason == "out_of_range" and "outside the valid area" in far.detail


def test_chinese_values_map_whatever_language_is_active(tmp_path):
    """A request or test that left English active must not change what '住宅' means."""
    from django.utils import translation

    with translation.override("en"):
        run, _ = run_import(buildings_file(tmp_path / "gebaeude.geojson"), *BUILDING_MAP)
    assert run.counts["buildings"]["imported"] == 3
    assert Building.objects.get(source_id="A1").use == "residential"
