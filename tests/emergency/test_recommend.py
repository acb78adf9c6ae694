"""Recommendation: the fastest available units by road, checked against
travel times computed independently with networkx on the same road rows."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest
from django.utils import timezone

from cim.models import RoadSegment
from cim.routing.engine import RoadGraph
from emergency import services
from emergency.live.ingest import positions_ingest
from emergency.models import Unit
from emergency.recommend import recommend_units
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def networkx_seconds(target_xy, closed=frozenset()):
    """Seconds from every road node to the node at ``target_xy`` (drive:
    one-way respected, speed from the row), by networkx over the DB rows."""
    G = nx.DiGraph()
    for seg in RoadSegment.objects.select_related("from_node", "to_node"):
        if seg.pk in closed or seg.road_class in ("pedestrian", "track"):
            continue
        a = (round(seg.from_node.geom.x, 6), round(seg.from_node.geom.y, 6))
        b = (round(seg.to_node.geom.x, 6), round(seg.to_node.geom.y, 6))
        secs = seg.length_m / (seg.speed_kmh / 3.6)
        G.add_edge(a, b, w=secs)
        if not seg.oneway:
            G.add_edge(b, a, w=secs)
    return nx.single_source_dijkstra_path_length(G.reverse(copy=True), target_xy, weight="w")


def group(result, unit_type):
    return next(g for g in result["groups"] if g["unit_type"] == unit_type)


def test_ranks_units_by_road_time_like_networkx(grid_city, incident_at):
    incident = incident_at(*node(3, 1))
    result = recommend_units(incident=incident, wanted={"fire_engine": 2, "ambulance": 1})
    times = networkx_seconds(node(3, 1))
    stations = {"E1": node(0, 0), "E2": node(5, 5), "E3": node(5, 5), "A1": node(5, 0), "A2": node(5, 0)}
    fire = group(result, "fire_engine")
    expected = sorted(["E1", "E2", "E3"], key=lambda c: (times[stations[c]], grid_city.units[c].pk))
    assert [c["code"] for c in fire["candidates"]] == expected
    for g in result["groups"]:
        for c in g["candidates"]:
            assert c["position_source"] == "station"
            assert c["eta_s"] == pytest.approx(times[stations[c["code"]]], rel=1e-6)
    assert [c["recommended"] for c in fire["candidates"]] == [True, True, False]
    assert group(result, "ambulance")["needed"] == 1


def test_fresh_avl_position_is_used_and_stale_falls_back_to_station(grid_city, incident_at, settings):
    settings.EMERGENCY = {"UNIT_POSITION_STALE_S": 120}
    incident = incident_at(*node(3, 1))
    e1 = grid_city.units["E1"]
    positions_ingest(items=[{"unit": e1.pk, "lon": node(3, 3)[0], "lat": node(3, 3)[1]}], by="avl")
    times = networkx_seconds(node(3, 1))
    fire = group(recommend_units(incident=incident, wanted={"fire_engine": 1}), "fire_engine")
    e1_row = next(c for c in fire["candidates"] if c["code"] == "E1")
    assert e1_row["position_source"] == "avl"
    assert e1_row["eta_s"] == pytest.approx(times[node(3, 3)], rel=1e-6)
    # the same fix, 10 minutes old, is stale: E1 counts from its station again
    Unit.objects.filter(pk=e1.pk).update(last_position_at=timezone.now() - dt.timedelta(minutes=10))
    fire = group(recommend_units(incident=incident, wanted={"fire_engine": 1}), "fire_engine")
    e1_row = next(c for c in fire["candidates"] if c["code"] == "E1")
    assert e1_row["position_source"] == "station"
    assert e1_row["eta_s"] == pytest.approx(times[node(0, 0)], rel=1e-6)


def test_midblock_incident_counts_the_partial_edges(grid_city, incident_at):
    a, b = node(2, 1), node(3, 1)
    mid = ((a[0] + b[0]) / 2, a[1])
    incident = incident_at(*mid)
    seg = RoadSegment.objects.get(pk=incident.road_segment_id)
    half = seg.length_m / 2 / (seg.speed_kmh / 3.6)
    times = networkx_seconds(a)
    times_b = networkx_seconds(b)
    result = recommend_units(incident=incident, wanted={"ambulance": 1})
    a1 = next(c for c in group(result, "ambulance")["candidates"] if c["code"] == "A1")
    want = min(times[node(5, 0)] + half, times_b[node(5, 0)] + half)
    assert a1["eta_s"] == pytest.approx(want, rel=1e-4)


def test_busy_and_out_of_service_units_are_not_offered(grid_city, incident_at, user_with):
    incident = incident_at(*node(3, 1))
    other = incident_at(*node(1, 4))
    services.assignment_create(incident=other, units=[grid_city.units["E2"].pk], by=user_with("dispatcher"))
    services.unit_set_status(unit=grid_city.units["E3"], status="out_of_service", by="maint", note="保养")
    fire = group(recommend_units(incident=incident, wanted={"fire_engine": 3}), "fire_engine")
    assert [c["code"] for c in fire["candidates"]] == ["E1"]
    assert fire["shortfall"] == 2


def test_plan_requests_drive_the_groups_and_assigned_units_count(grid_city, incident_at, user_with):
    incident = incident_at(*node(3, 1))
    by = user_with("commander")
    services.dispatch_request_create(incident=incident, unit_type="fire_engine", count=2, by=by)
    services.assignment_create(incident=incident, units=[grid_city.units["E1"].pk], by=by)
    fire = group(recommend_units(incident=incident), "fire_engine")
    assert (fire["requested"], fire["assigned"], fire["needed"]) == (2, 1, 1)
    assert sum(c["recommended"] for c in fire["candidates"]) == 1


def test_one_reverse_search_for_all_units(grid_city, incident_at, monkeypatch):
    incident = incident_at(*node(3, 1))
    calls = []
    original = RoadGraph._search

    def counting(self, snap, *, reverse, closed, predecessors=False):
        calls.append(reverse)
        return original(self, snap, reverse=reverse, closed=closed, predecessors=predecessors)

    monkeypatch.setattr(RoadGraph, "_search", counting)
    result = recommend_units(incident=incident, wanted={"fire_engine": 3, "ambulance": 2, "police_car": 1})
    assert sum(len(g["candidates"]) for g in result["groups"]) == 6
    assert calls == [True]


def test_closure_takes_effect_on_the_next_query(grid_city, incident_at, user_with):
    incident = incident_at(*node(3, 1))
    before = group(recommend_units(incident=incident, wanted={"ambulance": 1}), "ambulance")["candidates"][0]
    # close every road into the incident's node from the east side
    east = [s.pk for (a, b), s in grid_city.roads.items() if node(4, 1) in (a, b)]
    closure = services.closure_create(reason="flood", segments=east, by=user_with("dispatcher"))
    closed_ids = frozenset(east)
    times = networkx_seconds(node(3, 1), closed=closed_ids)
    after = group(recommend_units(incident=incident, wanted={"ambulance": 1}), "ambulance")["candidates"][0]
    assert after["eta_s"] > before["eta_s"]
    assert after["eta_s"] == pytest.approx(times[node(5, 0)], rel=1e-6)
    services.closure_lift(closure=closure, by=user_with("dispatcher"))
    again = group(recommend_units(incident=incident, wanted={"ambulance": 1}), "ambulance")["candidates"][0]
    assert again["eta_s"] == pytest.approx(before["eta_s"])


def test_unit_without_position_or_station_is_reported(grid_city, incident_at):
    incident = incident_at(*node(3, 1))
    Unit.objects.filter(code="P1").update(home_station=None)
    result = recommend_units(incident=incident, wanted={"police_car": 1})
    assert result["unpositioned"] == [grid_city.units["P1"].pk]
    assert group(result, "police_car")["shortfall"] == 1


def test_incident_far_from_roads_is_a_clear_error(grid_city, incident_at, client_for):
    incident = incident_at(105.95, 34.80)  # ~30 km away
    assert incident.snapped_location is None
    client = client_for("dispatcher")
    resp = client.get(f"/api/emergency/incidents/{incident.pk}/recommendations/?unit_type=fire_engine")
    assert resp.status_code == 400
    assert resp.json()["error"] == "unroutable" and "from the nearest road" in resp.json()["detail"]


def test_api_recommendations_and_bad_parameters(grid_city, incident_at, client_for):
    incident = incident_at(*node(3, 1))
    client = client_for("dispatcher")
    body = client.get(f"/api/emergency/incidents/{incident.pk}/recommendations/"
                      "?unit_type=ambulance&count=2").json()
    assert [c["code"] for c in body["groups"][0]["candidates"]] == ["A1", "A2"]
    assert client.get(f"/api/emergency/incidents/{incident.pk}/recommendations/?unit_type=tank"
                      ).status_code == 400
    assert client.get(f"/api/emergency/incidents/{incident.pk}/recommendations/?unit_type=ambulance"
                      "&count=0").status_code == 400
