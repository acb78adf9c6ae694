"""Building the 3D Tiles from PostGIS: placement on the terrain, validation,
incremental rebuilds, atomic publishing, the command and the /tiles/ views."""

from __future__ import annotations

import gzip
import json
import os
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command
from django.db import connection

from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import AuditLog, Building
from cim.services import tiles as tiles_service
from cim.services.buildings import building_update
from cim.services.dem import dem_register
from cim.services.elevation import building_base_elevations_update
from cim.services.tiles import tiles_build
from cim.terrain.geoid import undulation
from cim.tiling.builder import SKIRT_M
from cim.tiling.geodesy import EnuFrame
from cim.tiling.glb import read_glb
from cim.tiling.validate import glb_reports, tileset_errors
from tests import factories
from tests.cim.test_tiling import cube_solid

SCHEMAS = Path(cim_settings.SHARED_DATA_DIR).parent / "schemas" / "3d-tiles"
M_PER_DEG = 111_132.0

pytestmark = pytest.mark.django_db


@pytest.fixture
def monaco_dem(media_root, shared_data):
    return dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif", name="SRTM3 Monaco")


def _poly(coords, holes=()):
    return MultiPolygon(Polygon(coords, *holes), srid=4326)


def _make_city(n: int = 160, *, seed: int = 11) -> list[Building]:
    """Buildings on Monaco's slopes: squares from the factory plus an L shape,
    a courtyard block and an LoD2 solid, in two admin areas."""
    rng = np.random.default_rng(seed)
    district = factories.admin_area("620502", "秦州区", "district")
    community = factories.admin_area("620502001001", "东关社区", "community", parent=district)
    out = []
    for i in range(n):
        lon, lat = 7.405 + rng.uniform(0, 0.03), 43.728 + rng.uniform(0, 0.02)
        out.append(factories.building(
            lon, lat, size=float(rng.choice([0.0001, 0.0002, 0.00035])),
            height=float(rng.uniform(4, 80)), source_id=f"c{i}", name=f"楼{i}" if i % 4 else "",
            floors=int(rng.integers(1, 25)), year_built=int(rng.integers(1960, 2024)),
            use=["residential", "office", "commercial", "education"][i % 4],
            admin_area=community if i % 2 else district))
    lon, lat = 7.4195, 43.7355
    d = 0.0001
    ell = _poly([(lon, lat), (lon + 3 * d, lat), (lon + 3 * d, lat + d), (lon + d, lat + d),
                 (lon + d, lat + 3 * d), (lon, lat + 3 * d), (lon, lat)])
    court = _poly([(lon + 5 * d, lat), (lon + 9 * d, lat), (lon + 9 * d, lat + 4 * d),
                   (lon + 5 * d, lat + 4 * d), (lon + 5 * d, lat)],
                  [[(lon + 6 * d, lat + d), (lon + 6 * d, lat + 3 * d), (lon + 8 * d, lat + 3 * d),
                    (lon + 8 * d, lat + d), (lon + 6 * d, lat + d)]])
    for k, shape in enumerate((ell, court)):
        out.append(Building.objects.create(footprint=shape, centroid=shape.centroid, height=24.0,
                                           source="test", source_id=f"shape{k}", use="office",
                                           admin_area=community))
    slon, slat = 7.4235, 43.7385
    solid = cube_solid(slon, slat, size_m=12.0, z0=-3.0, height=21.0)
    size = 12.0 / (M_PER_DEG * np.cos(np.radians(slat)))
    foot = _poly([(slon, slat), (slon + size, slat), (slon + size, slat + 12 / M_PER_DEG),
                  (slon, slat + 12 / M_PER_DEG), (slon, slat)])
    out.append(Building.objects.create(footprint=foot, centroid=foot.centroid, height=21.0,
                                       source="cityjson", source_id="solid1", lod=2, solid=solid,
                                       height_source="model", admin_area=community))
    building_base_elevations_update()
    return out


def _tiles_dir() -> Path:
    return Path(cim_settings.TILES_DIR)


