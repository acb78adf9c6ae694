"""The pure routing engine against an independent model: networkx on the same
edges, with every snapped point inserted as a real node that splits its edge."""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod

from cim.routing.engine import RoadGraph, RoutingError

GEOD = Geod(ellps="GRS80")
LON0, LAT0, STEP = 105.70, 34.58, 0.001  # Tianshui, ~90-110 m blocks


def grid(n: int = 12, *, seed: int = 7, oneway_share: float = 0.2):
    """A jittered n×n street grid with random speeds, one-way streets, road
    classes and some bent geometries."""
    rng = np.random.default_rng(seed)
    ids, lons, lats = [], [], []
    for i in range(n):
        for j in range(n):
            ids.append(1000 + i * n + j)
            lons.append(LON0 + i * STEP + rng.uniform(-1e-4, 1e-4))
            lats.append(LAT0 + j * STEP + rng.uniform(-1e-4, 1e-4))
    pos = {nid: (lo, la) for nid, lo, la in zip(ids, lons, lats, strict=True)}
    edges = []
    for i in range(n):
        for j in range(n):
            a = 1000 + i * n + j
            for b in ([1000 + (i + 1) * n + j] if i + 1 < n else []) + (
                    [1000 + i * n + j + 1] if j + 1 < n else []):
                if rng.random() < 0.5:
                    a_, b_ = b, a
                else:
                    a_, b_ = a, b
                (x0, y0), (x1, y1) = pos[a_], pos[b_]
                if rng.random() < 0.3:  # a bent street through a mid vertex
                    mid = ((x0 + x1) / 2 + rng.uniform(-3e-4, 3e-4), (y0 + y1) / 2 + rng.uniform(-3e-4, 3e-4))
                    coords = [(x0, y0), mid, (x1, y1)]
                else:
                    coords = [(x0, y0), (x1, y1)]
                length = sum(GEOD.line_length([p[0], q[0]], [p[1], q[1]])
                             for p, q in zip(coords[:-1], coords[1:], strict=True))
                edges.append({
                    "id": 50_000 + len(edges), "u": a_, "v": b_, "length": length,
                    "speed": float(rng.choice([20, 30, 40, 60])),
                    "oneway": bool(rng.random() < oneway_share),
                    "cls": str(rng.choice(["primary", "residential", "service", "pedestrian", "trunk"],
                                          p=[0.3, 0.4, 0.15, 0.1, 0.05])),
                    "coords": coords,
                })
    # a parallel, slower street and a permanently closed one
    e0 = edges[0]
    edges.append({**e0, "id": 90_001, "speed": 5.0, "oneway": False, "cls": "residential"})
    edges.append({**edges[5], "id": 90_002, "speed": 120.0, "closed": True})
    return ids, lons, lats, edges


def build(data, mode="drive"):
    ids, lons, lats, edges = data
    return RoadGraph.from_arrays(
        node_ids=ids, node_lon=lons, node_lat=lats,
        edge_ids=[e["id"] for e in edges], edge_from=[e["u"] for e in edges],
        edge_to=[e["v"] for e in edges], length_m=[e["length"] for e in edges],
        speed_kmh=[e["speed"] for e in edges], oneway=[e["oneway"] for e in edges],
        closed=[e.get("closed", False) for e in edges], road_class=[e["cls"] for e in edges],
        geometries=[e["coords"] for e in edges], mode=mode,
    )


def reference(data, snaps, *, mode="drive", closed=frozenset()):
    """networkx DiGraph of the same network with each snap inserted as node
    ("p", k), splitting its edge at the snap fraction."""
    _, _, _, edges = data
    cuts = defaultdict(list)
    for k, s in enumerate(snaps):
        cuts[s.edge_id].append((s.fraction, ("p", k)))
    G = nx.DiGraph()

    def add(a, b, secs):
        if a != b and (not G.has_edge(a, b) or G[a][b]["w"] > secs):
            G.add_edge(a, b, w=secs)

    for e in edges:
        if e.get("closed"):
            continue
        if mode == "drive" and e["cls"] in ("pedestrian", "track"):
            continue
        if mode == "walk" and e["cls"] in ("motorway", "trunk"):
            continue
        speed = 5.0 if mode == "walk" else e["speed"]
        secs = e["length"] / (speed / 3.6)
        two_way = mode == "walk" or not e["oneway"]
        stops = [(0.0, e["u"])] + sorted(cuts.get(e["id"], [])) + [(1.0, e["v"])]
        for (f0, a), (f1, b) in zip(stops[:-1], stops[1:], strict=True):
            piece = (f1 - f0) * secs
            through = e["id"] not in closed or isinstance(a, tuple) or isinstance(b, tuple)
            if not through:
                continue
            add(a, b, piece)
            if two_way:
                add(b, a, piece)
    return G


