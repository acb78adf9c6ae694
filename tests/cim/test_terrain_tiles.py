"""Quantized-mesh terrain: the tiling scheme, meshing, an encode/decode round
trip, the build from registered DEMs, the command and the /terrain/ views."""

from __future__ import annotations

import gzip
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from rasterio.transform import Affine

from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import AuditLog
from cim.services.dem import dem_register
from cim.services.terrain import grid_for
from cim.services.terrain_tiles import GRID_LEVELS, max_error_for, terrain_build
from cim.services.tiles import tiles_build
from cim.terrain import quantized_mesh as qm
from cim.terrain import tms
from cim.terrain.geoid import undulation
from cim.terrain.heights import FADE_M, compose
from cim.terrain.sampler import DemGrid
from cim.tiling.geodesy import EnuFrame, geodetic_to_ecef
from tests.cim.test_tiling_build import _decoded, _make_city

# --- the tiling scheme ------------------------------------------------------------------------


def test_geographic_tms_bounds_and_coverage():
    assert tms.tile_bounds(0, 0, 0) == (-180.0, -90.0, 0.0, 90.0)
    assert tms.tile_bounds(0, 1, 0) == (0.0, -90.0, 180.0, 90.0)
    size = tms.tile_size_deg(13)
    x, y = int((7.42 + 180) // size), int((43.73 + 90) // size)
    assert (x, y) == (8529, 6086)  # 187.42 × 8192 / 180, 133.73 × 8192 / 180
    w, s, e, n = tms.tile_bounds(13, x, y)
    assert w <= 7.42 <= e and s <= 43.73 <= n  # Monaco, y counted from the south
    tiles = tms.tiles_covering(13, (7.34, 43.70, 7.50, 43.78))
    assert (x, y) in tiles and len(tiles) == len(set(tiles))
    for x, y in tiles:
        bw, bs, be, bn = tms.tile_bounds(13, x, y)
        assert be > 7.34 and bw < 7.50 and bn > 43.70 and bs < 43.78
    assert tms.level_for_spacing(40.0, 65) == 13


def test_available_ranges_cover_exactly_the_tiles():
    tiles = [(x, y) for y in range(3, 6) for x in range(10, 14)] + [(20, 3), (21, 3)]
    ranges = tms.available_ranges(tiles)
    covered = {(x, y) for r in ranges for x in range(r["startX"], r["endX"] + 1)
               for y in range(r["startY"], r["endY"] + 1)}
    assert covered == set(tiles)
    assert len(ranges) == 2


# --- meshing and the round trip -----------------------------------------------------------------

def _tile(z, x, y, height_fn, *, grid=False):
    bounds = tms.tile_bounds(z, x, y)
    if grid:
        u, v, tris = qm.grid_mesh(qm.SAMPLES)
    else:
        west, south, east, north = bounds
        glon, glat = np.meshgrid(np.linspace(west, east, qm.SAMPLES), np.linspace(north, south, qm.SAMPLES))
        heights = height_fn(glon.reshape(-1), glat.reshape(-1)).reshape(glon.shape)
        u, v, tris = qm.tin_mesh(heights, bounds=bounds, max_error=max_error_for(z))
    return qm.make_tile(u, v, tris, bounds=bounds, height_at=height_fn)


def test_round_trip_keeps_vertices_triangles_edges_and_normals():
    def hills(lon, lat):
        return 1100 + 300 * np.sin(lon * 400) * np.cos(lat * 300)

    tile = _tile(12, 6235, 2832, hills)
    data = qm.encode(tile)
    decoded = qm.decode(data)
    lon, lat, h = decoded.geographic(tile.bounds)
    west, south, east, north = tile.bounds
    assert np.abs(lon - tile.lon).max() <= (east - west) / 32767
    assert np.abs(lat - tile.lat).max() <= (north - south) / 32767
    assert np.abs(h - tile.height).max() <= np.ptp(tile.height) / 32767 + 1e-3
    assert (decoded.triangles == tile.triangles).all()
    # Edge lists name exactly the vertices on each edge (exact coordinates, no float32 loss).
    assert set(decoded.edges["west"]) == set(np.flatnonzero(tile.lon == west))
    assert set(decoded.edges["east"]) == set(np.flatnonzero(tile.lon == east))
    assert set(decoded.edges["south"]) == set(np.flatnonzero(tile.lat == south))
    assert set(decoded.edges["north"]) == set(np.flatnonzero(tile.lat == north))
    assert min(len(e) for e in decoded.edges.values()) >= 2
    normals = decoded.normals()
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    up = np.array([np.cos(np.radians(lat)) * np.cos(np.radians(lon)),
                   np.cos(np.radians(lat)) * np.sin(np.radians(lon)), np.sin(np.radians(lat))]).T
    assert (np.einsum("ij,ij->i", normals, up) > 0.3).all()  # outward, as Cesium lights them
    # Triangles counter-clockwise in (u, v), every vertex used, first use in order.
    t = decoded.triangles
    cross = ((decoded.u[t[:, 1]] - decoded.u[t[:, 0]]) * (decoded.v[t[:, 2]] - decoded.v[t[:, 0]])
             - (decoded.v[t[:, 1]] - decoded.v[t[:, 0]]) * (decoded.u[t[:, 2]] - decoded.u[t[:, 0]]))
    assert (cross > 0).all()
    _, first = np.unique(t.reshape(-1), return_index=True)
    assert (np.diff(np.sort(first)) > 0).all() and len(first) == len(decoded.u)


def test_a_flat_plain_is_still_meshed_round():
    """A constant height over a 20 km tile as two triangles would sag 15 m
    below the globe; the curvature-aware mesh keeps the sag within the tolerance."""
    z, x, y = 10, 1625, 708  # Tianshui
    tile = _tile(z, x, y, lambda lon, lat: np.full(np.shape(lon), 1100.0))
    assert len(tile.triangles) > 2
    ecef = geodetic_to_ecef(tile.lon, tile.lat, tile.height)
    west, south, east, north = tile.bounds
    glon, glat = np.meshgrid(np.linspace(west, east, 41), np.linspace(south, north, 41))
    surface = geodetic_to_ecef(glon.reshape(-1), glat.reshape(-1), 1100.0)
    worst = 0.0
    for a, b, c in tile.triangles:  # distance from the true surface to each triangle's plane
        x1, y1, x2, y2, x3, y3 = tile.lon[a], tile.lat[a], tile.lon[b], tile.lat[b], tile.lon[c], tile.lat[c]
        det = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3)
        l1 = ((y2 - y3) * (glon.reshape(-1) - x3) + (x3 - x2) * (glat.reshape(-1) - y3)) / det
        l2 = ((y3 - y1) * (glon.reshape(-1) - x3) + (x1 - x3) * (glat.reshape(-1) - y3)) / det
        inside = (l1 >= 0) & (l2 >= 0) & (1 - l1 - l2 >= 0)
        n = np.cross(ecef[b] - ecef[a], ecef[c] - ecef[a])
        n /= np.linalg.norm(n)
        if inside.any():
            worst = max(worst, np.abs((surface[inside] - ecef[a]) @ n).max())
    assert worst <= max_error_for(z) + 0.5
    grid = _tile(0, 0, 0, lambda lon, lat: np.zeros(np.shape(lon)), grid=True)
    assert len(grid.lon) == qm.SAMPLES ** 2 and len(grid.triangles) == 2 * (qm.SAMPLES - 1) ** 2


