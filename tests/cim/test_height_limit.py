"""控高分析: the height-limit check against expectations computed here
independently (shapely + pyproj), its API, roles and bad input."""

from __future__ import annotations

import json
import random

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from pyproj import Transformer
from shapely.geometry import Polygon as ShapelyPolygon

from cim.errors import DomainError
from cim.models import AnalysisRun, AuditLog, HeightZone
from cim.services.analyses import height_limit as hl
from tests import factories as f

pytestmark = pytest.mark.django_db

TO_GK = Transformer.from_crs(4326, 4544, always_xy=True)
LON0, LAT0 = 105.700, 34.580


def square(lon0, lat0, lon1, lat1) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((lon0, lat0, lon1, lat1)), srid=4326)


@pytest.fixture
def block():
    """Four buildings in a row (west to east) and one outside every zone."""
    return {
        "low": f.building(LON0 + 0.001, LAT0 + 0.001, height=20.0, base_elevation=1100.0),
        "mid": f.building(LON0 + 0.003, LAT0 + 0.001, height=35.0, base_elevation=1102.0),
        "high": f.building(LON0 + 0.005, LAT0 + 0.001, height=50.0, base_elevation=1104.0),
        "nodem": f.building(LON0 + 0.007, LAT0 + 0.001, height=40.0, base_elevation=None),
        "outside": f.building(LON0 + 0.050, LAT0 + 0.050, height=300.0, base_elevation=1100.0),
    }


def _zone(by=None, **kw) -> HeightZone:
    defaults = {"name": "测试控高区", "geom": square(LON0, LAT0, LON0 + 0.008, LAT0 + 0.003),
                "datum": "ground", "max_height": 30.0}
    return hl.zone_create(zone=hl.ZoneInput(**{**defaults, **kw}), by=by)


def test_flat_limit_above_ground(block):
    block["high"].name = 'O\'Brien "大厦" \\ 1'  # quotes and a backslash survive the saved JSON
    block["high"].save()
    zone = _zone()
    run = hl.height_check(by="test", zones=[zone])
    over = {v["building"]: v for v in run.result["violations"]}
    assert set(over) == {block["mid"].pk, block["high"].pk, block["nodem"].pk}
    assert over[block["mid"].pk]["excess"] == pytest.approx(5.0)
    assert over[block["high"].pk]["excess"] == pytest.approx(20.0)
    assert over[block["nodem"].pk]["excess"] == pytest.approx(10.0)
    assert run.summary["checked"] == 4  # the building outside is not in the zone
    assert run.summary["max_excess"] == pytest.approx(20.0)
    assert [v["building"] for v in run.result["violations"]][0] == block["high"].pk  # worst first
    # the saved run reads back as it was returned (the same objects, keys in the same order)
    saved = AnalysisRun.objects.get(pk=run.pk).result
    assert saved == run.result
    assert [list(v) for v in saved["violations"]] == [list(v) for v in run.result["violations"]]
    assert saved["violations"][0]["name"] == 'O\'Brien "大厦" \\ 1'


def test_absolute_limit_uses_base_elevation_and_reports_unknown_ground(block, settings):
    zone = _zone(datum="absolute", max_height=1135.0)
    run = hl.height_check(by="test", zones=[zone])
    over = {v["building"]: v["excess"] for v in run.result["violations"]}
    # tops: low 1120, mid 1137, high 1154
    assert over == {block["mid"].pk: pytest.approx(2.0), block["high"].pk: pytest.approx(19.0)}
    assert [u["building"] for u in run.result["unknown"]] == [block["nodem"].pk]
    # the datum offset setting moves every top by the same amount
    settings.CIM = {**settings.CIM, "DATUM_1985_OFFSET_M": -2.5}
    run = hl.height_check(by="test", zones=[zone])
    assert {v["building"]: v["excess"] for v in run.result["violations"]} == {
        block["high"].pk: pytest.approx(16.5)}


def test_plane_limit_matches_an_independent_computation(block):
    # An approach surface rising eastwards from the zone's west edge: 10 m there, 1:20.
    origin = Point(LON0, LAT0 + 0.0015, srid=4326)
    zone = _zone(shape="plane", max_height=10.0, plane_origin=origin, plane_azimuth=90.0,
                 plane_slope=0.05)
    run = hl.height_check(by="test", zones=[zone])
    ox, oy = TO_GK.transform(origin.x, origin.y)
    zone_poly = ShapelyPolygon(zone.geom[0].coords[0])
    expected = {}
    for b in block.values():
        fp = ShapelyPolygon(b.footprint[0].coords[0])
        if not fp.intersects(zone_poly):
            continue
        part = fp.intersection(zone_poly)
        xs, ys = TO_GK.transform(*zip(*part.exterior.coords, strict=True))
        # azimuth 90°: distance along east = x - ox (the y term has cos 90° = 0)
        limit = 10.0 + 0.05 * min(x - ox for x in xs)
        assert ys  # the part has vertices
        if b.height - limit > hl.TOLERANCE_M:
            expected[b.pk] = round(b.height - limit, 2)
    got = {v["building"]: v["excess"] for v in run.result["violations"]}
    assert got == pytest.approx(expected, abs=0.02)
    assert expected  # the scene is built so that some buildings break the plane
    # the plane limit grows eastwards: the limit of "high" is above that of "low"
    limits = {v["building"]: v["limit"] for v in run.result["violations"]}
    if block["low"].pk in limits and block["high"].pk in limits:
        assert limits[block["high"].pk] > limits[block["low"].pk]


