"""The build manifest (``manifest.json`` next to ``tileset.json``) and
incremental planning.

The manifest records the frame, the root cell and, per tile, its buildings
with their fingerprints, vertex counts and importance, and its content file.
From it and the current fingerprints, :func:`plan_incremental` decides which
tiles must be re-encoded: the tiles of changed and deleted buildings, the
tiles that receive new ones, and whole subtrees that overflow their caps
(re-split from that tile down).  Everything else keeps its file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cim.tiling.quadtree import MAX_BUILDINGS, MAX_CONTENT_SIZE_M, MAX_VERTICES, Tile, build_quadtree

FORMAT = 1


@dataclass
class Light:
    """What is cheap to read for every building: id, fingerprint, centroid in
    the frame's east/north metres."""

    ids: np.ndarray
    fingerprints: list[str]
    x: np.ndarray
    y: np.ndarray


@dataclass
class Plan:
    tree: Tile  # buildings as indices into the Light arrays
    importance: np.ndarray
    vertices: np.ndarray
    dirty: set[str] = field(default_factory=set)  # tile ids to (re-)encode
    changed: set[int] = field(default_factory=set)
    added: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)


def tiles_to_manifest(
    tree: Tile, *, light: Light, importance: np.ndarray, vertices: np.ndarray, contents: dict[str, dict]
) -> dict[str, dict]:
    """The ``tiles`` section: per tile its cell, buildings and content."""
    out = {}
    for tile in tree.walk():
        b = tile.buildings
        out[tile.id] = {
            "cell": [tile.x0, tile.y0, tile.size],
            "ids": light.ids[b].tolist(),
            "fp": [light.fingerprints[i] for i in b],
            "v": np.asarray(vertices[b], dtype=np.int64).tolist(),
            "imp": np.round(importance[b], 2).tolist(),
            "content": contents.get(tile.id),
        }
    return out


def _tree_from_manifest(tiles: dict[str, dict], index_of: dict[int, int]) -> Tile:
    nodes: dict[str, Tile] = {}
    for tid in sorted(tiles, key=lambda t: (len(t), t)):
        entry = tiles[tid]
        members = np.array([index_of[i] for i in entry["ids"] if i in index_of], dtype=np.int64)
        x0, y0, size = entry["cell"]
        node = Tile(tid, x0, y0, size, members)
        nodes[tid] = node
        if len(tid) > 1:
            nodes[tid[:-1]].children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda c: c.id)
    return nodes["r"]


def plan_full(
    light: Light, *, importance: np.ndarray, vertices: np.ndarray, cell: tuple[float, float, float],
    max_buildings: int = MAX_BUILDINGS, max_vertices: int = MAX_VERTICES,
    max_content_size: float = MAX_CONTENT_SIZE_M,
) -> Plan:
    tree = build_quadtree(x=light.x, y=light.y, importance=importance, vertices=vertices,
                          ids=light.ids, cell=cell, max_buildings=max_buildings,
                          max_vertices=max_vertices, max_content_size=max_content_size)
    return Plan(tree, importance, vertices, {t.id for t in tree.walk()}, added=set(map(int, light.ids)))


def diff(manifest: dict, light: Light) -> tuple[set[int], set[int], set[int]]:
    """(changed, added, removed) building ids against the manifest."""
    old = {}
    for entry in manifest["tiles"].values():
        old.update(zip(entry["ids"], entry["fp"], strict=True))
    current = dict(zip((int(i) for i in light.ids), light.fingerprints, strict=True))
    changed = {i for i, fp in current.items() if i in old and old[i] != fp}
    added = set(current) - set(old)
    removed = set(old) - set(current)
    return changed, added, removed


def plan_incremental(
    manifest: dict,
    light: Light,
    *,
    fresh: dict[int, tuple[float, int]],
    max_buildings: int = MAX_BUILDINGS,
    max_vertices: int = MAX_VERTICES,
    max_content_size: float = MAX_CONTENT_SIZE_M,
) -> Plan | None:
    """The tiles to rebuild, or None when only a full build will do (a new
    building outside the root cell).  ``fresh[id] = (importance, vertices)``
    for every changed or added building."""
    changed, added, removed = diff(manifest, light)
    index_of = {int(i): k for k, i in enumerate(light.ids)}
    importance = np.zeros(len(light.ids))
    vertices = np.zeros(len(light.ids), dtype=np.int64)
    where: dict[int, str] = {}
    for tid, entry in manifest["tiles"].items():
        for bid, v, imp in zip(entry["ids"], entry["v"], entry["imp"], strict=True):
            where[bid] = tid
            k = index_of.get(bid)
            if k is not None:
                importance[k], vertices[k] = imp, v
    for bid, (imp, v) in fresh.items():
        k = index_of[bid]
        importance[k], vertices[k] = imp, v
    tree = _tree_from_manifest(manifest["tiles"], index_of)
    nodes = {t.id: t for t in tree.walk()}
    dirty = {where[b] for b in changed | removed}
    for bid in sorted(added):
        k = index_of[bid]
        x, y = float(light.x[k]), float(light.y[k])
        if not tree.contains(x, y):
            return None
        node = tree
        while node.children or node.size > max_content_size:
            q = node.quadrant(x, y)
            child = nodes.get(node.id + q)
            if child is None:
                if node.size <= max_content_size:
                    break  # into this tile's own content
                # A cell too wide for content: open the missing quadrant.
                child = Tile(node.id + q, *node.child_cell(q), np.zeros(0, dtype=np.int64))
                node.children = sorted([*node.children, child], key=lambda c: c.id)
                nodes[child.id] = child
            node = child
        node.buildings = np.sort(np.append(node.buildings, k))
        dirty.add(node.id)

    def overflowing(t: Tile) -> bool:
        return len(t.buildings) > max_buildings or vertices[t.buildings].sum() > max_vertices

    for tid in sorted(dirty, key=lambda t: (len(t), t)):
        node = nodes.get(tid)
        if node is None or not overflowing(node):
            continue
        old_ids = {t.id for t in node.walk()}
        members = np.concatenate([t.buildings for t in node.walk()])
        new = build_quadtree(x=light.x, y=light.y, importance=importance, vertices=vertices,
                             ids=light.ids, members=members, cell=(node.x0, node.y0, node.size),
                             tile_id=node.id, max_buildings=max_buildings, max_vertices=max_vertices,
                             max_content_size=max_content_size)
        node.buildings, node.children = new.buildings, new.children
        new_ids = {t.id for t in node.walk()}
        dirty |= old_ids | new_ids
        for gone in old_ids - new_ids:
            nodes.pop(gone, None)
        nodes.update({t.id: t for t in node.walk()})

    def prune(t: Tile) -> bool:
        t.children = [c for c in t.children if prune(c)]
        return len(t.buildings) > 0 or bool(t.children)

    prune(tree)
    return Plan(tree, importance, vertices, dirty, changed, added, removed)
