"""Community (社区) areas carrying the real names and codes.

Each urban unit (a 街道, or a town/development zone for its 社区) grows from a
seed point over the graph of blocks (blocks are neighbours across a street or
a bridge), balanced towards an area in proportion to its number of
communities; inside each unit the communities grow the same way from
spread-out seeds.  Growing along shortest paths keeps every unit and
community contiguous.  The areas are the Voronoi cells of points along the
block edges, so boundaries run down the middle of streets and rivers, and
contain their blocks exactly.  Metric coordinates (EPSG:4544).  Pure: no Django.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from gis_data.tianshui import Division, children_of

from . import plan
from .geo import rng_for, to_metric

NEIGHBOUR_M = 65.0
EDGE_SAMPLE_M = 14.0


@dataclass
class CommunityPlan:
    """Which block belongs to which community, and the community areas."""

    block_community: list[str | None]  # code per block (None: dropped, isolated)
    areas: dict[str, shapely.Geometry]  # community code → polygon (metric)
    unit_areas: dict[str, shapely.Geometry]  # street/town code → union of its communities
    units: dict[str, list[str]]  # unit code → community codes that got an area


def _short(name: str) -> str:
    for suffix in ("社区居民委员会", "社区居委会", "居民委员会", "居委会", "村民委员会", "村委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def short_name(name: str) -> str:
    """进步巷社区居委会 → 进步巷, 张家村村委会 → 张家村, 大城街道 → 大城."""
    name = _short(name)
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def urban_units(district: str) -> dict[str, list[Division]]:
    """The units of a district that take part, with the communities they lay out."""
    out = {}
    for code in plan.UNIT_ANCHORS:
        if not code.startswith(district):
            continue
        kids = children_of(code)
        if code not in plan.ALL_CHILDREN_UNITS:
            kids = [k for k in kids if k.is_urban_community]
        if kids:
            out[code] = kids
    return out


def _block_graph(geoms: np.ndarray, bridges: list[tuple[np.ndarray, np.ndarray]]):
    """Sparse graph of blocks: neighbours across a street, or linked by a bridge."""
    n = geoms.size
    tree = shapely.STRtree(geoms)
    # Neighbours face each other along a street, not just across a corner:
    # about 50 m or more of their edges lie within the street's width plus a
    # margin of each other (points every EDGE_SAMPLE_M along the edges).
    pts, owner = shapely.get_coordinates(
        shapely.segmentize(shapely.boundary(geoms), EDGE_SAMPLE_M), return_index=True)
    pairs = cKDTree(pts).query_pairs(NEIGHBOUR_M, output_type="ndarray")
    oi, oj = owner[pairs[:, 0]], owner[pairs[:, 1]]
    other = oi != oj
    pairs, oi, oj = pairs[other], oi[other], oj[other]
    d = np.hypot(*(pts[pairs[:, 0]] - pts[pairs[:, 1]]).T)
    key = np.minimum(oi, oj) * n + np.maximum(oi, oj)
    keys, inv = np.unique(key, return_inverse=True)
    gap = np.full(keys.size, np.inf)
    np.minimum.at(gap, inv, d)
    close = d <= gap[inv] + 6.0
    near_pts = np.unique(np.concatenate([
        np.column_stack([inv[close], pairs[close, 0]]),
        np.column_stack([inv[close], pairs[close, 1]])]), axis=0)
    frontage = np.bincount(near_pts[:, 0], minlength=keys.size) / 2 * EDGE_SAMPLE_M
    facing = keys[frontage >= 50.0]
    a, b = facing // n, facing % n
    cents = shapely.get_coordinates(shapely.centroid(geoms))
    extra_a, extra_b = [], []
    for p, q in bridges:
        # Link the blocks facing each other on the same side of the bridge.
        p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
        along = (q - p) / max(float(np.hypot(*(q - p))), 1e-9)
        side = np.array([-along[1], along[0]]) * 35.0
        for offset in (side, -side):
            ia = tree.query_nearest(shapely.Point(p + offset - along * 20), max_distance=90.0)
            ib = tree.query_nearest(shapely.Point(q + offset + along * 20), max_distance=90.0)
            if ia.size and ib.size and ia[0] != ib[0]:
                extra_a.append(int(ia[0]))
                extra_b.append(int(ib[0]))
    a = np.concatenate([a, np.asarray(extra_a, dtype=int)])
    b = np.concatenate([b, np.asarray(extra_b, dtype=int)])
    w = np.hypot(*(cents[a] - cents[b]).T) + 1.0
    graph = coo_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                       shape=(n, n)).tocsr()
    return graph, cents


def _grow(graph, nodes: np.ndarray, seeds: list[int], targets: np.ndarray,
          areas: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Assign the nodes to the seeds by balanced region growing: the region
    furthest below its target share takes its next neighbouring block (the
    one nearest its seed).  Regions only ever add neighbours, so each stays
    contiguous.  Returns the seed position per node (-1: unreachable)."""
    local = {int(n): i for i, n in enumerate(nodes)}
    sub = graph[nodes][:, nodes].tocsr()
    k = len(seeds)
    owner = np.full(len(nodes), -1)
    got = np.zeros(k)
    share = targets / targets.sum()
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(k)]

    def push(region: int, node: int) -> None:
        for nb in sub.indices[sub.indptr[node]:sub.indptr[node + 1]]:
            if owner[nb] < 0:
                d = float(np.hypot(*(cents[nodes[nb]] - cents[seeds[region]])))
                heapq.heappush(frontier[region], (d, int(nb)))

    for r, s in enumerate(seeds):
        n = local[int(s)]
        owner[n] = r
        got[r] += areas[s]
        push(r, n)
    while True:
        ratio = np.where([bool(f) for f in frontier], got / share, np.inf)
        r = int(np.argmin(ratio))
        if not np.isfinite(ratio[r]):
            break
        while frontier[r]:
            _, n = heapq.heappop(frontier[r])
            if owner[n] < 0:
                owner[n] = r
                got[r] += areas[nodes[n]]
                push(r, n)
                break
    return owner