def test_plane_limit_is_taken_over_the_part_inside_the_zone():
    # The plane rises eastwards; two buildings straddle the zone's west edge, so the
    # plane over their whole footprint is 1.8 m lower than over their part inside
    # the zone.  One stands between the two limits (under its own), one above both.
    zone_geom = square(LON0, LAT0, LON0 + 0.008, LAT0 + 0.003)
    origin = Point(LON0 - 0.001, LAT0 + 0.0015, srid=4326)
    zone_poly = ShapelyPolygon(zone_geom[0].coords[0])
    ox, _ = TO_GK.transform(origin.x, origin.y)

    def limit(poly):  # azimuth 90°: the distance along it is x - ox
        xs, _ = TO_GK.transform(*zip(*poly.exterior.coords, strict=True))
        return 10.0 + 0.05 * min(x - ox for x in xs)

    def footprint(lon, lat, size=0.0006):
        return ShapelyPolygon([(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)])

    scene = {  # name: (west, south, metres above (+) or below (-) the limit over the part)
        "edge_under": (LON0 - 0.0004, LAT0 + 0.0005, -0.5),
        "edge_over": (LON0 - 0.0004, LAT0 + 0.0015, +0.5),
        "inside_over": (LON0 + 0.002, LAT0 + 0.0005, +0.3),
        "inside_under": (LON0 + 0.002, LAT0 + 0.0015, -0.3),
        "inside_low": (LON0 + 0.004, LAT0 + 0.0005, -20.0),
    }
    buildings, whole = {}, {}
    for name, (lon, lat, delta) in scene.items():
        fp = footprint(lon, lat)
        part_limit = limit(fp.intersection(zone_poly))
        whole[name] = limit(fp)
        buildings[name] = f.building(lon, lat, size=0.0006, height=round(part_limit + delta, 3),
                                     base_elevation=1100.0)
    assert buildings["edge_under"].height - whole["edge_under"] > 1.0  # over the whole footprint's limit
    zone = _zone(geom=zone_geom, shape="plane", max_height=10.0, plane_origin=origin, plane_azimuth=90.0,
                 plane_slope=0.05)
    run = hl.height_check(by="test", zones=[zone])
    got = {v["building"]: v for v in run.result["violations"]}
    assert set(got) == {buildings["edge_over"].pk, buildings["inside_over"].pk}
    for name in ("edge_over", "inside_over"):
        v = got[buildings[name].pk]
        assert v["excess"] == pytest.approx(scene[name][2], abs=0.011)
        assert v["limit"] == pytest.approx(buildings[name].height - scene[name][2], abs=0.011)
    assert run.summary["checked"] == 5


def test_result_numbers_are_rounded_as_round_does():
    # decimal ties that are not binary ties (2.675 is 2.67499999…), binary ties
    # (0.125: half to even), signed zeros, the non-finite, None, and many plain values
    rng = random.Random(13)
    values = [2.675, 1.005, 0.125, 0.375, -0.125, -2.675, 0.0, -0.0, 0.004, -0.004, 0.005, 1e300, -1e300,
              float("inf"), float("nan"), None, 105.12345675, 34.00000005, 5e-324]
    values += [rng.uniform(-600, 9000) for _ in range(20000)]
    values += [rng.randint(0, 90000) / 1000 for _ in range(20000)]  # millimetres: many decimal ties
    values += [rng.randint(0, 72000) / 8 for _ in range(5000)]  # eighths: binary ties
    values += [rng.uniform(73, 135) for _ in range(20000)]  # longitudes
    for digits in (2, 7):
        expected = [None if v is None else round(v, digits) for v in values]
        assert list(map(repr, hl._rounded(values, digits))) == list(map(repr, expected))


def test_zone_input_is_checked_field_by_field():
    with pytest.raises(DomainError) as err:
        _zone(max_height=None)
    assert err.value.field == "max_height"
    bowtie = Polygon(((LON0, LAT0), (LON0 + 0.01, LAT0 + 0.01), (LON0 + 0.01, LAT0), (LON0, LAT0 + 0.01),
                      (LON0, LAT0)), srid=4326)
    with pytest.raises(DomainError) as err:
        _zone(geom=bowtie)
    assert err.value.field == "geometry"
    with pytest.raises(DomainError) as err:
        _zone(shape="plane", plane_origin=Point(LON0, LAT0, srid=4326), plane_azimuth=400, plane_slope=0.1)
    assert err.value.field == "plane_azimuth"
    with pytest.raises(DomainError) as err:
        _zone(geom=square(500, LAT0, 501, LAT0 + 1))
    assert err.value.field == "geometry"
    assert HeightZone.objects.count() == 0


