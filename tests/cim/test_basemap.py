"""The raster basemap: tiles drawn from a small test city (colours where the
water, roads and buildings are, the road's name in the tiles, hillshade from
the DEM), rebuild semantics, the /basemap/ endpoint (auth, caching, 404s), the
city-info switch to an external WMTS and the job's parameters."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from PIL import Image

from cim import roles
from cim.basemap import style as st
from cim.basemap import webmercator as wm
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import AuditLog, Waterway
from cim.services.basemap import basemap_build, read_map_data
from cim.services.dem import dem_register
from cim.services.jobs.core import KINDS
from tests import factories

ROAD = ((7.414, 43.7305), (7.426, 43.7305))
ROAD_NAME = "解放路"
RIVER = (7.412, 43.7360, 7.428, 43.7372)  # west, south, east, north of the water surface
BLOCK = (7.4180, 43.7330, 7.4190, 43.7338)  # one large school building
ZOOMS = (14, 15)


@pytest.fixture
def small_city(db, media_root, shared_data):
    dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif", name="SRTM3 Monaco")
    district = factories.admin_area("620502", "秦州区", "district")
    factories.admin_area("620502001", "大城街道", "street", parent=district,
                         bbox=(7.410, 43.728, 7.430, 43.740))
    factories.road(*ROAD, name=ROAD_NAME, road_class="primary")
    factories.road((7.420, 43.729), (7.420, 43.7355), name="", road_class="residential")
    poly = Polygon.from_bbox(RIVER)
    centreline = LineString([(RIVER[0], 43.7366), (RIVER[2], 43.7366)], srid=4326)
    Waterway.objects.create(name="藉河", kind="river", geom=MultiPolygon(poly, srid=4326), source="test",
                            source_id="river", centreline=centreline)
    lon, lat = BLOCK[:2]
    factories.building(lon, lat, size=BLOCK[2] - BLOCK[0], use="education", source_id="school")


def _tile_at(lon: float, lat: float, z: int) -> tuple[Image.Image, int, int]:
    """The published tile holding a point, and the point's pixel in it."""
    x, y = wm.to_px(lon, lat, z)
    tx, ty = int(x // wm.TILE), int(y // wm.TILE)
    path = Path(cim_settings.BASEMAP_DIR) / f"{z}/{tx}/{ty}.png"
    return Image.open(path).convert("RGB"), int(x - tx * wm.TILE), int(y - ty * wm.TILE)


def _close(pixel, colour, tolerance=24) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.mark.django_db
def test_tiles_show_water_roads_land_use_names_and_relief(small_city):
    result = basemap_build(min_zoom=ZOOMS[0], max_zoom=ZOOMS[1])
    root = Path(cim_settings.BASEMAP_DIR)
    meta = json.loads((root / "metadata.json").read_text())
    assert meta["tilejson"] == "3.0.0" and (meta["minzoom"], meta["maxzoom"]) == ZOOMS
    assert meta["tiles"] == [f"/basemap/{{z}}/{{x}}/{{y}}.png?v={result.version}"]
    assert meta["sources"]["terrain"] == ["SRTM3 Monaco"] and meta["synthetic"] is False
    files = sorted(root.rglob("*.png"))
    assert len(files) == result.tiles == meta["tile_count"] > 0
    for f in files:
        image = Image.open(f)
        image.load()  # decodes
        assert image.size == (256, 256)

    # Water in the middle of the river (left of centre: its name sits in the middle).
    image, px, py = _tile_at(7.4145, 43.7363, 15)
    assert _close(image.getpixel((px, py)), st.WATER)
    # The primary road's fill on its centreline, away from its name.
    image, px, py = _tile_at(7.4150, ROAD[0][1], 15)
    assert _close(image.getpixel((px, py)), st.ROADS["primary"].fill)
    # The school's land-use colour inside its footprint.
    image, px, py = _tile_at((BLOCK[0] + BLOCK[2]) / 2 + 0.0002, (BLOCK[1] + BLOCK[3]) / 2, 15)
    assert _close(image.getpixel((px, py)), st.LAND_USE["education"])

    # The road's name is set along it: each character drawn dark where it was placed.
    from cim.basemap import Renderer
    from cim.services.basemap import _font

    path, index = _font()
    renderer = Renderer(read_map_data(), heights=None, font_path=path, font_index=index)
    glyphs = {g for tile in renderer.zoom(15).labels.values() for g in tile if g.text in ROAD_NAME}
    assert {g.text for g in glyphs} == set(ROAD_NAME)
    for g in glyphs:
        lon, lat = wm.to_lonlat(g.x, g.y, 15)
        image, px, py = _tile_at(float(lon), float(lat), 15)
        patch = np.asarray(image.crop((px - 5, py - 5, px + 6, py + 6))).astype(int)
        assert patch.sum(axis=2).min() < 3 * 120, g  # dark strokes of the character
        assert abs(g.y - wm.to_px(7.42, ROAD[0][1], 15)[1]) < 2  # on the (east-west) road

    # Relief: Monaco's slopes shade the paper colour up and down, away from the features.
    image, _, _ = _tile_at(7.425, 43.7450, 14)
    grey = np.asarray(image.convert("L")).astype(float)
    assert grey.std() > 3 and grey.min() < 200


@pytest.mark.django_db
def test_rebuild_is_a_no_op_until_the_data_changes_and_keeps_unchanged_tiles(small_city):
    first = basemap_build(min_zoom=15, max_zoom=15, workers=2)
    assert first.mode == "built" and first.reused == 0
    again = basemap_build(min_zoom=15, max_zoom=15)
    assert again.mode == "unchanged" and again.version == first.version
    # Drawn again in one process: byte for byte the tiles the two workers drew.
    serial = basemap_build(min_zoom=15, max_zoom=15, full=True, workers=1)
    assert serial.mode == "built" and serial.reused == serial.tiles == first.tiles
    factories.road((7.4135, 43.7390), (7.4145, 43.7390), name="新路", road_class="tertiary")
    changed = basemap_build(min_zoom=15, max_zoom=15)
    assert changed.mode == "built" and changed.version != first.version
    assert 0 < changed.reused < changed.tiles  # the tiles the new road misses are hard-linked
    meta = json.loads((Path(cim_settings.BASEMAP_DIR) / "metadata.json").read_text())
    assert meta["version"] == changed.version
    assert AuditLog.objects.filter(action="basemap.build").count() == 3


@pytest.mark.django_db
def test_bad_zooms_and_an_empty_city_change_nothing(db, media_root):
    with pytest.raises(DomainError) as err:
        basemap_build(min_zoom=12, max_zoom=25)
    assert err.value.field == "max_zoom"
    with pytest.raises(DomainError) as err:
        basemap_build(min_zoom=15, max_zoom=16)
    assert err.value.field == "data"
    assert not Path(cim_settings.BASEMAP_DIR).exists()
    with pytest.raises(DomainError) as err:
        KINDS["basemap.build"].clean({"max_zoom": 30}, None)
    assert err.value.field == "params.max_zoom"
    assert KINDS["basemap.build"].clean({"min_zoom": 11, "max_zoom": 12}, None) == {
        "min_zoom": 11, "max_zoom": 12, "full": False}


@pytest.mark.django_db
def test_command_draws_with_a_summary(small_city):
    out = io.StringIO()
    call_command("build_basemap", "--min-zoom", "15", "--max-zoom", "15", "--no-progress", stdout=out)
    assert "basemap tiles, zooms 15–15" in out.getvalue()
    out = io.StringIO()
    call_command("build_basemap", "--min-zoom", "15", "--max-zoom", "15", "--no-progress", stdout=out)
    assert "up to date" in out.getvalue()


# --- the endpoint ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_basemap_endpoint_auth_caching_and_404s(small_city, client, make_user):
    result = basemap_build(min_zoom=15, max_zoom=15)
    x, y = wm.to_px(7.42, 43.7305, 15)
    url = f"/basemap/15/{int(x // 256)}/{int(y // 256)}.png"
    assert client.get(url).status_code == 401
    client.force_login(make_user(None))
    assert client.get(url).status_code == 403
    client.force_login(make_user(roles.DISPATCHER, "d1"))
    tile = client.get(f"{url}?v={result.version}")
    assert tile.status_code == 200 and tile["Content-Type"] == "image/png"
    assert tile["Cache-Control"] == "private, max-age=31536000, immutable"
    Image.open(io.BytesIO(b"".join(tile.streaming_content))).load()
    plain = client.get(url)
    assert plain["Cache-Control"] == "private, no-cache"
    assert client.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    meta = client.get("/basemap/metadata.json")
    assert meta.status_code == 200 and meta["Cache-Control"] == "private, no-cache"
    for bad in (f"/basemap/16/{int(x // 128)}/{int(y // 128)}.png",  # finer than built
                f"/basemap/15/{int(x // 256) + 500}/{int(y // 256)}.png",  # outside the extent
                "/basemap/../tiles/tileset.json", "/basemap/15/1/1.jpg", "/basemap/.metadata.json"):
        assert client.get(bad).status_code == 404, bad
    assert client.post(url).status_code == 405
    # The same tiles as a WMTS layer for desktop GIS.
    caps = client.get("/basemap/WMTSCapabilities.xml")
    assert caps.status_code == 200 and caps["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(caps.content)
    ns = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
    template = root.find(".//w:Layer/w:ResourceURL", ns).get("template")
    assert template == f"http://testserver/basemap/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.png?v={result.version}"
    matrix = root.findall(".//w:TileMatrixSet/w:TileMatrix", ns)[15]
    assert matrix.find("ows:Identifier", ns).text == "15"
    assert matrix.find("w:MatrixWidth", ns).text == str(1 << 15)
    tile_path = template.replace("http://testserver", "").format(TileMatrix=15, TileCol=int(x // 256),
                                                                  TileRow=int(y // 256))
    assert client.get(tile_path).status_code == 200
    client.logout()
    assert client.get("/basemap/WMTSCapabilities.xml").status_code == 401


@pytest.mark.django_db
def test_city_info_names_the_built_basemap_or_the_external_service(small_city, client_for, settings):
    api = client_for(roles.PLANNER)
    assert api.get("/api/cim/city-info/").json()["basemap"] is None
    result = basemap_build(min_zoom=15, max_zoom=15)
    own = api.get("/api/cim/city-info/").json()["basemap"]
    assert own["external"] is False and own["kind"] == "xyz"
    assert own["url"] == f"/basemap/{{z}}/{{x}}/{{y}}.png?v={result.version}"
    assert (own["min_zoom"], own["max_zoom"]) == (15, 15) and own["synthetic"] is False
    settings.CIM = {**settings.CIM, "BASEMAP_EXTERNAL": {
        "kind": "wmts", "url": "https://tdt.gansu.example/vec_w/wmts", "layer": "vec",
        "tile_matrix_set": "w", "format": "tiles", "subdomains": ["t0", "t1"], "max_zoom": 18,
        "attribution": "甘肃省天地图"}}
    ext = api.get("/api/cim/city-info/").json()["basemap"]
    assert ext["external"] is True and ext["kind"] == "wmts"
    assert ext["url"] == "https://tdt.gansu.example/vec_w/wmts" and ext["layer"] == "vec"
    assert ext["tile_matrix_set"] == "w" and ext["subdomains"] == ["t0", "t1"]
    assert ext["attribution"] == "甘肃省天地图"
    # The pages may fetch from that host (and only from it besides their own).
    page = client_for(roles.PLANNER)
    csp = page.get("/api/cim/city-info/")["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tdt.gansu.example" in csp
    assert "connect-src 'self'" in csp and "https://tdt.gansu.example" in csp.split("connect-src")[1]
    settings.CIM = {**settings.CIM, "BASEMAP_EXTERNAL": {"kind": "wms", "url": "https://x"}}
    from cim.selectors.basemap import basemap_layer

    with pytest.raises(ImproperlyConfigured):
        basemap_layer()
