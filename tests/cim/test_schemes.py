"""方案比对: design schemes read from GeoJSON / GeoPackage / CityJSON, their
indicators against figures worked out here by hand from the drawn
rectangles, the height-limit check of planned buildings, comparisons, the
PDF, and every kind of bad input refused with the field named and nothing
stored."""

from __future__ import annotations

import base64
import io
import json
import subprocess

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pyproj import Transformer

from cim.errors import DomainError
from cim.models import AnalysisRun, AuditLog, Building, DesignScheme, SchemeBuilding
from cim.services.analyses import height_limit as hl
from cim.services.analyses import scheme as sc
from tests import factories as f

pytestmark = pytest.mark.django_db

GK = 4544
TO_LONLAT = Transformer.from_crs(GK, 4326, always_xy=True)
TO_GK = Transformer.from_crs(4326, GK, always_xy=True)
# The site: 100 m × 80 m in the metric CRS, near Tianshui (秦州区).
X0, Y0 = TO_GK.transform(105.72, 34.58)
SITE = (X0, Y0, X0 + 100, Y0 + 80)


def rect_m(x0, y0, w, h):
    return [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]


def lonlat(ring):
    return [list(TO_LONLAT.transform(x, y)) for x, y in ring]


def feature(ring_m, *, metric=False, **props):
    ring = ring_m if metric else lonlat(ring_m)
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def collection(*features, crs=None):
    doc = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def upload(name, doc) -> SimpleUploadedFile:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return SimpleUploadedFile(name, data)


def site_file(ring=None):
    return upload("site.geojson", collection(feature(ring or rect_m(X0, Y0, 100, 80), name="地块")))


# Two towers (20 × 30 m, 10 floors, 30 m; 20 × 20 m, 5 floors, 15 m) and a green of 40 × 20 m.
TOWER_A = rect_m(X0 + 10, Y0 + 10, 20, 30)
TOWER_B = rect_m(X0 + 50, Y0 + 10, 20, 20)
GREEN = rect_m(X0 + 10, Y0 + 50, 40, 20)


def scheme_a_files():
    return {
        "site": site_file(),
        "buildings": upload("a.geojson", collection(
            feature(TOWER_A, id="A1", name="1号楼", height=30, floors=10, use="住宅"),
            feature(TOWER_B, id="A2", name="2号楼", height=15, floors=5, use="commercial"))),
        "green": upload("green.geojson", collection(feature(GREEN))),
    }


def make(name="方案一", by="test", **files):
    return sc.scheme_create(name=name, by=by, **{**scheme_a_files(), **files})


def test_indicators_match_the_drawn_rectangles():
    scheme = make()
    ind = scheme.indicators
    assert ind["site_area_m2"] == pytest.approx(8000, rel=1e-6)
    # GFA = 600 m² × 10 + 400 m² × 5 = 8,000 m² on 8,000 m²: FAR 1.0
    assert ind["gross_floor_area_m2"] == pytest.approx(8000, rel=1e-6)
    assert ind["far"] == pytest.approx(1.0, abs=1e-4)
    assert ind["coverage"] == pytest.approx(1000 / 8000, abs=1e-4)
    assert ind["green_ratio"] == pytest.approx(800 / 8000, abs=1e-4)
    assert ind["max_height_m"] == 30
    assert ind["buildings"] == 2
    assert ind["gfa_by_use"] == {"commercial": pytest.approx(2000, rel=1e-6),
                                 "residential": pytest.approx(6000, rel=1e-6)}
    assert ind["height_limit"]["zones"] == 0
    assert scheme.buildings.count() == 2
    assert AuditLog.objects.filter(action="scheme.create", object_id=str(scheme.pk)).exists()