def _collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(props, lon0=LON0, lat0=LAT0):
    ring = [[lon0, lat0], [lon0 + 0.01, lat0], [lon0 + 0.01, lat0 + 0.01], [lon0, lat0 + 0.01], [lon0, lat0]]
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_api_roles_create_check_export(client_for, block):
    body = {"name": "伏羲庙保护范围(示例)", "datum": "ground", "max_height": 30,
            "geometry": {"type": "Polygon", "coordinates": [[
                [LON0, LAT0], [LON0 + 0.008, LAT0], [LON0 + 0.008, LAT0 + 0.003], [LON0, LAT0 + 0.003],
                [LON0, LAT0]]]}}
    zones_url, check_url = "/api/cim/analyses/height-zones/", "/api/cim/analyses/height-check/"
    assert client_for(None).post(zones_url, body, format="json").status_code in (401, 403)
    assert client_for("dispatcher").post(zones_url, body, format="json").status_code == 403
    planner = client_for("planner")
    created = planner.post("/api/cim/analyses/height-zones/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["properties"]["max_height"] == 30
    assert client_for("commander").post(check_url, {}, format="json").status_code == 403
    ran = planner.post(check_url, {"title": "test"}, format="json")
    assert ran.status_code == 201, ran.content
    run_id = ran.json()["id"]
    assert ran.json()["summary"]["violations"] == 3
    # planners read saved results; commanders see flood results only (issue 13, "Everywhere")
    seen = planner.get(f"/api/cim/analyses/runs/{run_id}/")
    assert seen.status_code == 200 and len(seen.json()["result"]["violations"]) == 3
    assert client_for("commander").get(f"/api/cim/analyses/runs/{run_id}/").status_code == 404
    assert client_for("responder").get(f"/api/cim/analyses/runs/{run_id}/").status_code == 403
    csv = planner.get(f"/api/cim/analyses/runs/{run_id}/csv/")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("building,name,use") and len(lines) == 4
    assert "伏羲庙保护范围(示例)" in lines[1]
    assert AuditLog.objects.filter(action="analysis.height_limit", object_id=str(run_id)).exists()
    assert AuditLog.objects.filter(action="height_zone.create").count() == 1


def test_api_bad_input_names_the_field(client_for):
    planner = client_for("planner")
    r = planner.post("/api/cim/analyses/height-zones/", {"name": "x", "datum": "ground",
                     "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
                     format="json")
    assert r.status_code == 400 and r.json()["field"] == "max_height"
    r = planner.post("/api/cim/analyses/height-check/", {"zones": [999999]}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "zones"
    r = planner.post("/api/cim/analyses/height-check/", {}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "zones"  # no zone at all


def test_import_is_all_or_nothing(client_for):
    planner = client_for("planner")
    good = _feature({"name": "A", "max_height": 24, "datum": "ground"})
    bad = _feature({"name": "B", "datum": "ground"})  # no max_height
    r = planner.post("/api/cim/analyses/height-zones/import/",
                     {"document": _collection(good, bad)}, format="json")
    assert r.status_code == 400
    assert r.json()["field"] == "features[1].max_height"
    assert HeightZone.objects.count() == 0
    plane = _feature({"name": "净空面", "max_height": 5, "shape": "plane", "plane_origin": [LON0, LAT0],
                      "plane_azimuth": 45, "plane_slope": 0.02})
    r = planner.post("/api/cim/analyses/height-zones/import/",
                     {"document": _collection(good, plane), "datum": "absolute"}, format="json")
    assert r.status_code == 201, r.content
    assert sorted(HeightZone.objects.values_list("name", "datum", "shape")) == [
        ("A", "ground", "flat"), ("净空面", "absolute", "plane")]
    r = planner.post("/api/cim/analyses/height-zones/import/", {"document": json.dumps([1])}, format="json")
    assert r.status_code == 400


def test_runs_record_the_model_version(block):
    run = hl.height_check(by="test", zones=[_zone()])
    assert "5 bldg" in run.model_version
    assert AnalysisRun.objects.get(pk=run.pk).params["zones"] == [HeightZone.objects.get().pk]


def test_plane_origin_must_be_a_point(client_for):
    ring = [[LON0, LAT0], [LON0 + 0.01, LAT0], [LON0 + 0.01, LAT0 + 0.01], [LON0, LAT0]]
    r = client_for("planner").post("/api/cim/analyses/height-zones/", {
        "name": "x", "datum": "absolute", "max_height": 1200, "shape": "plane", "plane_azimuth": 10,
        "plane_slope": 0.02, "geometry": {"type": "Polygon", "coordinates": [ring]},
        "plane_origin": {"type": "Polygon", "coordinates": [ring]}}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "plane_origin"


def test_pdf_report(client_for, block, tmp_path):
    import shutil
    import subprocess

    run = hl.height_check(by="test", zones=[_zone()])
    r = client_for("planner").get(f"/api/cim/analyses/runs/{run.pk}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(r.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "测试控高区" in text and "+20.0" in text
