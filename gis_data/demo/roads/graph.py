"""Noding the street lines into a routing graph and keeping its largest
strongly connected component.  Pure: no Django."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .base import ONEWAY_LANES, ROAD_CLASSES, RoadNetwork, SourceLine
from .names import assign_names

MIN_PIECE_M = 2.0
DANGLE_M = 35.0


def node_lines(lines: list[SourceLine], water, districts: dict[str, shapely.Geometry],
          seed: int) -> RoadNetwork:
    geoms = np.array([ln.geom for ln in lines], dtype=object)
    noded = shapely.get_parts(shapely.node(shapely.MultiLineString(list(geoms))))
    noded = noded[shapely.length(noded) >= 0.5]
    tree = shapely.STRtree(geoms)
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    pairs = tree.query(mids, predicate="dwithin", distance=0.05)
    rank = np.array([ROAD_CLASSES[ln.road_class][3] for ln in lines])
    best = np.full(noded.size, -1)
    best_rank = np.full(noded.size, -1)
    for piece, src in zip(*pairs, strict=True):
        if rank[src] > best_rank[piece]:
            best[piece], best_rank[piece] = src, rank[src]
    keep = best >= 0
    noded, best = noded[keep], best[keep]

    # Orient pieces of one-way lines in the line's direction of travel.
    for i, src in enumerate(best):
        ln = lines[src]
        if ln.oneway:
            a = shapely.get_coordinates(noded[i])
            pa = ln.geom.project(shapely.Point(a[0]))
            pb = ln.geom.project(shapely.Point(a[-1]))
            if pb < pa:
                noded[i] = shapely.reverse(noded[i])

    dropped = 0
    for _ in range(3):
        coords_a = shapely.get_coordinates(shapely.get_point(noded, 0))
        coords_b = shapely.get_coordinates(shapely.get_point(noded, -1))
        keys = np.round(np.vstack([coords_a, coords_b]), 2)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.ravel()
        degree = np.bincount(inv, minlength=len(uniq))
        ua, ub = inv[: noded.size], inv[noded.size:]
        lengths = shapely.length(noded)
        dangling = ((degree[ua] == 1) | (degree[ub] == 1)) & (lengths < DANGLE_M)
        dangling |= ua == ub
        if not dangling.any():
            break
        dropped += int(dangling.sum())
        noded, best = noded[~dangling], best[~dangling]

    coords_a = shapely.get_coordinates(shapely.get_point(noded, 0))
    coords_b = shapely.get_coordinates(shapely.get_point(noded, -1))
    keys = np.round(np.vstack([coords_a, coords_b]), 2)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    ua, ub = inv[: noded.size], inv[noded.size:]

    # Drop parallel duplicates (same two nodes), keeping the higher class.
    seen: dict[tuple[int, int], int] = {}
    keep = np.ones(noded.size, dtype=bool)
    for i in np.argsort(-rank[best], kind="stable"):
        key = (min(ua[i], ub[i]), max(ua[i], ub[i]))
        if key in seen and shapely.length(noded[i]) < 1.5 * shapely.length(noded[seen[key]]):
            keep[i] = False
        else:
            seen.setdefault(key, i)

    oneway = np.array([lines[b].oneway for b in best])
    n = len(uniq)
    src = np.concatenate([ua[keep], ub[keep & ~oneway]])
    dst = np.concatenate([ub[keep], ua[keep & ~oneway]])
    graph = coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    used_nodes = np.unique(np.concatenate([ua[keep], ub[keep]]))
    counts = np.bincount(labels[used_nodes])
    giant = int(np.argmax(counts))
    in_giant = keep & (labels[ua] == giant) & (labels[ub] == giant)
    dropped += int((~in_giant).sum())

    bridge = np.zeros(noded.size, dtype=bool)
    if not water.is_empty:
        bridge[shapely.STRtree(noded).query(shapely.get_parts(water), predicate="intersects")[1]] = True
    node_ids = np.unique(np.concatenate([ua[in_giant], ub[in_giant]]))
    remap = {int(old): new for new, old in enumerate(node_ids)}
    district_codes = list(districts)
    district_geoms = np.array([districts[c] for c in district_codes], dtype=object)
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    edges = []
    for i in np.flatnonzero(in_giant):
        ln = lines[best[i]]
        inside = shapely.contains(district_geoms, mids[i])
        district = district_codes[int(np.argmax(inside))] if inside.any() else ""
        speed, lanes, width, _ = ROAD_CLASSES[ln.road_class]
        if ln.oneway:
            lanes = ONEWAY_LANES[ln.road_class]
        edges.append({
            "from": remap[int(ua[i])], "to": remap[int(ub[i])], "geom": noded[i],
            "name": ln.name, "road_class": ln.road_class, "oneway": ln.oneway,
            "lanes": lanes, "speed_kmh": speed, "width_m": width,
            "bridge": bool(bridge[i]), "length_m": float(shapely.length(noded[i])),
            "kind": ln.kind, "group": ln.group, "district": district,
        })
    assign_names(edges, seed, districts)
    edges.sort(key=lambda e: (e["from"], e["to"], e["name"]))
    return RoadNetwork(nodes=uniq[node_ids], edges=edges, dropped_pieces=dropped)