def test_the_city_model_is_not_touched_and_replaced_buildings_are_those_on_the_site():
    on_site = f.building(*TO_LONLAT.transform(X0 + 85, Y0 + 60), size=0.0001, height=12.0)
    beside = f.building(*TO_LONLAT.transform(X0 + 150, Y0 + 40), size=0.0001, height=12.0)
    before = Building.objects.count()
    scheme = make()
    assert Building.objects.count() == before
    assert sc.city_buildings_on_site(scheme) == [on_site.pk]
    assert beside.pk not in sc.scheme_geojson(scheme)["replaces"]


def test_floors_are_estimated_from_height_when_missing_and_the_green_ratio_left_out_without_green():
    scheme = make(buildings=upload("b.geojson", collection(feature(TOWER_A, id="B1", height=31))), green=None)
    b = scheme.buildings.get()
    assert (b.floors, b.floors_estimated) == (10, True)  # 31 m / 3 m per storey
    assert scheme.indicators["green_ratio"] is None
    assert scheme.indicators["floors_estimated"] == 1
    assert scheme.indicators["far"] == pytest.approx(600 * 10 / 8000, abs=1e-4)


def test_height_limit_violations_of_planned_buildings_use_the_height_limit_service():
    zone_ring = lonlat(rect_m(X0 - 5, Y0 - 5, 110, 90))
    hl.zone_create(zone=hl.ZoneInput(name="风貌控制区", geom=MultiPolygon(Polygon(zone_ring), srid=4326),
                                     datum="ground", max_height=24.0), by="test")
    scheme = make()
    check = scheme.indicators["height_limit"]
    assert (check["zones"], check["checked"], check["violations"]) == (1, 2, 1)
    assert check["max_excess"] == pytest.approx(6.0)
    assert check["items"][0]["name"] == "1号楼"


def test_metric_crs_geojson_and_geopackage_and_cityjson_read_alike(tmp_path):
    metric = collection(feature(TOWER_A, metric=True, id="A1", height=30, floors=10, use="residential"),
                        feature(TOWER_B, metric=True, id="A2", height=15, floors=5, use="commercial"),
                        crs="urn:ogc:def:crs:EPSG::4544")
    src = tmp_path / "a.geojson"
    src.write_text(json.dumps(metric))
    gpkg = tmp_path / "a.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(gpkg), str(src)], check=True, capture_output=True)
    s1 = make(buildings=upload("a.geojson", metric))
    s2 = make(buildings=SimpleUploadedFile("a.gpkg", gpkg.read_bytes()))
    s3 = make(buildings=upload("a.city.json", _cityjson()))
    assert s2.source_format == "gpkg" and s3.source_format == "cityjson"
    for s in (s1, s2, s3):
        assert s.indicators["far"] == pytest.approx(1.0, abs=1e-3)
        assert s.indicators["coverage"] == pytest.approx(0.125, abs=1e-4)


def _cityjson():
    """The two towers as LoD1 solids in EPSG:4544 (storeys given, heights from the geometry)."""
    vertices, objects = [], {}
    for key, ring, height, storeys in (("A1", TOWER_A, 30, 10), ("A2", TOWER_B, 15, 5)):
        base = len(vertices)
        corners = ring[:4]
        vertices += [[x, y, 1150.0] for x, y in corners] + [[x, y, 1150.0 + height] for x, y in corners]
        b = list(range(base, base + 4))
        t = list(range(base + 4, base + 8))
        faces = [[b[::-1]], [t]] + [[[b[i], b[(i + 1) % 4], t[(i + 1) % 4], t[i]]] for i in range(4)]
        objects[key] = {"type": "Building",
                        "attributes": {"storeysAboveGround": storeys, "use": "residential"},
                        "geometry": [{"type": "Solid", "lod": "1", "boundaries": [faces]}]}
    return {"type": "CityJSON", "version": "2.0", "metadata": {"referenceSystem":
            "https://www.opengis.net/def/crs/EPSG/0/4544"}, "CityObjects": objects, "vertices": vertices}


