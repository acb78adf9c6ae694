"""OGC API – Features over the city model: the API itself through Django's client,
then two real clients over HTTP — GDAL's OAPIF driver (``ogrinfo``/``ogr2ogr``) and
OWSLib — reading every public collection."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from cim import roles
from cim.models import Address, AdminArea, Building, RoadSegment, ServicePoint
from cim.services.addresses import addresses_generate
from tests import factories as f
from tests.live_http import live_http_server

PUBLIC = ("buildings", "roads", "admin-areas", "service-points", "addresses")


def _city() -> None:
    f.qinzhou_block()
    for k in range(25):
        f.building(105.7005 + 0.0004 * (k % 12), 34.5803 + 0.0004 * (k // 12), size=0.0002, height=10 + k,
                   floors=3 + k % 6, use="residential", source_id=f"b{k}")
    f.service_point(105.7052, 34.5790, "gov_service_hall", "秦州区政务服务中心", phone="0938-12345")
    addresses_generate(by="test", progress=False)


def _staff_client() -> Client:
    user = User.objects.create_user(username="ogc_planner", password="pw-for-tests-1")
    user.groups.add(Group.objects.get_or_create(name=roles.PLANNER)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def city(db):
    from cim.api.views import ogc as ogc_views

    ogc_views._extents.clear()  # extents are kept 5 minutes per process; another test's city was here
    _city()


def test_landing_conformance_and_api_definition(city, client):
    landing = client.get("/ogc/").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    api = client.get("/ogc/api")
    assert api.status_code == 200 and api["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/collections/{collection}/items" in api.json()["paths"]


def test_collections_public_and_staff(city, client):
    public = {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert public == set(PUBLIC)
    assert client.get("/ogc/collections/address-units").status_code == 404
    assert client.get("/ogc/collections/address-units/items").status_code == 404
    staff = _staff_client()
    listed = {c["id"]: c for c in staff.get("/ogc/collections").json()["collections"]}
    assert "address-units" in listed
    units = staff.get("/ogc/collections/address-units/items?limit=5").json()
    assert units["numberMatched"] == Address.objects.filter(kind__in=["unit", "room"]).count() > 0
    buildings = listed["buildings"]
    assert buildings["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                "http://www.opengis.net/def/crs/EPSG/0/4490"]
    lon0, lat0, lon1, lat1 = buildings["extent"]["spatial"]["bbox"][0]
    assert 105.70 < lon0 < lon1 < 105.71 and 34.58 < lat0 < lat1 < 34.582


def test_items_paging_bbox_and_one_feature(city, client):
    total = Building.objects.count()
    first = client.get("/ogc/collections/buildings/items?limit=10")
    assert first.status_code == 200 and first["Content-Type"] == "application/geo+json"
    assert first["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    page = first.json()
    assert page["numberMatched"] == total and page["numberReturned"] == 10
    seen = [feat["id"] for feat in page["features"]]
    while nxt := next((link["href"] for link in page["links"] if link["rel"] == "next"), None):
        page = client.get(nxt.replace("http://testserver", "")).json()
        seen += [feat["id"] for feat in page["features"]]
    assert seen == sorted(Building.objects.values_list("id", flat=True))
    feature = first.json()["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon" and feature["properties"]["use"] == "residential"
    # bbox: only the first row of buildings (south of 34.5805)
    south = client.get("/ogc/collections/buildings/items?limit=100&bbox=105.70,34.580,105.72,34.5806").json()
    assert south["numberMatched"] == 12
    one = client.get(f"/ogc/collections/buildings/items/{feature['id']}").json()
    assert one["id"] == feature["id"] and one["geometry"] == feature["geometry"]
    assert client.get("/ogc/collections/buildings/items/999999999").status_code == 404
    assert client.get("/ogc/collections/nothing/items").status_code == 404


def test_cgcs2000_answers_latitude_first(city, client):
    road = RoadSegment.objects.order_by("id").first()
    crs84 = client.get(f"/ogc/collections/roads/items/{road.pk}").json()
    cgcs = client.get(f"/ogc/collections/roads/items/{road.pk}?crs=http://www.opengis.net/def/crs/EPSG/0/4490")
    assert cgcs["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    for (lon, lat), (a, b) in zip(crs84["geometry"]["coordinates"], cgcs.json()["geometry"]["coordinates"],
                                  strict=True):
        assert abs(a - lat) < 1e-6 and abs(b - lon) < 1e-6  # CGCS2000 ≈ WGS 84 here, axis order lat, lon
    # bbox in CGCS2000 is read latitude first too
    box = "34.5799,105.6999,34.5801,105.7049"
    found = client.get(f"/ogc/collections/roads/items?bbox={box}"
                       "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490").json()
    assert [feat["id"] for feat in found["features"]] == [road.pk]


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=10001", "limit"), ("offset=-1", "offset"),
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=105,35,106,34", "bbox"),
    ("bbox=500,0,501,1", "bbox"),
    ("crs=EPSG:3857", "crs"), ("bbox-crs=urn:nothing", "bbox-crs"), ("colour=red", "colour"), ("f=html", "f"),
])
def test_bad_parameters_name_the_field(city, client, query, field):
    resp = client.get(f"/ogc/collections/buildings/items?{query}")
    assert resp.status_code == 400
    body = resp.json()
    assert body["field"] == field and body["code"] == "InvalidParameterValue" and body["detail"]


# --- real clients over HTTP ----------------------------------------------------------------------


@pytest.fixture
def served_city(transactional_db):
    from cim.api.views import ogc as ogc_views

    ogc_views._extents.clear()
    _city()
    with live_http_server() as base:
        yield base


def _counts() -> dict[str, int]:
    return {"buildings": Building.objects.count(), "roads": RoadSegment.objects.count(),
            "admin-areas": AdminArea.objects.count(), "service-points": ServicePoint.objects.count(),
            "addresses": Address.objects.filter(kind__in=["door", "thoroughfare"]).count()}


def test_gdal_oapif_driver_reads_every_public_collection(served_city):
    url = f"OAPIF:{served_city}/ogc/"
    listing = subprocess.run(["ogrinfo", "-ro", "-q", url], capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    for name in PUBLIC:
        assert name in listing.stdout
    expected = _counts()
    with_geometry = {
        "buildings": expected["buildings"], "roads": expected["roads"],
        "service-points": expected["service-points"],
        "admin-areas": AdminArea.objects.filter(boundary__isnull=False).count(),
        "addresses": Address.objects.filter(kind__in=["door", "thoroughfare"],
                                            position__isnull=False).count()}
    for name in PUBLIC:
        done = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", url, name],
                              capture_output=True, text=True, timeout=120,
                              env={"OGR_OAPIF_PAGE_SIZE": "7", "PATH": "/usr/bin:/bin"})  # several pages
        assert done.returncode == 0, done.stderr
        features = json.loads(done.stdout)["features"]
        assert len(features) == expected[name], name
        drawn = sum(1 for feat in features if feat["geometry"])
        assert drawn == with_geometry[name], name  # every geometry the model holds


def test_owslib_reads_every_public_collection(served_city):
    from owslib.ogcapi.features import Features

    api = Features(f"{served_city}/ogc/")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    listed = {c["id"] for c in api.collections()["collections"]}
    assert set(PUBLIC) <= listed and "address-units" not in listed
    expected = _counts()
    for name in PUBLIC:
        items = api.collection_items(name, limit=1000)
        assert items["numberMatched"] == expected[name] == len(items["features"]), name


# --- vector tiles ---------------------------------------------------------------------------------


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_vector_tiles_read_by_gdal_with_their_layers(city, client, tmp_path):
    z = 15
    x, y = _tile_xy(105.7025, 34.5805, z)
    resp = client.get(f"/ogc/vector-tiles/{z}/{x}/{y}.mvt")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/vnd.mapbox-vector-tile"
    path = tmp_path / str(z) / str(x) / f"{y}.mvt"
    path.parent.mkdir(parents=True)
    path.write_bytes(resp.content)
    info = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert info.returncode == 0, info.stderr
    counts = {}
    for block in info.stdout.split("Layer name: ")[1:]:
        name = block.split("\n", 1)[0].strip()
        counts[name] = int(block.split("Feature Count: ", 1)[1].split("\n", 1)[0])
    in_tile = Building.objects.filter(footprint__intersects=_tile_polygon(z, x, y)).count()
    assert counts["buildings"] == in_tile > 0
    assert counts["roads"] >= 1 and counts["admin_areas"] >= 1
    # below the buildings' zoom the layer is left out
    lo = client.get("/ogc/vector-tiles/12/{}/{}.mvt".format(*_tile_xy(105.7025, 34.5805, 12))).content
    assert b"buildings" not in lo and b"roads" in lo
    tilejson = client.get("/ogc/vector-tiles/tilejson.json").json()
    assert tilejson["tiles"][0].endswith("/ogc/vector-tiles/{z}/{x}/{y}.mvt")
    assert {layer["id"] for layer in tilejson["vector_layers"]} == {"admin_areas", "roads", "service_points",
                                                                     "buildings"}
    for bad, field in (("/ogc/vector-tiles/3/1/1.mvt", "z"), (f"/ogc/vector-tiles/14/{2 ** 14}/0.mvt", "x")):
        answer = client.get(bad)
        assert answer.status_code == 400 and answer.json()["field"] == field


def _tile_polygon(z: int, x: int, y: int):
    import math

    from django.contrib.gis.geos import Polygon

    def lonlat(tx, ty):
        n = 2 ** z
        return tx / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))

    (w, n_), (e, s) = lonlat(x, y), lonlat(x + 1, y + 1)
    return Polygon.from_bbox((w, s, e, n_))