def nx_time(G, a, b):
    try:
        return nx.dijkstra_path_length(G, a, b, weight="w")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return math.inf


def random_points(k, seed=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(LON0 - 2e-4, LON0 + 0.011, k), rng.uniform(LAT0 - 2e-4, LAT0 + 0.011, k)


@pytest.mark.parametrize("mode", ["drive", "walk"])
@pytest.mark.parametrize("reverse", [False, True])
def test_point_travel_times_match_networkx(mode, reverse):
    data = grid()
    g = build(data, mode)
    lons, lats = random_points(40)
    snaps = g.snap_many(lons, lats)
    origin, points = snaps[0], snaps[1:]
    got = g.point_travel_times(origin, points, reverse=reverse)
    G = reference(data, snaps, mode=mode)
    for k, t in enumerate(got, start=1):
        want = nx_time(G, ("p", k), ("p", 0)) if reverse else nx_time(G, ("p", 0), ("p", k))
        if math.isinf(want):
            assert math.isinf(t)
        else:
            assert t == pytest.approx(want, rel=1e-9, abs=1e-6)
    assert np.isfinite(got).sum() > 20  # the comparison covered real paths


@pytest.mark.parametrize("reverse", [False, True])
def test_node_travel_times_match_networkx(reverse):
    data = grid(seed=11)
    g = build(data)
    origin = g.snap(LON0 + 0.0043, LAT0 + 0.0061)
    times = g.travel_times(origin, reverse=reverse)
    G = reference(data, [origin])
    for idx in range(0, g.node_count, 7):
        nid = int(g.node_ids[idx])
        want = nx_time(G, nid, ("p", 0)) if reverse else nx_time(G, ("p", 0), nid)
        assert (math.isinf(want) and math.isinf(times[idx])) or times[idx] == pytest.approx(want, abs=1e-6)


def test_closures_take_effect_per_query_and_match_networkx():
    data = grid(seed=5, oneway_share=0.0)
    g = build(data)
    lons, lats = random_points(15, seed=9)
    snaps = g.snap_many(lons, lats)
    origin, dest = snaps[0], snaps[1]
    open_route = g.route(origin, dest)
    closed = frozenset(open_route.edge_ids[1:-1][:3])
    assert closed
    detour = g.route(origin, dest, closed=closed)
    assert detour.seconds > open_route.seconds
    assert not closed & set(detour.edge_ids[1:-1])
    G = reference(data, snaps, closed=closed)
    assert detour.seconds == pytest.approx(nx_time(G, ("p", 0), ("p", 1)), abs=1e-6)
    times = g.point_travel_times(origin, snaps[1:], closed=closed)
    for k, t in enumerate(times, start=1):
        want = nx_time(G, ("p", 0), ("p", k))
        assert (math.isinf(want) and math.isinf(t)) or t == pytest.approx(want, abs=1e-6)
    # the closure was for that query only
    assert g.route(origin, dest).seconds == pytest.approx(open_route.seconds)


def test_point_on_a_closed_edge_is_still_reached_from_its_ends():
    data = grid(seed=5, oneway_share=0.0)
    g = build(data)
    a, b = g.snap_many([LON0 + 0.0031, LON0 + 0.0072], [LAT0 + 0.0048, LAT0 + 0.0021])
    r = g.route(a, b, closed={b.edge_id})
    assert r is not None and r.edge_ids[-1] == b.edge_id


def test_route_geometry_and_metres_are_consistent():
    data = grid(seed=21)
    g = build(data)
    lons, lats = random_points(12, seed=21)
    snaps = g.snap_many(lons, lats)
    edges = {e["id"]: e for e in data[3]}
    checked = 0
    for a, b in zip(snaps[:-1], snaps[1:], strict=True):
        r = g.route(a, b)
        t = g.point_travel_times(a, [b])[0]
        if r is None:
            assert math.isinf(t)
            continue
        checked += 1
        assert r.seconds == pytest.approx(t, abs=1e-6)
        assert r.coords[0] == pytest.approx((a.lon, a.lat), abs=1e-9)
        assert r.coords[-1] == pytest.approx((b.lon, b.lat), abs=1e-9)
        # the drawn line is as long as the metres reported (geodesic, ±1 %)
        lon, lat = zip(*r.coords, strict=True)
        drawn = GEOD.line_length(lon, lat)
        assert drawn == pytest.approx(r.meters, rel=0.01, abs=0.5)
        # consecutive edges share a node, and no pedestrian street is driven
        for e1, e2 in zip(r.edge_ids[:-1], r.edge_ids[1:], strict=True):
            assert {edges[e1]["u"], edges[e1]["v"]} & {edges[e2]["u"], edges[e2]["v"]}
        assert all(edges[e]["cls"] != "pedestrian" for e in r.edge_ids)
    assert checked >= 5


def test_same_edge_route_and_one_way_street():
    ids, lons, lats = [1, 2, 3], [105.70, 105.701, 105.702], [34.58, 34.58, 34.58]
    kw = dict(node_ids=ids, node_lon=lons, node_lat=lats, edge_ids=[10, 11], edge_from=[1, 2],
              edge_to=[2, 3], length_m=[91.6, 91.6], speed_kmh=[36.0, 36.0], oneway=[True, True])
    g = RoadGraph.from_arrays(**kw)
    p = g.snap(105.7002, 34.5801)
    q = g.snap(105.7008, 34.5801)
    assert p.edge_id == q.edge_id == 10
    forward = g.route(p, q)
    assert forward.edge_ids == [10]
    assert forward.seconds == pytest.approx((q.fraction - p.fraction) * 91.6 / 10, rel=1e-9)
    assert g.route(q, p) is None  # against the one-way street
    assert math.isinf(g.point_travel_times(q, [p])[0])
    assert math.isinf(g.point_travel_times(p, [q], reverse=True)[0])  # from q to p
    assert g.point_travel_times(q, [p], reverse=True)[0] == pytest.approx(forward.seconds)
    # walking ignores one-way and goes at 5 km/h
    w = RoadGraph.from_arrays(**kw, mode="walk")
    back = w.route(w.snap(105.7008, 34.5801), w.snap(105.7002, 34.5801))
    assert back.seconds == pytest.approx(abs(q.fraction - p.fraction) * 91.6 / (5 / 3.6), rel=1e-6)


def test_snap_is_metric_and_at_nodes_works_on_one_way_edges():
    ids, lons, lats = [1, 2, 3], [105.70, 105.701, 105.702], [34.58, 34.58, 34.58]
    g = RoadGraph.from_arrays(node_ids=ids, node_lon=lons, node_lat=lats, edge_ids=[10, 11],
                              edge_from=[1, 2], edge_to=[2, 3], length_m=[91.6, 91.6],
                              speed_kmh=[36.0, 36.0], oneway=[True, True])
    s = g.snap(105.7005, 34.5805)
    assert s.edge_id == 10 and s.fraction == pytest.approx(0.5, abs=1e-3)
    # 0.0005° of latitude is ~55.4 m at 34.58° N (geodesic)
    assert s.distance_m == pytest.approx(GEOD.inv(105.7005, 34.5805, 105.7005, 34.58)[2], rel=2e-3)
    at_node = g.snap(105.701, 34.58)
    t = g.travel_times(at_node)
    assert t[g.node_index(3)] == pytest.approx(9.16, rel=1e-6)  # leaves node 2 along edge 11


def test_modes_exclude_classes_and_bad_input_is_refused():
    data = grid(seed=2)
    drive, walk = build(data, "drive"), build(data, "walk")
    classes = {e["id"]: e["cls"] for e in data[3]}
    assert not {classes[i] for i in drive.edge_ids} & {"pedestrian", "track"}
    assert not {classes[i] for i in walk.edge_ids} & {"motorway", "trunk"}
    assert 90_002 not in set(drive.edge_ids)  # permanently closed
    with pytest.raises(RoutingError, match="unknown mode"):
        build(data, "fly")
    with pytest.raises(RoutingError, match="unknown node"):
        RoadGraph.from_arrays(node_ids=[1], node_lon=[105.7], node_lat=[34.5], edge_ids=[1],
                              edge_from=[1], edge_to=[2], length_m=[1], speed_kmh=[1], oneway=[False])
    empty = RoadGraph.from_arrays(node_ids=[], node_lon=[], node_lat=[], edge_ids=[], edge_from=[],
                                  edge_to=[], length_m=[], speed_kmh=[], oneway=[])
    with pytest.raises(RoutingError, match="no usable roads"):
        empty.snap(105.7, 34.5)
    tiny = RoadGraph.from_arrays(node_ids=[1, 2], node_lon=[105.7, 105.701], node_lat=[34.58, 34.58],
                                 edge_ids=[1], edge_from=[1], edge_to=[2], length_m=[91.6],
                                 speed_kmh=[30], oneway=[False])
    foreign = drive.snap(LON0 + 0.009, LAT0 + 0.009)
    assert foreign.edge > 0
    with pytest.raises(RoutingError, match="another graph"):
        tiny.route(foreign, tiny.snap(105.7005, 34.58))