def _glbs() -> dict[str, bytes]:
    root = _tiles_dir()
    return {p.name: p.read_bytes() for p in sorted((root / "t").glob("*.glb"))}


def _decoded(frame: EnuFrame) -> dict[int, dict]:
    """Every building in the published tiles: its vertices as lon/lat/ellipsoidal h."""
    out: dict[int, dict] = {}
    for path in sorted((_tiles_dir() / "t").glob("*.glb")):
        glb = read_glb(path.read_bytes())
        lon, lat, h = frame.to_geodetic(glb.positions)
        roof_tris = glb.triangles[1] if len(glb.triangles) > 1 else np.zeros((0, 3), int)
        for k, bid in enumerate(glb.properties["id"]):
            sel = glb.feature_ids == k
            assert int(bid) not in out, f"building {bid} is in two tiles"
            roof = np.unique(roof_tris[np.isin(roof_tris[:, 0], np.flatnonzero(sel))])
            out[int(bid)] = {"lon": lon[sel], "lat": lat[sel], "h": h[sel], "roof_h": h[roof],
                             "tile": path.stem, "props": {n: v[k] for n, v in glb.properties.items()}}
    return out


def _postgis_vertices(bid: int) -> np.ndarray:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(g.geom), ST_Y(g.geom) FROM cim_building b, "
                    "ST_DumpPoints(b.footprint) g WHERE b.id = %s", [bid])
        return np.array(cur.fetchall())


def test_every_building_lands_within_a_metre_of_where_postgis_says(monaco_dem):
    city = _make_city()
    result = tiles_build(max_buildings=40)
    assert result.mode == "full" and result.buildings == len(city) and result.tiles > 3
    manifest = json.loads((_tiles_dir() / "manifest.json").read_text())
    frame = EnuFrame(*manifest["frame"])
    decoded = _decoded(frame)
    assert set(decoded) == {b.pk for b in city}  # each building in exactly one tile
    for b in Building.objects.all():
        d = decoded[b.pk]
        assert b.base_elevation is not None  # Monaco's DEM covers the whole city
        n = float(undulation(b.centroid.x, b.centroid.y)[0])
        base = b.base_elevation + n
        top = base + b.height
        assert abs(d["h"].max() - top) < 1.0, (b.pk, d["h"].max(), top)
        # Walls reach at least the skirt below the base (deeper on steep ground).
        assert base - SKIRT_M - 60.0 < d["h"].min() < base - SKIRT_M + 0.5
        if b.lod == 1:
            assert np.abs(d["roof_h"] - top).max() < 1.0  # a flat roof at base + height
        # Horizontally: every footprint vertex is drawn, and nothing else.
        pg = _postgis_vertices(b.pk)
        scale = np.array([M_PER_DEG * np.cos(np.radians(b.centroid.y)), M_PER_DEG])
        drawn = np.column_stack([d["lon"], d["lat"]])
        gap = np.linalg.norm((drawn[:, None, :] - pg[None, :, :]) * scale, axis=2)
        assert gap.min(axis=1).max() < 1.0
        assert gap.min(axis=0).max() < 1.0
        props = d["props"]
        assert props["height"] == pytest.approx(b.height, abs=1e-3)
        assert props["use"] == b.use and props["name"] == b.name
        assert props["admin_code"] == b.admin_area.code and props["admin_name"] == b.admin_area.name
        assert props["floors"] == (b.floors or 0) and props["year"] == (b.year_built or 0)
        assert props["lod"] == b.lod


def test_output_passes_the_gltf_validator_and_the_3d_tiles_schema(monaco_dem):
    _make_city(120)
    result = tiles_build(max_buildings=30)
    doc = json.loads((_tiles_dir() / "tileset.json").read_text())
    assert tileset_errors(doc, SCHEMAS) == []
    assert doc["asset"]["version"] == "1.1"
    paths = sorted((_tiles_dir() / "t").glob("*.glb"))
    assert len(paths) == result.tiles
    reports = glb_reports(paths)
    assert [r["errors"] for r in reports] == [0] * len(paths), [r["messages"] for r in reports]
    uris = [n["content"]["uri"] for n in _walk(doc["root"]) if "content" in n]
    assert sorted(u.split("?")[0] for u in uris) == sorted(f"t/{p.name}" for p in paths)


