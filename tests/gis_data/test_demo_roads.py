"""The demo road network: a connected graph with arterials on both banks,
bridges, a one-way pair, and speeds and lanes by class."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gis_data.demo.roads import ONEWAY_LANES, ROAD_CLASSES


def _largest_strong_component_share(city) -> float:
    n = len(city.road_nodes)
    a = np.array([e["from"] for e in city.road_edges])
    b = np.array([e["to"] for e in city.road_edges])
    oneway = np.array([e["oneway"] for e in city.road_edges])
    src = np.concatenate([a, b[~oneway]])
    dst = np.concatenate([b, a[~oneway]])
    graph = coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    return np.bincount(labels).max() / n


def test_graph_is_strongly_connected(old_town, seam):
    for city in (old_town, seam):
        assert len(city.road_edges) > 200
        assert _largest_strong_component_share(city) >= 0.99


def test_edges_join_their_nodes(old_town):
    nodes = old_town.road_nodes
    for e in old_town.road_edges[:500]:
        coords = shapely.get_coordinates(e["geom"])
        assert np.allclose(coords[0], nodes[e["from"]], atol=1e-7)
        assert np.allclose(coords[-1], nodes[e["to"]], atol=1e-7)
        assert e["length_m"] > 0


def test_only_bridges_cross_water(old_town):
    water = shapely.union_all([w["geom"] for w in old_town.waterways])
    crossing = [e for e in old_town.road_edges if e["geom"].intersects(water)]
    assert crossing, "the river must be crossed somewhere"
    assert all(e["bridge"] for e in crossing)
    assert all(e["geom"].intersects(water) for e in old_town.road_edges if e["bridge"])
    # Bridges over the Ji River itself, not only over the side stream.
    ji = next(w["geom"] for w in old_town.waterways if w["name"] == "藉河")
    assert sum(e["geom"].crosses(ji) or e["geom"].intersects(ji) for e in crossing) >= 2


def test_riverside_arterials_on_both_banks(old_town):
    ji = next(w for w in old_town.waterways if w["name"] == "藉河")
    river_lat = ji["centreline"].centroid.y
    north = [e for e in old_town.road_edges if e["name"] == "藉河北路"]
    south = [e for e in old_town.road_edges if e["name"] == "藉河南路"]
    assert north and south
    assert all(e["geom"].centroid.y > river_lat - 0.001 for e in north)
    assert np.mean([e["geom"].centroid.y for e in south]) < river_lat


def test_one_way_pair_runs_in_opposite_directions(old_town):
    def heading(name: str) -> float:
        edges = [e for e in old_town.road_edges if e["name"] == name]
        assert edges and all(e["oneway"] for e in edges)
        dx = sum(shapely.get_coordinates(e["geom"])[-1][0] - shapely.get_coordinates(e["geom"])[0][0]
                 for e in edges)
        return dx

    assert heading("民主路") > 0 > heading("解放路")


def test_speed_and_lanes_follow_the_class(old_town):
    classes = set()
    for e in old_town.road_edges:
        speed, lanes, _width, _rank = ROAD_CLASSES[e["road_class"]]
        assert e["speed_kmh"] == speed
        assert e["lanes"] == (ONEWAY_LANES[e["road_class"]] if e["oneway"] else lanes)
        assert e["name"], "every street has a Chinese name"
        classes.add(e["road_class"])
    assert {"primary", "secondary", "tertiary", "residential"} <= classes


def test_roads_link_the_two_districts(seam):
    """The valley road from 秦州 to 麦积 runs on through the district seam."""
    names = {e["name"] for e in seam.road_edges}
    assert "羲皇大道" in names
    xs = [shapely.get_coordinates(e["geom"])[:, 0] for e in seam.road_edges if e["name"] == "羲皇大道"]
    span = max(x.max() for x in xs) - min(x.min() for x in xs)
    assert span > 0.03  # about 3 km of one continuous arterial
