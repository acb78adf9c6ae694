"""Chinese names for the streets that the plan does not name.  Pure: no Django."""

from __future__ import annotations

import shapely

from .. import plan
from ..geo import rng_for


def _name_pool(seed: int) -> list[str]:
    words = list(plan.STREET_WORDS)
    rng_for(seed, "street-names").shuffle(words)
    return words


def assign_names(edges: list[dict], seed: int, districts: dict[str, shapely.Geometry]) -> None:
    """Give the unnamed streets names: one per (group, district, ~3 km stretch);
    cross arterials take the plan's names west to east."""
    words = _name_pool(seed)
    used: dict[str, set] = {}
    cursor = {"i": 0}

    def fresh(district: str, suffix: str) -> str:
        taken = used.setdefault(district, set())
        for _ in range(len(words) * 4):
            i = cursor["i"]
            cursor["i"] += 1
            word = words[i % len(words)]
            round_ = i // len(words)
            candidate = word + ("", "东", "西", "北")[round_ % 4] + suffix
            if candidate not in taken:
                taken.add(candidate)
                return candidate
        return f"{words[0]}{len(taken)}{suffix}"

    # Cross arterials (bridged cross streets) west to east, per district.
    bridged_groups: dict[str, list[tuple[float, str]]] = {}
    for e in edges:
        if e["kind"] == "cross" and e["road_class"] == "primary" and not e["name"]:
            bridged_groups.setdefault(e["district"], [])
            bridged_groups[e["district"]].append((e["geom"].centroid.x, e["group"]))
    group_name: dict[tuple[str, str], str] = {}
    for district, items in bridged_groups.items():
        order = []
        for _x, g in sorted(items):
            if g not in order:
                order.append(g)
        names = list(plan.CROSS_ARTERIAL_NAMES.get(district, []))
        for i, g in enumerate(order):
            name = names[i] if i < len(names) else fresh(district, "路")
            used.setdefault(district, set()).add(name)
            group_name[(g, district)] = name
    keys = []
    for e in edges:
        if e["name"]:
            continue
        stretch = int(e["geom"].centroid.x // 3000) if e["kind"] in ("parallel", "lane") else 0
        keys.append(((e["group"], e["district"], stretch), e))
    for key, e in sorted(keys, key=lambda item: (item[0][1], item[0][0], item[0][2])):
        group, district, _ = key
        if (group, district) in group_name and e["kind"] == "cross":
            e["name"] = group_name[(group, district)]
            continue
        if key not in group_name:
            suffix = {"lane": "巷", "parallel": "街"}.get(e["kind"], "路")
            group_name[key] = fresh(district, suffix)
        e["name"] = group_name[key]