def _walk(node):
    yield node
    for c in node.get("children", []):
        yield from _walk(c)


def _snapshot() -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_ino, p.read_bytes()) for p in (_tiles_dir() / "t").glob("*.glb*")}


def test_editing_one_building_rebuilds_only_its_tile(monaco_dem):
    city = _make_city()
    tiles_build(max_buildings=40)
    before = _snapshot()
    first_version = json.loads((_tiles_dir() / "tileset.json").read_text())["asset"]["tilesetVersion"]
    target = city[17]
    building_update(building=target, data={"height": 66.0, "name": "新名字"}, by="test", reason="测试")
    result = tiles_build(max_buildings=40)
    assert result.mode == "incremental" and result.changed == 1 and result.tiles_written == 1
    after = _snapshot()
    changed = {name for name in before if before[name][1] != after[name][1]}
    holder = _decoded(EnuFrame(*json.loads((_tiles_dir() / "manifest.json").read_text())["frame"]))
    tile = holder[target.pk]["tile"]
    assert changed == {f"{tile}.glb", f"{tile}.glb.gz"}
    for name in set(before) - changed:  # hard-linked from the previous build, not rewritten
        assert after[name][0] == before[name][0]
    assert holder[target.pk]["props"]["name"] == "新名字"
    doc = json.loads((_tiles_dir() / "tileset.json").read_text())
    assert tileset_errors(doc, SCHEMAS) == []
    assert doc["asset"]["tilesetVersion"] != first_version
    assert tiles_build(max_buildings=40).mode == "unchanged"


def test_deleting_and_adding_buildings_touch_only_their_tiles(monaco_dem):
    city = _make_city()
    tiles_build(max_buildings=40)
    before = _snapshot()
    frame = EnuFrame(*json.loads((_tiles_dir() / "manifest.json").read_text())["frame"])
    gone_tile = _decoded(frame)[city[3].pk]["tile"]
    city[3].delete()
    new = factories.building(7.4101, 43.7301, height=12.0, source_id="new1")
    building_base_elevations_update()
    result = tiles_build(max_buildings=40)
    assert (result.mode, result.added, result.removed) == ("incremental", 1, 1)
    decoded = _decoded(frame)
    assert city[3].pk not in decoded and new.pk in decoded
    after = _snapshot()
    changed = {n.split(".")[0] for n in before if n in after and before[n][1] != after[n][1]}
    assert changed <= {gone_tile, decoded[new.pk]["tile"]}
    assert tileset_errors(json.loads((_tiles_dir() / "tileset.json").read_text()), SCHEMAS) == []


def test_a_dem_change_forces_a_full_build(monaco_dem, shared_data):
    _make_city(30)
    tiles_build()
    dem_register(source_path=shared_data / "dem" / "N43E007.hgt.zip", name="SRTM3 N43E007",
                 priority=-1)
    assert tiles_build().mode == "full"


def test_a_failed_build_leaves_the_published_tileset_untouched(monaco_dem, monkeypatch):
    city = _make_city(40)
    tiles_build()
    published = (_tiles_dir() / "tileset.json").read_bytes()
    target = os.readlink(_tiles_dir())
    building_update(building=city[0], data={"height": 50.0}, by="test", reason="测试")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tiles_service, "write_with_gzip", explode)
    with pytest.raises(OSError, match="disk full"):
        tiles_build()
    assert (_tiles_dir() / "tileset.json").read_bytes() == published
    assert os.readlink(_tiles_dir()) == target
    builds = _tiles_dir().parent / ".tiles-builds"
    assert [p.name for p in builds.iterdir()] == [Path(target).name]  # no half-built folder left