def test_beyond_the_dems_the_ground_slopes_to_sea_level():
    data = np.full((10, 10), 1000.0, dtype=np.float32)
    data[:, 5:] = 1200.0
    grid = DemGrid(data, Affine(0.01, 0, 105.0, 0, -0.01, 35.0))  # 105.0–105.1 E, 34.9–35.0 N
    zero = lambda lon, lat: np.zeros(np.shape(lon))  # noqa: E731
    lon = np.array([105.02, 105.08, 105.1 + 1e-6, 105.1 + 0.5 * FADE_M / 111_320 / np.cos(np.radians(34.95)),
                    106.0, 100.0])
    lat = np.full(6, 34.95)
    h = compose([(grid, False)], lon, lat, undulation=zero)
    assert h[0] == pytest.approx(1000.0) and h[1] == pytest.approx(1200.0)
    assert h[2] == pytest.approx(1200.0, abs=1.0)  # continuous at the edge
    assert h[3] == pytest.approx(600.0, rel=0.01)  # half way down the fade
    assert h[4] == 0.0 and h[5] == 0.0  # sea level far away
    ellipsoidal = compose([(grid, True)], lon[:1], lat[:1], undulation=lambda lo, la: np.full(len(lo), 30.0))
    assert ellipsoidal[0] == pytest.approx(970.0)


# --- the build from registered DEMs -------------------------------------------------------------

@pytest.fixture
def monaco_dem(db, media_root, shared_data):
    return dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif", name="SRTM3 Monaco")


def _terrain_dir() -> Path:
    return Path(cim_settings.TERRAIN_DIR)


