"""The pure tiling package (cim.tiling): geodesy, prisms, solids, glb, quadtree,
manifest planning and tileset documents.  No database."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from cim.tiling import manifest as mf
from cim.tiling.builder import BuildingRecords, encode_tile, prepare, tileset_document
from cim.tiling.geodesy import EnuFrame, ecef_to_geodetic, geodetic_to_ecef
from cim.tiling.glb import read_glb
from cim.tiling.mesh import BuildingMeshes, gather_ranges
from cim.tiling.parallel import WorkerError, run_forked
from cim.tiling.prisms import _rings_from_wkb, footprints_from_wkb, prism_meshes
from cim.tiling.quadtree import MIN_GE, build_quadtree, geometric_errors, split_above_content
from cim.tiling.solids import SolidError, solid_mesh
from cim.tiling.validate import glb_reports, tileset_errors

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "3d-tiles"
USES = ["residential", "commercial", "office", "other"]
M_PER_DEG_LAT = 111_132.0


def _flat(value: float):
    return lambda lon, lat: np.full(np.shape(lon), value, dtype=np.float64)


def records(polys: list, *, heights=None, solids=None, names=None) -> BuildingRecords:
    n = len(polys)
    geoms = [p if isinstance(p, MultiPolygon) else MultiPolygon([p]) for p in polys]
    return BuildingRecords(
        ids=np.arange(1, n + 1, dtype=np.int64),
        wkb=list(shapely.to_wkb(geoms)),
        centroid=np.array([[g.centroid.x, g.centroid.y] for g in geoms]),
        height=np.asarray(heights if heights is not None else [20.0] * n, dtype=np.float64),
        floors=np.arange(n) % 30,
        use=[USES[i % len(USES)] for i in range(n)],
        year=np.where(np.arange(n) % 2 == 0, 1990 + np.arange(n) % 30, 0),
        name=names or [f"楼{i}" if i % 3 else "" for i in range(n)],
        admin_code=["620502001001"] * n,
        admin_name=["东关社区"] * n,
        lod=np.ones(n, dtype=np.int64),
        base_elevation=np.full(n, np.nan),
        solids=solids or [None] * n,
        fingerprints=[f"fp{i}" for i in range(n)],
    )


def rect(lon: float, lat: float, w_m: float = 20.0, h_m: float = 12.0, *, clockwise=False) -> Polygon:
    dlon = w_m / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
    dlat = h_m / M_PER_DEG_LAT
    pts = [(lon, lat), (lon + dlon, lat), (lon + dlon, lat + dlat), (lon, lat + dlat)]
    return Polygon(pts[::-1] if clockwise else pts)


def city(n: int, *, seed: int = 3, lon0=105.72, lat0=34.58, span_m=3000.0) -> list[Polygon]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x, y = rng.uniform(0, span_m, 2)
        lon = lon0 + x / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
        out.append(rect(lon, lat0 + y / M_PER_DEG_LAT, rng.uniform(8, 40), rng.uniform(8, 25)))
    return out


# --- geodesy --------------------------------------------------------------------------------

def test_geodetic_ecef_round_trip_is_submillimetre():
    lon = np.array([105.72, -70.1, 0.0, 179.9])
    lat = np.array([34.58, -33.4, 89.9, -0.1])
    h = np.array([1150.0, -30.0, 5000.0, 0.0])
    back = ecef_to_geodetic(geodetic_to_ecef(lon, lat, h))
    assert np.abs(back[0] - lon).max() < 1e-9
    assert np.abs(back[1] - lat).max() < 1e-9
    assert np.abs(back[2] - h).max() < 1e-3


def test_enu_frame_axes_point_east_north_up():
    frame = EnuFrame(105.72, 34.58, 0.0)
    east = frame.from_geodetic(105.7201, 34.58, 0.0)[0]
    north = frame.from_geodetic(105.72, 34.5801, 0.0)[0]
    up = frame.from_geodetic(105.72, 34.58, 10.0)[0]
    assert east[0] > 9 and abs(east[1]) < 1e-3
    assert north[1] > 11 and abs(north[0]) < 1e-3
    assert np.allclose(up, [0, 0, 10], atol=1e-6)
    m = np.array(frame.transform()).reshape(4, 4).T  # column-major
    assert np.allclose(m[:3, 3], geodetic_to_ecef(105.72, 34.58, 0.0).reshape(3))


# --- footprints and prisms ------------------------------------------------------------------

def test_footprint_parsing_drops_closing_and_repeated_vertices_and_degenerate_rings():
    a = Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)])
    sliver = Polygon([(5, 5), (6, 5), (5, 5)])  # collapses to two points
    holed = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 2), (2, 2), (2, 1)]])
    fp = footprints_from_wkb(shapely.to_wkb([MultiPolygon([a]), MultiPolygon([sliver]),
                                              MultiPolygon([holed])]))
    assert fp.ring_count.tolist() == [4, 4, 4]
    assert fp.ring_building.tolist() == [0, 2, 2]
    assert fp.ring_exterior.tolist() == [True, True, False]


def test_wkb_read_from_the_bytes_gives_what_shapely_gives():
    sq = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    holed = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 2), (2, 2), (2, 1)]])
    far = Polygon([(10, 10), (12, 10), (11, 13)])
    polyz = Polygon([(0, 0, 5), (2, 0, 5), (2, 2, 5)])
    wkb = [shapely.to_wkb(MultiPolygon([sq])), shapely.to_wkb(MultiPolygon([holed])),
           shapely.to_wkb(MultiPolygon([sq, far])), shapely.to_wkb(MultiPolygon([far]), byte_order=0),
           shapely.to_wkb(sq), shapely.to_wkb(MultiPolygon([polyz])), shapely.to_wkb(MultiPolygon()),
           shapely.to_wkb(MultiPolygon([far])), shapely.to_wkb(MultiPolygon([sq]), include_srid=True)]
    coords, coord_ring, ring_poly, poly_building, n_polys = _rings_from_wkb(wkb)
    polys, want_building = shapely.get_parts(shapely.from_wkb(wkb), return_index=True)
    rings, want_poly = shapely.get_rings(polys, return_index=True)
    want_coords, want_ring = shapely.get_coordinates(rings, return_index=True)
    assert np.array_equal(coords, want_coords) and np.array_equal(coord_ring, want_ring)
    assert np.array_equal(ring_poly, want_poly) and np.array_equal(poly_building, want_building)
    assert n_polys == len(polys)


def _prism(polys, *, top=30.0, bottom=-3.0):
    fp = footprints_from_wkb(shapely.to_wkb([MultiPolygon([p]) for p in polys]))
    frame = EnuFrame(105.72, 34.58, 0.0)
    n = len(polys)
    up = np.tile([0.0, 0.0, 1.0], (n, 1))
    meshes = BuildingMeshes.assemble(
        prism_meshes(fp, frame, top=np.full(n, top), bottom=np.full(n, bottom), up=up,
                     with_roof=np.ones(n, bool)), n)
    meshes.vertex_building = np.repeat(np.arange(n), meshes.vertex_count)
    return meshes


def test_prism_of_a_rectangle_is_twenty_vertices_with_outward_flat_walls():
    for clockwise in (False, True):
        part = _prism([rect(105.72, 34.58, clockwise=clockwise)])
        assert len(part.positions) == 4 + 16
        assert part.roof.sum() == 2 and (~part.roof).sum() == 8
        tri = part.triangles
        a, b, c = (part.positions[tri[:, k]] for k in range(3))
        face = np.cross(b - a, c - a)
        # Counter-clockwise seen from outside: face normals agree with the vertex normals.
        assert (np.einsum("ij,ij->i", face, part.normals[tri[:, 0]]) > 0).all()
        walls = part.normals[tri[~part.roof][:, 0]]
        assert np.allclose(walls[:, 2], 0, atol=1e-3)
        centre = part.positions.mean(axis=0)
        outward = part.positions[tri[~part.roof][:, 0]] - centre
        assert (np.einsum("ij,ij->i", walls[:, :2], outward[:, :2]) > 0).all()
        assert np.allclose(part.positions[:, 2].max(), 30.0, atol=0.01)
        assert np.allclose(part.positions[:, 2].min(), -3.0, atol=0.01)


def test_roof_triangulation_respects_holes_and_concave_outlines():
    outer = rect(105.72, 34.58, 60, 60)
    hole = rect(105.72 + 20 / (M_PER_DEG_LAT * np.cos(np.radians(34.58))), 34.58 + 20 / M_PER_DEG_LAT,
                20, 20, clockwise=True)
    courtyard = Polygon(outer.exterior.coords, [hole.exterior.coords])
    ell = Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 30), (0, 30)])
    lon0, lat0 = 105.73, 34.58
    ell = shapely.transform(ell, lambda xy: np.column_stack([
        lon0 + xy[:, 0] / (M_PER_DEG_LAT * np.cos(np.radians(lat0))), lat0 + xy[:, 1] / M_PER_DEG_LAT]))
    part = _prism([courtyard, ell])
    roof = part.triangles[part.roof]
    a, b, c = (part.positions[roof[:, k]] for k in range(3))
    area = np.cross(b - a, c - a)[:, 2] / 2
    assert (area > 0).all()  # all counter-clockwise from above
    owner = part.vertex_building[roof[:, 0]]
    assert area[owner == 0].sum() == pytest.approx(60 * 60 - 20 * 20, rel=0.01)
    assert area[owner == 1].sum() == pytest.approx(30 * 30 - 20 * 20, rel=0.01)
    # Courtyard walls too: 4 outer + 4 inner quads.
    assert (part.vertex_building[part.triangles[~part.roof][:, 0]] == 0).sum() == 16


def test_gather_ranges_concatenates_aranges():
    assert gather_ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist() == [5, 6, 9, 10, 11]


# --- solids -----------------------------------------------------------------------------------

def cube_solid(lon=105.72, lat=34.58, size_m=10.0, z0=-4.0, height=15.0) -> dict:
    dlon = size_m / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
    dlat = size_m / M_PER_DEG_LAT
    v = [[lon, lat, z0], [lon + dlon, lat, z0], [lon + dlon, lat + dlat, z0], [lon, lat + dlat, z0]]
    v += [[x, y, z0 + height] for x, y, _ in v]
    faces = [[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]],
             [[3, 0, 4, 7]]]
    sem = ["GroundSurface", "RoofSurface", "WallSurface", "WallSurface", "WallSurface", None]
    return {"lod": "2.2", "crs_z": "NAP", "vertices": v, "faces": faces, "semantics": sem}


def test_solid_is_placed_by_shape_on_the_base_and_drops_the_ground_surface():
    frame = EnuFrame(105.72, 34.58, 0.0)
    part = solid_mesh(cube_solid(), building=0, frame=frame, base=1100.0, up=np.array([0, 0, 1.0]))
    lon, lat, h = frame.to_geodetic(part.positions)
    assert h.min() == pytest.approx(1100.0, abs=0.01)  # NAP −4 m ends up on the base
    assert h.max() == pytest.approx(1115.0, abs=0.01)
    assert part.roof.sum() == 2 and (~part.roof).sum() == 8  # 1 roof + 4 walls, no ground
    tri = part.triangles
    a, b, c = (part.positions[tri[:, k]] for k in range(3))
    assert (np.einsum("ij,ij->i", np.cross(b - a, c - a), part.normals[tri[:, 0]]) > 0).all()


@pytest.mark.parametrize("solid, reason", [
    ({"vertices": [[0, 0, 0]] * 3, "faces": [[[0, 1, 2]]]}, "at least four"),
    ({"vertices": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "faces": [[[0, 1, 9]]]},
     "out of range"),
    ({"vertices": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "faces": []}, "non-empty"),
    ({"vertices": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "faces": [[[0, 1, 2, 3]]],
      "semantics": []}, "0 entries for 1 faces"),
    ("not a solid", "expected an object"),
])
def test_bad_solid_says_what_is_wrong(solid, reason):
    with pytest.raises(SolidError, match=reason):
        solid_mesh(solid, building=0, frame=EnuFrame(0, 0, 0), base=0.0, up=np.array([0, 0, 1.0]))


def test_prepare_falls_back_to_lod1_for_a_broken_solid_and_reports_it():
    polys = [rect(105.72, 34.58), rect(105.721, 34.58)]
    rec = records(polys, solids=[cube_solid(105.721, 34.58), {"vertices": [], "faces": []}])
    rec.lod[:] = 2
    prep = prepare(rec, frame=EnuFrame(105.72, 34.58, 0), ground=_flat(1000.0), undulation=_flat(-38.9))
    assert prep.drawn_lod.tolist() == [2, 1]
    assert prep.problems == [(2, "solid.vertices: expected at least four [lon, lat, z] triples; "
                                 "drawn as LoD1")]


def test_a_footprint_without_a_valid_ring_is_reported_and_left_out():
    sliver = Polygon([(105.72, 34.58), (105.7201, 34.58), (105.72, 34.58), (105.72, 34.58)])
    rec = records([rect(105.721, 34.58), sliver, rect(105.722, 34.58)])
    prep = prepare(rec, frame=EnuFrame(105.72, 34.58, 0), ground=_flat(1000.0), undulation=_flat(-38.9))
    assert prep.problems == [(2, "footprint has no valid ring; not drawn")]
    glb = read_glb(encode_tile(prep, np.arange(3), use_values=USES).data)
    assert glb.properties["id"] == ["1", "3"]


# --- glb --------------------------------------------------------------------------------------

def test_glb_round_trip_places_every_vertex_within_quantization_and_keeps_metadata():
    polys = city(300)
    rec = records(polys, heights=np.linspace(5, 90, 300))
    frame = EnuFrame(105.73, 34.59, 0.0)
    prep = prepare(rec, frame=frame, ground=_flat(1120.0), undulation=_flat(-38.9))
    content = encode_tile(prep, np.arange(300), use_values=USES)
    glb = read_glb(content.data)
    extent = np.ptp(prep.meshes.positions, axis=0).max()
    positions, normals, fids, walls, roofs = prep.meshes.select(np.arange(300))
    assert np.abs(glb.positions - positions).max() <= extent / 65534 + 1e-6
    assert (glb.feature_ids == fids).all()
    assert np.abs(glb.normals - normals).max() < 0.02
    assert glb.properties["id"] == [str(i) for i in rec.ids]
    assert glb.properties["height"] == pytest.approx(list(rec.height), abs=1e-4)
    assert glb.properties["use"][:4] == USES
    assert glb.properties["name"][:3] == ["", "楼1", "楼2"]
    assert glb.properties["admin_name"][0] == "东关社区"
    assert glb.properties["year"][:2] == [1990, 0]
    meta = glb.gltf["extensions"]["EXT_structural_metadata"]
    assert meta["schema"]["classes"]["building"]["properties"]["year"]["noData"] == 0
    assert glb.gltf["extensionsRequired"] == ["KHR_mesh_quantization"]


def test_lod1_tile_is_within_the_size_targets():
    """≤ 600 bytes per LoD1 building raw, ≤ 250 gzipped, on a 1,000-building tile."""
    rec = records(city(1000))
    prep = prepare(rec, frame=EnuFrame(105.73, 34.59, 0.0), ground=_flat(1120.0),
                   undulation=_flat(-38.9))
    data = encode_tile(prep, np.arange(1000), use_values=USES).data
    assert len(data) / 1000 <= 600
    assert len(gzip.compress(data)) / 1000 <= 250


def test_glb_passes_the_khronos_validator(tmp_path):
    polys = city(40)
    polys[0] = Polygon(polys[0].exterior.coords,
                       [shapely.affinity.scale(polys[0], 0.3, 0.3).exterior.coords[::-1]])
    rec = records(polys, solids=[None] * 39 + [cube_solid(polys[39].centroid.x, polys[39].centroid.y)],
                  names=[""] * 40)
    prep = prepare(rec, frame=EnuFrame(105.73, 34.59, 0.0), ground=_flat(1120.0),
                   undulation=_flat(-38.9))
    path = tmp_path / "a.glb"
    path.write_bytes(encode_tile(prep, np.arange(40), use_values=USES).data)
    [report] = glb_reports([path])
    assert report["errors"] == 0, report["messages"]
    assert report["warnings"] == 0, report["messages"]


# --- quadtree and geometric error -------------------------------------------------------------

def _tree_inputs(n, seed=5):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 300, n // 2), rng.uniform(-5000, 5000, n - n // 2)])
    y = np.concatenate([rng.normal(0, 300, n // 2), rng.uniform(-5000, 5000, n - n // 2)])
    imp = rng.uniform(5, 80, n)
    verts = rng.integers(20, 60, n)
    return x, y, imp, verts, np.arange(n)


def test_quadtree_caps_each_tile_and_places_every_building_exactly_once():
    x, y, imp, verts, ids = _tree_inputs(12_000)
    tree = build_quadtree(x=x, y=y, importance=imp, vertices=verts, ids=ids, max_buildings=500,
                          max_vertices=15_000)
    held = np.concatenate([t.buildings for t in tree.walk()])
    assert sorted(held.tolist()) == list(range(12_000))
    for t in tree.walk():
        assert len(t.buildings) <= 500 and verts[t.buildings].sum() <= 15_000
        # An ancestor keeps the most visible buildings of its cell.
        for c in t.children:
            if len(t.buildings) and len(c.buildings):
                assert imp[t.buildings].min() >= imp[np.concatenate(
                    [d.buildings for d in c.walk()])].max() - 1e-9
    again = build_quadtree(x=x, y=y, importance=imp, vertices=verts, ids=ids, max_buildings=500,
                           max_vertices=15_000)
    assert [(t.id, t.buildings.tolist()) for t in again.walk()] == \
        [(t.id, t.buildings.tolist()) for t in tree.walk()]


def test_subtrees_built_apart_under_the_content_cells_graft_into_the_same_tree():
    x, y, imp, verts, ids = _tree_inputs(12_000)
    caps = {"max_buildings": 300, "max_vertices": 9_000, "max_content_size": 1_500.0}
    whole = build_quadtree(x=x, y=y, importance=imp, vertices=verts, ids=ids, **caps)
    top, stubs = split_above_content(x=x, y=y, max_content_size=caps["max_content_size"])
    assert len(stubs) > 16
    assert sorted(np.concatenate([s.buildings for s in stubs]).tolist()) == list(range(12_000))
    for stub in reversed(stubs):  # in any order: they share no building
        sub = build_quadtree(x=x, y=y, importance=imp, vertices=verts, ids=ids, members=stub.buildings,
                             cell=(stub.x0, stub.y0, stub.size), tile_id=stub.id, **caps)
        stub.buildings, stub.children = sub.buildings, sub.children
    assert [(t.id, t.x0, t.y0, t.size, t.buildings.tolist()) for t in top.walk()] == \
        [(t.id, t.x0, t.y0, t.size, t.buildings.tolist()) for t in whole.walk()]


def _job(k: int) -> tuple[int, int]:
    if k == 13:
        raise ValueError("job 13 failed")
    return k * k, os.getpid()


def test_forked_jobs_come_back_in_order_and_a_failure_is_reported():
    results = run_forked(_job, [1, 2, 3])
    assert [r[0] for r in results] == [1, 4, 9]
    assert results[0][1] == os.getpid() and len({r[1] for r in results}) == 3
    with pytest.raises(WorkerError, match="job 13 failed"):
        run_forked(_job, [1, 13])


def test_geometric_error_brings_leaves_in_within_about_a_kilometre():
    x, y, imp, verts, ids = _tree_inputs(12_000)
    tree = build_quadtree(x=x, y=y, importance=imp, vertices=verts, ids=ids)
    ge = geometric_errors(tree)
    parents = [t for t in tree.walk() if t.children and all(not c.children for c in t.children)]
    assert parents
    for t in tree.walk():
        if not t.children:
            assert ge[t.id] == 0
        else:
            assert ge[t.id] >= MIN_GE
            assert all(ge[c.id] <= ge[t.id] for c in t.children)
    # Cesium refines at distance < GE × screen px / (16 × 2 tan(fovy/2)): 58× (1080 px, 60°)
    # to 104× (1080 px at 16:9): leaves load within 0.7–1.3 km.
    for t in parents:
        assert 700 <= 58 * ge[t.id] and 104 * ge[t.id] <= 1400
    # Higher tiles refine once the camera is within about their own size.
    for t in tree.walk():
        if t.children and t not in parents:
            assert 58 * ge[t.id] >= t.size
    # Wider than 5 km: no content (quantization), passed straight through to the first
    # content level, which holds the biggest buildings of the city.
    assert len(tree.buildings) == 0 and tree.size > 5000
    tops = [t for t in tree.walk() if len(t.buildings) and all(
        len(a.buildings) == 0 for a in tree.walk() if t.id.startswith(a.id) and a.id != t.id)]
    assert all(t.size <= 5000 for t in tree.walk() if len(t.buildings))
    assert all(ge[t.id] == ge["r"] for t in tree.walk() if t.children and not len(t.buildings))
    top = np.concatenate([t.buildings for t in tops])
    assert len(tops) <= 16 and len(top) >= 4000 and imp[top].mean() > imp.mean()


def test_cities_far_apart_never_share_a_tile():
    x = np.concatenate([np.zeros(50), np.full(50, 800_000.0)])
    y = np.zeros(100)
    tree = build_quadtree(x=x, y=y, importance=np.ones(100), vertices=np.full(100, 20),
                          ids=np.arange(100))
    holders = [t for t in tree.walk() if len(t.buildings)]
    assert len(holders) == 2 and all(t.size <= 5000 for t in holders)
    assert sorted(len(t.buildings) for t in holders) == [50, 50]


# --- manifest and incremental planning --------------------------------------------------------

def _light_and_plan(n=3000, seed=7, max_b=200):
    x, y, imp, verts, ids = _tree_inputs(n, seed)
    ids = ids + 1
    light = mf.Light(ids, [f"fp{i}" for i in ids], x, y)
    plan = mf.plan_full(light, importance=imp, vertices=verts,
                        cell=(-6000.0, -6000.0, 12000.0), max_buildings=max_b)
    contents = {t.id: {"file": f"t/{t.id}.glb"} for t in plan.tree.walk()}
    tiles = mf.tiles_to_manifest(plan.tree, light=light, importance=imp, vertices=verts,
                                 contents=contents)
    manifest = {"format": mf.FORMAT, "root": [-6000.0, -6000.0, 12000.0], "tiles": tiles}
    return json.loads(json.dumps(manifest)), light, plan


def test_incremental_plan_touches_only_the_tile_of_an_edited_building():
    manifest, light, plan = _light_and_plan()
    light.fingerprints[41] = "edited"
    owner = next(t.id for t in plan.tree.walk() if 41 in t.buildings)
    new = mf.plan_incremental(manifest, light, fresh={42: (10.0, 20)}, max_buildings=200)
    assert new.dirty == {owner} and new.changed == {42}


def test_incremental_plan_for_deletion_and_addition():
    manifest, light, plan = _light_and_plan()
    keep = np.ones(len(light.ids), bool)
    keep[10] = False
    owner_deleted = next(t.id for t in plan.tree.walk() if 10 in t.buildings)
    light2 = mf.Light(np.append(light.ids[keep], 99_999), [*np.array(light.fingerprints)[keep], "new"],
                      np.append(light.x[keep], 4000.0), np.append(light.y[keep], -4000.0))
    new = mf.plan_incremental(manifest, light2, fresh={99_999: (3.0, 20)}, max_buildings=200)
    assert new.removed == {11} and new.added == {99_999}
    holder = next(t for t in new.tree.walk() if len(light2.ids) - 1 in t.buildings)
    assert new.dirty == {owner_deleted, holder.id}
    assert holder.contains(4000.0, -4000.0)
    held = np.concatenate([t.buildings for t in new.tree.walk()])
    assert sorted(held.tolist()) == list(range(len(light2.ids)))


def test_incremental_plan_resplits_an_overflowing_tile_and_refuses_outside_the_root():
    manifest, light, plan = _light_and_plan()
    leaf = next(t for t in plan.tree.walk() if not t.children and len(t.buildings) > 20)
    cx, cy = leaf.x0 + leaf.size / 2, leaf.y0 + leaf.size / 2
    extra = 220 - len(leaf.buildings)
    new_ids = np.arange(50_000, 50_000 + extra)
    light2 = mf.Light(np.append(light.ids, new_ids), light.fingerprints + ["n"] * extra,
                      np.append(light.x, np.full(extra, cx) + np.arange(extra) * 0.1),
                      np.append(light.y, np.full(extra, cy)))
    fresh = {int(i): (1.0, 20) for i in new_ids}
    new = mf.plan_incremental(manifest, light2, fresh=fresh, max_buildings=200)
    assert leaf.id in new.dirty and any(d.startswith(leaf.id) and d != leaf.id for d in new.dirty)
    assert all(d.startswith(leaf.id) for d in new.dirty)
    assert all(len(t.buildings) <= 200 for t in new.tree.walk())
    outside = mf.Light(np.append(light.ids, 1), light.fingerprints + ["x"],
                       np.append(light.x, 1e6), np.append(light.y, 0.0))
    outside.ids[-1] = 77_777
    assert mf.plan_incremental(manifest, outside, fresh={77_777: (1.0, 20)}) is None


# --- tileset document -------------------------------------------------------------------------

def test_tileset_document_is_valid_3d_tiles_1_1_with_boxes_enclosing_the_content():
    rec = records(city(600))
    frame = EnuFrame(105.73, 34.59, 0.0)
    prep = prepare(rec, frame=frame, ground=_flat(1120.0), undulation=_flat(-38.9))
    xy = frame.from_geodetic(rec.centroid[:, 0], rec.centroid[:, 1], 0.0)
    tree = build_quadtree(x=xy[:, 0], y=xy[:, 1], importance=prep.importance,
                          vertices=prep.vertex_count, ids=rec.ids, max_buildings=100)
    contents = {}
    for t in tree.walk():
        c = encode_tile(prep, t.buildings, use_values=USES)
        contents[t.id] = {"uri": f"t/{t.id}.glb", "box_min": c.box_min, "box_max": c.box_max}
    doc = tileset_document(tree, frame=frame, contents=contents, version="v1")
    assert tileset_errors(doc, SCHEMAS) == []
    assert doc["asset"]["version"] == "1.1"
    # Cesium draws nothing while the tileset's GE looks small: it is the city's size.
    half = np.array(doc["root"]["boundingVolume"]["box"])[[3, 7, 11]]
    assert doc["geometricError"] >= 2 * np.linalg.norm(half) - 2
    assert doc["geometricError"] >= 2 * doc["root"]["geometricError"]

    def check(node, tile):
        box = np.array(node["boundingVolume"]["box"])
        c, h = box[:3], box[[3, 7, 11]]
        for d in tile.walk():
            lo, hi = np.array(contents[d.id]["box_min"]), np.array(contents[d.id]["box_max"])
            assert (lo >= c - h - 1e-6).all() and (hi <= c + h + 1e-6).all()
        for child_node, child in zip(node.get("children", []), tile.children, strict=True):
            check(child_node, child)

    check(doc["root"], tree)
    broken = json.loads(json.dumps(doc))
    broken["root"]["boundingVolume"] = {"box": [0, 0]}
    assert tileset_errors(broken, SCHEMAS)
