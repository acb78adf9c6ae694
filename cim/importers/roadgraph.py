"""Turning road lines into a routing graph (pure; numpy/scipy, no Django).

* :func:`split_at_junctions` cuts OSM ways at every node they share with
  another way (or with themselves), so that edges meet only at their ends.
* :func:`snap_endpoints` gives the endpoints of plain vector lines common
  nodes where they lie within a tolerance of each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Edge:
    """Part ``part`` of way ``way`` (index into the input), from vertex
    ``start`` to vertex ``end`` (inclusive) of that way."""

    way: int
    part: int
    start: int
    end: int


def split_at_junctions(refs: list[np.ndarray]) -> tuple[list[Edge], np.ndarray]:
    """Cut each way (its node ids, in order) at junction nodes.

    A junction is a node used more than once across all ways, or the first
    or last node of a way.  Returns the edges and the sorted ids of all
    nodes that end an edge.
    """
    cuts = junction_cuts(refs)
    edges = [Edge(*edge) for edge in zip(cuts.way.tolist(), cuts.part.tolist(), cuts.start.tolist(),
                                         cuts.end.tolist(), strict=True)]
    return edges, cuts.junctions


@dataclass(frozen=True)
class Cuts:
    """:func:`split_at_junctions` as arrays, one entry per edge: its way,
    part, first and last vertex in the way, and the same vertices as
    positions in all ways' vertices one after the other."""

    way: np.ndarray
    part: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray
    last: np.ndarray
    junctions: np.ndarray


def junction_cuts(refs: list[np.ndarray]) -> Cuts:
    """See :func:`split_at_junctions`; the same cuts as arrays."""
    empty = np.empty(0, dtype=np.int64)
    if not refs:
        return Cuts(empty, empty, empty, empty, empty, empty, empty)
    sizes = np.fromiter((len(w) for w in refs), dtype=np.int64, count=len(refs))
    flat = np.concatenate(refs).astype(np.int64, copy=False)
    unique, counts = np.unique(flat, return_counts=True)
    junction = np.isin(flat, unique[counts > 1])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    nonempty = sizes > 0
    junction[starts[nonempty]] = True
    junction[(starts + sizes - 1)[nonempty]] = True
    at = np.flatnonzero(junction)
    way_at = np.repeat(np.arange(len(refs)), sizes)[at]
    # An edge runs between two consecutive cuts of the same way.
    same = way_at[1:] == way_at[:-1]
    first, last, way = at[:-1][same], at[1:][same], way_at[:-1][same]
    new_way = np.concatenate(([True], way[1:] != way[:-1])) if len(way) else np.empty(0, dtype=bool)
    part = np.arange(len(way)) - np.maximum.accumulate(np.where(new_way, np.arange(len(way)), 0))
    return Cuts(way, part, first - starts[way], last - starts[way], first, last, np.unique(flat[junction]))


def snap_endpoints(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster points (metric x/y, shape (n, 2)) that lie within
    ``tolerance`` of each other, transitively.

    Returns ``(labels, representatives)``: the cluster of each point, and for
    each cluster the index of the point that stands for it (the first one in
    the input order, so that the same data gives the same nodes).
    """
    points = np.asarray(points, dtype=np.float64)
    n = len(points)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Renumber clusters by first appearance and pick that first point.
    first_index = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first_index, labels, np.arange(n))
    order = np.argsort(first_index, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels], first_index[order]