@pytest.mark.django_db
def test_build_writes_every_available_tile_with_ellipsoidal_dem_heights(monaco_dem):
    result = terrain_build(max_level=13)
    layer = json.loads((_terrain_dir() / "layer.json").read_text())
    assert layer["format"] == "quantized-mesh-1.0" and layer["scheme"] == "tms"
    assert layer["extensions"] == ["octvertexnormals"] and layer["maxzoom"] == 13
    assert layer["available"][0] == [{"startX": 0, "startY": 0, "endX": 1, "endY": 0}]
    listed = {(z, x, y) for z, ranges in enumerate(layer["available"]) for r in ranges
              for x in range(r["startX"], r["endX"] + 1) for y in range(r["startY"], r["endY"] + 1)}
    on_disk = {tuple(int(p) for p in f.relative_to(_terrain_dir()).with_suffix("").parts)
               for f in _terrain_dir().rglob("*.terrain")}
    assert listed == on_disk and result.tiles == len(on_disk)
    grid = grid_for(monaco_dem)
    checked, errors = 0, []
    for z, x, y in sorted(on_disk):
        bounds = tms.tile_bounds(z, x, y)
        decoded = qm.decode(gzip.decompress((_terrain_dir() / f"{z}/{x}/{y}.terrain").read_bytes()))
        lon, lat, h = decoded.geographic(bounds)
        if z < GRID_LEVELS:
            assert len(lon) == qm.SAMPLES ** 2  # a real grid, not a four-vertex TIN
        # Every vertex is a grid sample: snap the quantized position back onto it.
        step = (bounds[2] - bounds[0]) / (qm.SAMPLES - 1)
        slon = bounds[0] + np.rint((lon - bounds[0]) / step) * step
        slat = bounds[1] + np.rint((lat - bounds[1]) / step) * step
        assert np.abs(slon - lon).max() <= step / 1000 and np.abs(slat - lat).max() <= step / 1000
        expected = compose([(grid, False)], slon, slat, undulation=undulation) + undulation(slon, slat)
        tolerance = (decoded.header["maximumHeight"] - decoded.header["minimumHeight"]) / 32767
        assert np.abs(h - expected).max() < tolerance + 0.01, (z, x, y)
        if z == 13:
            checked += 1
            # Between vertices the mesh stays within the TIN tolerance of the bilinear DEM.
            west, south, east, north = bounds
            rng = np.random.default_rng(z + x + y)
            plon, plat = rng.uniform(west, east, 200), rng.uniform(south, north, 200)
            # Away from the DEM's edge, where the ground drops to sea level in one grid step.
            gw, gs, ge, gn = grid.bounds
            inside = ((plon > gw + step) & (plon < ge - step) & (plat > gs + step) & (plat < gn - step))
            mesh_h = _interpolate(decoded, bounds, plon[inside], plat[inside])
            truth = grid.sample(plon[inside], plat[inside]) + undulation(plon[inside], plat[inside])
            errors.append(np.abs(mesh_h - truth))
    assert checked > 0
    # Between samples the triangles cut the bilinear DEM's twisted patches: on Monaco's
    # steep slopes by metres at worst, which the buildings' skirts absorb (next test).
    errors = np.concatenate(errors)
    print(f"TIN vs bilinear DEM at level 13: median {np.median(errors):.2f} m, "
          f"95% {np.percentile(errors, 95):.2f} m, max {errors.max():.2f} m")
    assert np.median(errors) < 0.5 and np.percentile(errors, 95) < 3.0


def _interpolate(decoded, bounds, lon, lat):
    """Height of the decoded TIN at points (barycentric, in lon/lat)."""
    vl, va, vh = decoded.geographic(bounds)
    out = np.full(len(lon), np.nan)
    for a, b, c in decoded.triangles:
        x1, y1, x2, y2, x3, y3 = vl[a], va[a], vl[b], va[b], vl[c], va[c]
        det = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3)
        l1 = ((y2 - y3) * (lon - x3) + (x3 - x2) * (lat - y3)) / det
        l2 = ((y3 - y1) * (lon - x3) + (x1 - x3) * (lat - y3)) / det
        l3 = 1 - l1 - l2
        hit = (l1 >= -1e-9) & (l2 >= -1e-9) & (l3 >= -1e-9) & np.isnan(out)
        out[hit] = l1[hit] * vh[a] + l2[hit] * vh[b] + l3[hit] * vh[c]
    assert not np.isnan(out).any()
    return out