def test_a_full_build_over_two_workers_writes_the_same_tiles_as_one(monaco_dem, monkeypatch):
    _make_city(120)
    split = tiles_service.split_above_content
    # content cells of 400 m, so that this small city gives several subtrees to deal out
    monkeypatch.setattr(tiles_service, "split_above_content",
                        lambda **kw: split(**kw, max_content_size=400.0))

    def build(workers: int) -> tuple:
        result = tiles_build(full=True, max_buildings=20, workers=workers)
        tileset = json.loads((_tiles_dir() / "tileset.json").read_text())
        manifest = json.loads((_tiles_dir() / "manifest.json").read_text())
        assert tileset["asset"].pop("tilesetVersion") == manifest.pop("version") == result.version
        return _glbs(), tileset, manifest, result

    one, two = build(1), build(2)
    assert len(one[0]) > 4 and one[0] == two[0]
    assert one[1] == two[1] and one[2] == two[2]
    assert (one[3].tiles, one[3].bytes, one[3].gzip_bytes) == (two[3].tiles, two[3].bytes, two[3].gzip_bytes)
    assert tileset_errors(one[1], SCHEMAS) == []
    assert tiles_build(max_buildings=20).mode == "unchanged"  # the merged manifest's fingerprints hold


def test_no_buildings_is_a_clear_error_and_publishes_nothing(media_root):
    with pytest.raises(DomainError) as err:
        tiles_build()
    assert err.value.field == "buildings" and "no buildings" in err.value.message
    assert not _tiles_dir().exists()
    with pytest.raises(CommandError, match="no buildings"):
        call_command("build_tiles", "--no-progress")


def test_command_prints_a_summary_and_records_an_audit_row(monaco_dem):
    _make_city(30)
    out = StringIO()
    call_command("build_tiles", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "full:" in text and "33 buildings" in text and "B/building" in text and "tiles" in text
    row = AuditLog.objects.filter(action="tiles.build").latest("id")
    assert row.after["buildings"] == 33 and row.after["mode"] == "full"
    with pytest.raises(CommandError, match="max-buildings"):
        call_command("build_tiles", "--max-buildings", "0")


# --- serving ----------------------------------------------------------------------------------

@pytest.fixture
def built(monaco_dem):
    _make_city(30)
    tiles_build()
    return json.loads((_tiles_dir() / "tileset.json").read_text())


def test_tiles_need_a_platform_role(built, client, make_user):
    assert client.get("/tiles/tileset.json").status_code == 401
    client.force_login(make_user(None, "no_role"))
    response = client.get("/tiles/tileset.json")
    assert response.status_code == 403 and response.json()["error"] == "permission_denied"


def test_tiles_are_served_with_types_gzip_and_cache_headers(built, client, make_user):
    client.force_login(make_user("planner"))
    response = client.get("/tiles/tileset.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-cache"
    assert json.loads(b"".join(response.streaming_content)) == built
    uri = built["root"]["content"]["uri"]
    raw = client.get(f"/tiles/{uri}")
    assert raw["Content-Type"] == "model/gltf-binary" and "Content-Encoding" not in raw
    assert raw["Cache-Control"] == "private, max-age=31536000, immutable"
    body = b"".join(raw.streaming_content)
    assert body == (_tiles_dir() / uri.split("?")[0]).read_bytes()
    packed = client.get(f"/tiles/{uri}", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(packed.streaming_content)) == body
    assert packed["ETag"] != raw["ETag"] and "Accept-Encoding" in packed["Vary"]
    again = client.get(f"/tiles/{uri}", HTTP_IF_NONE_MATCH=raw["ETag"])
    assert again.status_code == 304 and again["ETag"] == raw["ETag"]
    assert client.head("/tiles/tileset.json").status_code == 200
    assert client.post("/tiles/tileset.json").status_code == 405


@pytest.mark.parametrize("path", ["manifest.json", "t/nope.glb", "../terrain/layer.json",
                                  "t/../manifest.json", "t/r.glb.gz", "%2e%2e/x.glb", "/etc/passwd"])
def test_tiles_view_serves_only_published_tiles(built, client, make_user, path):
    client.force_login(make_user("planner"))
    assert client.get(f"/tiles/{path}").status_code == 404
