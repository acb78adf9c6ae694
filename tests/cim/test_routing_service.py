"""The routing service: the graph built from the road rows, cached in the
process, rebuilt when roads change; closures from the registered providers."""

from __future__ import annotations

import pytest

from cim.models import RoadSegment
from cim.routing.engine import RoutingError
from cim.routing.service import current_closures, road_graph, road_graph_invalidate
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def streets():
    a = f.road((105.700, 34.570), (105.702, 34.570), speed=36, source_id="s1")
    b = f.road((105.702, 34.570), (105.704, 34.570), speed=36, oneway=True, source_id="s2")
    c = f.road((105.702, 34.570), (105.702, 34.572), speed=18, road_class="pedestrian", source_id="s3")
    return a, b, c


def test_graph_matches_the_rows_and_is_cached(streets):
    a, b, c = streets
    drive = road_graph("drive")
    assert set(drive.edge_ids) == {a.pk, b.pk}  # the footway is not driven
    assert road_graph("drive") is drive  # cached while the roads do not change
    walk = road_graph("walk")
    assert set(walk.edge_ids) == {a.pk, b.pk, c.pk}
    origin = drive.snap(105.700, 34.570)
    end = drive.snap(105.704, 34.570)
    route = drive.route(origin, end)
    assert route.edge_ids == [a.pk, b.pk]
    assert route.seconds == pytest.approx((a.length_m + b.length_m) / 10, rel=1e-9)
    assert drive.route(end, origin) is None  # b is one-way
    assert walk.route(walk.snap(105.704, 34.570), walk.snap(105.700, 34.570)).seconds == pytest.approx(
        (a.length_m + b.length_m) / (5 / 3.6), rel=1e-9)


def test_graph_is_rebuilt_when_roads_change(streets):
    a, b, _ = streets
    first = road_graph("drive")
    RoadSegment.objects.filter(pk=a.pk).update(speed_kmh=72)  # update() bypasses auto_now: bump it too
    RoadSegment.objects.get(pk=a.pk).save()
    second = road_graph("drive")
    assert second is not first
    assert second.edge_fwd_s[list(second.edge_ids).index(a.pk)] == pytest.approx(a.length_m / 20)
    f.road((105.704, 34.570), (105.706, 34.570), source_id="s4")
    assert road_graph("drive").edge_count == 3
    road_graph_invalidate()
    assert road_graph("drive") is not second


def test_closures_come_from_the_emergency_app(streets):
    from emergency.models import RoadClosure

    a, _, _ = streets
    assert current_closures() == frozenset()
    closure = RoadClosure.objects.create(reason="manual")
    closure.segments.add(a)
    assert current_closures() == frozenset({a.pk})
    graph = road_graph("drive")
    # a start on the closed street still leaves it; through traffic is what a closure stops
    assert graph.route(graph.snap(105.7005, 34.570), graph.snap(105.704, 34.570),
                       closed=current_closures()) is not None
    beyond = f.road((105.704, 34.570), (105.706, 34.570), speed=36, source_id="s4")
    graph = road_graph("drive")
    start, end = graph.snap(105.7001, 34.570), graph.snap(105.7055, 34.570)
    assert graph.route(start, end, closed=current_closures()).edge_ids == [a.pk, streets[1].pk, beyond.pk]
    closure.segments.add(streets[1])  # the only way through
    assert graph.route(start, end, closed=current_closures()) is None


def test_unknown_mode_is_refused(streets):
    with pytest.raises(RoutingError, match="unknown mode"):
        road_graph("boat")