@pytest.mark.django_db
def test_buildings_stand_on_the_terrain_mesh_neither_floating_nor_sunk(monaco_dem):
    """At every footprint vertex, Cesium's finest terrain surface lies between
    the bottom of the building's walls and its base: no gap under any wall."""
    city = _make_city(80)
    tiles_build()
    terrain_build(max_level=13)
    frame = EnuFrame(*json.loads((Path(cim_settings.TILES_DIR) / "manifest.json").read_text())["frame"])
    decoded = _decoded(frame)
    size = tms.tile_size_deg(13)
    points = []  # (tile, lon, lat, building bottom, base)
    for b in city:
        b.refresh_from_db()
        base = b.base_elevation + float(undulation(b.centroid.x, b.centroid.y)[0])
        for lon, lat in b.footprint.coords[0][0][:-1]:
            tile = (int((lon + 180) // size), int((lat + 90) // size))
            points.append((tile, lon, lat, decoded[b.pk]["h"].min(), base))
    offsets = []
    for tile in sorted({p[0] for p in points}):
        mine = [p for p in points if p[0] == tile]
        mesh = qm.decode(gzip.decompress((_terrain_dir() / f"13/{tile[0]}/{tile[1]}.terrain").read_bytes()))
        ground = _interpolate(mesh, tms.tile_bounds(13, *tile), np.array([p[1] for p in mine]),
                              np.array([p[2] for p in mine]))
        bottom = np.array([p[3] for p in mine])
        assert (bottom < ground).all()  # the walls reach into the ground everywhere
        offsets.extend(ground - np.array([p[4] for p in mine]))
    offsets = np.array(offsets)
    print(f"terrain mesh − building base at footprint vertices: 5% {np.percentile(offsets, 5):.2f} m, "
          f"median {np.median(offsets):.2f} m, 95% {np.percentile(offsets, 95):.2f} m")
    # The base is the lowest vertex's ground: the mesh is at or above it (uphill vertices),
    # and where it dips below, only by the triangles' cut through the DEM.
    assert np.percentile(offsets, 5) > -1.5
    assert np.median(np.abs(offsets)) < 10


@pytest.mark.django_db
def test_no_dem_is_a_clear_error_and_publishes_nothing(media_root):
    with pytest.raises(DomainError) as err:
        terrain_build()
    assert err.value.field == "dem"
    assert not _terrain_dir().exists()
    with pytest.raises(DomainError, match="max_level"):
        terrain_build(max_level=30)


@pytest.mark.django_db
def test_command_prints_a_summary_and_is_audited(monaco_dem):
    out = StringIO()
    call_command("build_terrain", "--max-level", "10", "--no-progress", stdout=out)
    assert "terrain tiles, levels 0–10" in out.getvalue() and "bytes gzipped" in out.getvalue()
    assert AuditLog.objects.filter(action="terrain.build").count() == 1
    with pytest.raises(CommandError, match="max_level"):
        call_command("build_terrain", "--max-level", "40", "--no-progress")


# --- serving ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_terrain_is_public_gzipped_and_cached(monaco_dem, client):
    terrain_build(max_level=8)
    layer = client.get("/terrain/layer.json")
    assert layer.status_code == 200 and layer["Content-Type"] == "application/json"
    assert layer["Cache-Control"] == "public, no-cache"
    doc = json.loads(b"".join(layer.streaming_content))
    size = tms.tile_size_deg(8)
    xy = f"{int((7.42 + 180) // size)}/{int((43.73 + 90) // size)}"
    url = doc["tiles"][0].replace("{z}/{x}/{y}", f"8/{xy}").replace("{version}", doc["version"])
    tile = client.get(f"/terrain/{url}", HTTP_ACCEPT_ENCODING="gzip")
    assert tile.status_code == 200
    assert tile["Content-Encoding"] == "gzip"
    assert tile["Content-Type"].startswith("application/vnd.quantized-mesh")
    assert tile["Cache-Control"] == "public, max-age=31536000, immutable"
    qm.decode(gzip.decompress(b"".join(tile.streaming_content)))
    plain = client.get(f"/terrain/8/{xy}.terrain")  # a client that does not take gzip
    assert "Content-Encoding" not in plain and qm.decode(plain.content).header
    assert plain["ETag"] != tile["ETag"]  # one tag per representation
    again = client.get(f"/terrain/8/{xy}.terrain", HTTP_IF_NONE_MATCH=tile["ETag"],
                       HTTP_ACCEPT_ENCODING="gzip")
    assert again.status_code == 304 and again["ETag"] == tile["ETag"]
    for bad in ("9/999/999.terrain", "../tiles/tileset.json", "layer.json.bak", "8/131/../../x"):
        assert client.get(f"/terrain/{bad}").status_code == 404
