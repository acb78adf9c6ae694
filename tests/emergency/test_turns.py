"""Turn lists from a route's road segments (pure)."""

from __future__ import annotations

from emergency.turns import Leg, bearing, turn_kind, turn_steps


def test_bearing_and_turn_kinds():
    assert round(bearing((105.70, 34.57), (105.70, 34.58))) == 0
    assert round(bearing((105.70, 34.57), (105.71, 34.57))) == 90
    assert turn_kind(0, 90) == "right"
    assert turn_kind(0, 270) == "left"
    assert turn_kind(10, 15) == "straight"
    assert turn_kind(0, 30) == "slight_right"
    assert turn_kind(0, 180) == "uturn"
    assert turn_kind(350, 200) == "sharp_left"


def test_steps_join_segments_of_one_road_and_name_the_turns():
    # east along 东西0路 (two segments, the second stored backwards), left onto 南北2路, then right
    legs = [
        Leg("东西0路", 180.0, [(105.700, 34.570), (105.702, 34.570)]),
        Leg("东西0路", 180.0, [(105.704, 34.570), (105.702, 34.570)]),
        Leg("南北2路", 220.0, [(105.704, 34.570), (105.704, 34.572)]),
        Leg("东西1路", 90.0, [(105.704, 34.572), (105.705, 34.572)]),
    ]
    steps = [s.as_dict() for s in turn_steps(legs)]
    assert [(s["turn"], s["road"], s["distance_m"]) for s in steps] == [
        ("depart", "东西0路", 360.0), ("left", "南北2路", 220.0), ("right", "东西1路", 90.0)]
    assert (steps[1]["lon"], steps[1]["lat"]) == (105.704, 34.570)


def test_empty_route_has_no_steps_and_unnamed_roads_get_the_label():
    assert turn_steps([]) == []
    steps = turn_steps([Leg("", 50.0, [(105.7, 34.57), (105.7, 34.571)])], unnamed="无名道路")
    assert steps[0].road == "无名道路"


def test_first_and_last_segments_count_only_the_part_driven():
    legs = [
        Leg("东西0路", 200.0, [(105.700, 34.570), (105.702, 34.570)]),
        Leg("南北2路", 200.0, [(105.702, 34.570), (105.702, 34.572)]),
    ]
    steps = turn_steps(legs, start=(105.701, 34.5701), end=(105.702, 34.5705))
    assert [round(s.distance_m) for s in steps] == [100, 50]
    one = turn_steps(legs[:1], start=(105.7005, 34.570), end=(105.7015, 34.570))
    assert round(one[0].distance_m) == 100


def test_a_segment_only_touched_at_the_end_adds_no_step():
    legs = [
        Leg("东西0路", 200.0, [(105.700, 34.570), (105.702, 34.570)]),
        Leg("南北2路", 200.0, [(105.702, 34.570), (105.702, 34.572)]),
    ]
    steps = turn_steps(legs, start=(105.700, 34.570), end=(105.702, 34.570))
    assert [(s.turn, s.road) for s in steps] == [("depart", "东西0路")]


def test_a_route_starting_on_a_junction_departs_on_the_road_it_takes():
    legs = [
        Leg("东西1路", 200.0, [(105.700, 34.570), (105.702, 34.570)]),
        Leg("南北3路", 200.0, [(105.702, 34.570), (105.702, 34.572)]),
    ]
    steps = turn_steps(legs, start=(105.702, 34.570), end=(105.702, 34.572))
    assert [(s.turn, s.road, round(s.distance_m)) for s in steps] == [("depart", "南北3路", 200)]