def _spread_seeds(cents: np.ndarray, start: int, k: int) -> list[int]:
    """Farthest-point sampling: k well-spread indices, the first given."""
    chosen = [start]
    d = np.hypot(*(cents - cents[start]).T)
    while len(chosen) < min(k, len(cents)):
        nxt = int(np.argmax(d))
        if d[nxt] <= 0:
            break
        chosen.append(nxt)
        d = np.minimum(d, np.hypot(*(cents - cents[nxt]).T))
    return chosen


def plan_communities(blocks: list[tuple[str, shapely.Polygon]], fabric: dict[str, shapely.Geometry],
                     bridges: list[tuple[np.ndarray, np.ndarray]], seed: int) -> CommunityPlan:
    """Lay out the units and communities over the blocks."""
    geoms = np.array([b for _, b in blocks], dtype=object)
    district_of = np.array([d for d, _ in blocks])
    graph, cents = _block_graph(geoms, bridges)
    areas = shapely.area(geoms)
    block_community: list[str | None] = [None] * len(blocks)
    units_out: dict[str, list[str]] = {}
    for district in sorted(set(district_of.tolist())):
        idx = np.flatnonzero(district_of == district)
        sub = graph[idx][:, idx]
        _, comp = connected_components(sub, directed=False)
        units = urban_units(district)
        anchors = {}
        for code in units:
            ax, ay = to_metric(*plan.UNIT_ANCHORS[code][:2])
            d = np.hypot(cents[idx, 0] - ax, cents[idx, 1] - ay)
            i = int(np.argmin(d))
            if d[i] < 1500:
                anchors[code] = i
        if not anchors:
            continue
        # Only the component(s) holding anchors are urban; isolated scraps are dropped.
        comp_with_anchor = sorted({int(comp[i]) for i in anchors.values()})
        main_comp = max(comp_with_anchor, key=lambda c: int((comp == c).sum()))
        anchors = {c: i for c, i in anchors.items() if comp[i] == main_comp}
        nodes = idx[comp == main_comp]
        codes = sorted(anchors)
        seeds = [int(idx[anchors[c]]) for c in codes]
        # Distinct seeds only (two anchors can snap to one block in a small extent).
        uniq: dict[int, str] = {}
        for c, s in zip(codes, seeds, strict=True):
            uniq.setdefault(s, c)
        codes = [uniq[s] for s in uniq]
        seeds = list(uniq)
        targets = np.array([plan.UNIT_ANCHORS[c][2] for c in codes])
        owner = _grow(graph, nodes, seeds, targets, areas, cents)
        for u, code in enumerate(codes):
            mine = nodes[owner == u]
            if mine.size == 0:
                continue
            kids = units[code]
            start = int(np.argmin(np.hypot(*(cents[mine] - cents[seeds[u]]).T)))
            spread = _spread_seeds(cents[mine], start, len(kids))
            k_seeds = [int(mine[s]) for s in spread]
            sub_owner = _grow(graph, mine, k_seeds, np.ones(len(k_seeds)), areas, cents)
            # Codes in order west to east of their seeds (deterministic).
            order = np.argsort(cents[k_seeds, 0], kind="stable")
            got = []
            for rank, seed_pos in enumerate(order):
                kid = kids[rank]
                for b in mine[sub_owner == seed_pos]:
                    block_community[int(b)] = kid.code
                got.append(kid.code)
            units_out[code] = got
    areas_out = _community_areas(geoms, block_community, fabric, district_of)
    areas_out = _repair(geoms, block_community, fabric, district_of, areas_out)
    unit_areas = {}
    for unit, kids in units_out.items():
        parts = [areas_out[k] for k in kids if k in areas_out]
        if parts:
            unit_areas[unit] = shapely.make_valid(shapely.coverage_union_all(parts)) \
                if len(parts) > 1 else parts[0]
    units_out = {u: [k for k in kids if k in areas_out] for u, kids in units_out.items()}
    return CommunityPlan(block_community=block_community, areas=areas_out, unit_areas=unit_areas,
                         units=units_out)


