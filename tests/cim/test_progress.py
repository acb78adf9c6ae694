"""One progress path for terminal bars and jobs (cim.progress)."""

from __future__ import annotations

from tqdm import tqdm

from cim.progress import counter, stage, terminal, track


def test_a_callback_hears_every_step_with_the_total():
    heard = []
    items = list(
        track(["a", "b", "c"], lambda done, total, msg: heard.append((done, total, msg)), desc="roads")
    )
    assert items == ["a", "b", "c"]
    assert heard == [(0, 3, "roads"), (1, 3, "roads"), (2, 3, "roads"), (3, 3, "roads")]


def test_a_generator_of_unknown_length_is_followed_without_a_total():
    heard = []
    list(track((n for n in range(2)), lambda *a: heard.append(a), desc="reading x"))
    assert heard == [(0, None, "reading x"), (1, None, "reading x"), (2, None, "reading x")]


def test_counters_and_stages_reach_the_callback():
    heard = []
    bar = counter(lambda *a: heard.append(a), desc="reading f.pbf", total=None)
    bar.update(8192)
    bar.update(10)
    bar.close()
    stage(lambda *a: heard.append(a), "tile cells")
    assert heard == [
        (0, None, "reading f.pbf"),
        (8192, None, "reading f.pbf"),
        (8202, None, "reading f.pbf"),
        (0, None, "tile cells"),
    ]


def test_true_draws_a_terminal_bar_and_false_nothing():
    assert isinstance(track([1], True, desc="x"), tqdm)
    quiet = track([1, 2], False, desc="x")
    assert list(quiet) == [1, 2] and quiet.disable
    assert terminal(True) and not terminal(False) and not terminal(lambda *a: None)
    stage(True, "nothing to say")  # a bar has no stages: no error, no output