BOWTIE = [[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]


@pytest.mark.parametrize(("files", "field", "words"), [
    ({"buildings": upload("a.geojson", collection(feature(TOWER_A, id="A1", floors=3)))},
     "buildings", "no height"),
    ({"buildings": upload("a.geojson", collection(feature([[X0 + x, Y0 + y] for x, y in BOWTIE], id="X",
                                                          height=9)))}, "buildings", "Self-intersection"),
    ({"buildings": upload("a.geojson", collection(feature(TOWER_A, metric=True, id="M", height=9)))},
     "buildings", "outside the valid area"),
    ({"buildings": upload("a.geojson", collection(feature(rect_m(X0 + 90, Y0, 30, 10), id="O", height=9)))},
     "buildings", "outside the site"),
    ({"buildings": upload("a.geojson", collection(feature(TOWER_A, id="U", height=9, use="castle")))},
     "buildings", "castle"),
    ({"buildings": upload("a.txt", b"hello")}, "buildings", "expected GeoJSON"),
    ({"buildings": upload("a.city.json", {**_cityjson(), "metadata": {}})}, "crs", "no coordinate reference"),
    ({"site": upload("s.geojson", collection(feature(TOWER_A), feature(TOWER_B)))}, "site", "one polygon"),
    ({"site": upload("s.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "LineString", "coordinates": lonlat(TOWER_A)}}]})}, "site", "LineString"),
    ({"site": None}, "site", "required"),
    ({"green": upload("g.geojson", b"{not json")}, "green", ""),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(files, field, words):
    with pytest.raises(DomainError) as caught:
        make(**files)
    assert caught.value.field == field
    assert words in caught.value.message
    assert not DesignScheme.objects.exists() and not SchemeBuilding.objects.exists()


def test_a_file_too_large_is_refused(settings):
    settings.CIM = {**settings.CIM, "SCHEME_MAX_BYTES": 200}
    with pytest.raises(DomainError) as caught:
        make()
    assert caught.value.field == "site" and "more than" in caught.value.message


def test_an_empty_name_is_refused():
    with pytest.raises(DomainError) as caught:
        make(name="  ")
    assert caught.value.field == "name"


def _png(colour=(200, 30, 30)) -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 40), colour).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_comparison_is_saved_with_pictures_and_renders_a_pdf(media_root):
    from cim.services.analyses.scheme_pdf import scheme_compare_pdf

    a = make("方案一")
    b = make("方案二", buildings=upload("b.geojson", collection(
        feature(TOWER_A, id="B1", height=60, floors=20))))
    run = sc.scheme_compare(schemes=[a, b], by="test", title="北关地块比选", images={str(a.pk): _png()})
    assert run.kind == "scheme_compare"
    assert [s["id"] for s in run.summary["schemes"]] == [a.pk, b.pk]
    assert run.summary["schemes"][1]["indicators"]["far"] == pytest.approx(1.5, abs=1e-4)
    assert sc.compare_image_path(run, a.pk).is_file() and sc.compare_image_path(run, b.pk) is None
    b.delete()  # the saved comparison keeps its own snapshot
    pdf = scheme_compare_pdf(AnalysisRun.objects.get(pk=run.pk))
    assert pdf.startswith(b"%PDF") and b"/Image" in pdf and len(pdf) > 5000


@pytest.mark.parametrize(("count", "images", "field"), [
    (1, {}, "schemes"),
    (2, {"999999": _png()}, "images.999999"),
    (2, {"A": "data:image/png;base64,!!!"}, "images.A"),
    (2, {"B": "data:image/png;base64," + base64.b64encode(b"GIF89a....").decode()}, "images.B"),
])
def test_bad_comparisons_are_refused(count, images, field, media_root):
    schemes = [make(f"方案{i}") for i in range(count)]
    images = {(str(schemes[0].pk) if k in "AB" else k): v for k, v in images.items()}
    if field.startswith("images.") and field[-1] in "AB":
        field = f"images.{schemes[0].pk}"
    with pytest.raises(DomainError) as caught:
        sc.scheme_compare(schemes=schemes, by="test", images=images)
    assert caught.value.field == field
    assert not AnalysisRun.objects.exists()