def _repair(geoms: np.ndarray, labels: list[str | None], fabric: dict[str, shapely.Geometry],
            district_of: np.ndarray, areas: dict[str, shapely.Geometry],
            rounds: int = 4) -> dict[str, shapely.Geometry]:
    """Keep every area in one piece: the blocks of a stray piece (linked to
    the rest only across a street corner or a bridge the cells do not follow)
    go to the neighbour sharing the longest border with that piece."""
    for _ in range(rounds):
        touched: set[str] = set()
        for code in sorted(areas):
            parts = sorted(shapely.get_parts(areas[code]), key=lambda p: -p.area)
            for part in parts[1:]:
                edge = part.boundary
                best, best_len = None, 0.0
                for other in sorted(areas):
                    if other != code and areas[other].intersects(part.buffer(1.0)):
                        shared = edge.intersection(areas[other].buffer(0.5)).length
                        if shared > best_len:
                            best, best_len = other, shared
                if best is None:
                    continue
                for i, label in enumerate(labels):
                    if label == code and part.contains(geoms[i].representative_point()):
                        labels[i] = best
                        touched.add(str(district_of[i]))
        if not touched:
            break
        fresh = _community_areas(geoms, labels, fabric, district_of,
                                 districts=sorted(touched))
        areas = {k: v for k, v in areas.items() if k[:6] not in touched} | fresh
    return areas


def _community_areas(geoms: np.ndarray, labels: list[str | None], fabric: dict[str, shapely.Geometry],
                     district_of: np.ndarray, districts: list[str] | None = None,
                     ) -> dict[str, shapely.Geometry]:
    """Voronoi cells of points along the block edges, merged per community,
    cut to the district's fabric and made to contain their blocks exactly."""
    out: dict[str, shapely.Geometry] = {}
    for district in districts or sorted(set(district_of.tolist())):
        idx = [i for i in np.flatnonzero(district_of == district) if labels[i] is not None]
        if not idx:
            continue
        dense = shapely.segmentize(shapely.boundary(geoms[idx]), EDGE_SAMPLE_M)
        pts, owner = shapely.get_coordinates(dense, return_index=True)
        pts = np.round(pts, 2)
        pts, first = np.unique(pts, axis=0, return_index=True)
        owner = owner[first]
        code_of = np.array([labels[idx[o]] for o in owner])
        region = fabric[district]
        cells = shapely.get_parts(shapely.voronoi_polygons(
            shapely.multipoints(pts), extend_to=region.envelope.buffer(500), ordered=True))
        block_tree = shapely.STRtree(geoms[idx])
        for code in sorted(set(code_of.tolist())):
            mine = cells[code_of == code]
            cover = shapely.coverage_union_all(mine).intersection(region)
            near = geoms[idx][block_tree.query(cover, predicate="intersects")]
            area = cover.difference(shapely.union_all(near)) if near.size else cover
            own = [geoms[i] for i in idx if labels[i] == code]
            area = shapely.union_all([area, *own])
            area = shapely.make_valid(shapely.set_precision(area, 0.01))
            # Parts holding none of the community's blocks are cells reaching
            # into scraps of fabric that no street serves: not urban, left out.
            own_union = shapely.union_all(own)
            polys = [p for p in shapely.get_parts(area)
                     if p.geom_type == "Polygon" and p.intersects(own_union)]
            out[code] = shapely.MultiPolygon(polys)
    return out


def contact_phone(code: str, seed: int) -> str:
    """A synthetic office phone in Tianshui's area code (0938)."""
    rng = rng_for(seed, "phone", code)
    prefix = "82" if code.startswith(plan.QINZHOU) else "27"
    return f"0938-{prefix}{int(rng.integers(0, 100000)):05d}"

