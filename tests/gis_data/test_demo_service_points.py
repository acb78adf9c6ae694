"""Service points of the demo city: one of each kind where it belongs, with
Chinese names, Tianshui phone numbers and opening hours."""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from gis_data.demo.service_points import FIRE_RESPONSE_S


def test_categories_names_phones_hours(old_town):
    points = old_town.service_points
    cats = Counter(p["category"] for p in points)
    for category in ("gov_service_hall", "community_centre", "clinic", "police_station", "school",
                     "kindergarten", "shelter", "hospital", "fire_station"):
        assert cats[category] >= 1, category
    for p in points:
        assert p["name"] and p["phone"].startswith("0938-") and p["opening_hours"]
        assert p["address"].startswith("天水市")
    assert len({p["source_id"] for p in points}) == len(points)


def test_a_station_per_community_and_a_police_station_per_street(old_town):
    points = old_town.service_points
    centres = {p["community"] for p in points if p["category"] == "community_centre"}
    assert centres == set(old_town.communities)
    police = [p["name"] for p in points if p["category"] == "police_station"]
    assert len(police) == len(old_town.units)
    assert "天水市公安局秦州分局大城派出所" in police
    halls = {p["name"] for p in points if p["category"] == "gov_service_hall"}
    assert "大城街道便民服务中心" in halls and "秦州区政务服务中心" in halls


def test_shelters_have_a_capacity(old_town):
    shelters = [p for p in old_town.service_points if p["category"] == "shelter"]
    assert shelters
    assert all(p["capacity"] and p["capacity"] > 100 for p in shelters)
    assert all(p["name"].endswith("应急避难场所") for p in shelters)


def test_fire_stations_reach_the_streets_within_five_minutes(seam):
    city = seam
    n = len(city.road_nodes)
    a = np.array([e["from"] for e in city.road_edges])
    b = np.array([e["to"] for e in city.road_edges])
    t = np.array([e["length_m"] / (e["speed_kmh"] / 3.6 * 0.8) for e in city.road_edges])
    oneway = np.array([e["oneway"] for e in city.road_edges])
    graph = coo_matrix((np.concatenate([t, t[~oneway]]),
                        (np.concatenate([a, b[~oneway]]), np.concatenate([b, a[~oneway]]))),
                       shape=(n, n)).tocsr()
    stations = [p for p in city.service_points if p["category"] == "fire_station"]
    assert stations
    xy = np.array([[p["geom"].x, p["geom"].y] for p in stations])
    nearest = [int(np.argmin(np.hypot(*(city.road_nodes - s).T))) for s in xy]
    times = dijkstra(graph, indices=nearest, min_only=True)
    assert (times <= FIRE_RESPONSE_S).mean() >= 0.95
