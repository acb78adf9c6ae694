"""The in-memory road routing engine: snapping, one-to-all travel times and
routes over a road graph held in numpy/scipy arrays.

Pure: numpy, scipy, shapely and pyproj only, no Django.  The Django side
(:mod:`cim.routing.service`) builds a :class:`RoadGraph` from the road
tables and caches it.

Model.  Every road edge runs from its ``from`` node to its ``to`` node along
its geometry.  A query point is snapped to the nearest point of the nearest
usable edge (:class:`Snap`, with the fraction along the edge); a search
starts from (or, ``reverse=True``, ends at) that point, so the partial edges
at both ends are charged exactly: a snap at fraction ``f`` of an edge costing
``t`` seconds is ``f·t`` from the edge's start and ``(1−f)·t`` from its end.
Internally the snap point is a virtual node with (at most) two arcs; one
Dijkstra (scipy.sparse.csgraph) over the forward or the reversed graph gives
the times of every node.

Closures (``closed``: road edge ids) remove those edges from through traffic
for one query.  A point lying *on* a closed edge can still be reached from
(and leave by) that edge's ends: the scene of an incident that closed its own
road stays reachable.

Metric work is done in a transverse Mercator projection on the CGCS2000
(GRS 80) ellipsoid whose central meridian is the 3-degree Gauss-Krüger
meridian nearest the network (for Tianshui, 105° E: exactly EPSG:4544), so
snap distances are metres, never degrees.  Travel costs use the given edge
lengths (metres) and speeds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = [
    "DRIVE",
    "WALK",
    "RoadGraph",
    "Route",
    "RoutingError",
    "Snap",
    "gk_central_meridian",
]

DRIVE = "drive"
WALK = "walk"
MODES = (DRIVE, WALK)
# Classes a car may not use / a pedestrian may not use.
DRIVE_EXCLUDED_CLASSES = frozenset({"pedestrian", "track"})
WALK_EXCLUDED_CLASSES = frozenset({"motorway", "trunk"})
WALK_SPEED_KMH = 5.0
# scipy treats a zero weight like any other, but a strictly positive floor
# keeps ties between zero-length edges deterministic.
MIN_ARC_SECONDS = 1e-6
_CLOSURE_CACHE_SIZE = 8
_SNAP_CACHE_SIZE = 200_000


class RoutingError(ValueError):
    """The graph cannot answer (empty graph, bad input arrays, bad mode)."""


@dataclass(frozen=True, slots=True)
class Snap:
    """A point placed on the network: the nearest point of the nearest
    usable edge.  ``fraction`` runs from the edge's from node (0) to its to
    node (1); ``distance_m`` is from the query point to the snapped point."""

    edge: int  # internal edge index of the graph that made the snap
    edge_id: int
    fraction: float
    distance_m: float
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Route:
    """A fastest path between two snapped points."""

    seconds: float
    meters: float
    coords: list[tuple[float, float]] = field(default_factory=list)
    edge_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Csr:
    """One direction of the graph with the virtual source as its last row."""

    indptr: np.ndarray
    indices: np.ndarray
    cost: np.ndarray
    arc_edge: np.ndarray  # road edge (internal index) of each arc


def gk_central_meridian(lon: float) -> float:
    """Central meridian of the 3-degree Gauss-Krüger zone containing ``lon``."""
    return float(3 * round(lon / 3.0))


class RoadGraph:
    """A road network for one travel mode, ready for queries.

    Build with :meth:`from_arrays`; then :meth:`snap`, :meth:`travel_times`,
    :meth:`point_travel_times` and :meth:`route`.  Instances are read-only
    after construction and safe to share between threads.
    """

    def __init__(self) -> None:  # use from_arrays
        self.mode: str = DRIVE
        self.version: object = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_arrays(
        cls,
        *,
        node_ids: Sequence[int] | np.ndarray,
        node_lon: Sequence[float] | np.ndarray,
        node_lat: Sequence[float] | np.ndarray,
        edge_ids: Sequence[int] | np.ndarray,
        edge_from: Sequence[int] | np.ndarray,
        edge_to: Sequence[int] | np.ndarray,
        length_m: Sequence[float] | np.ndarray,
        speed_kmh: Sequence[float] | np.ndarray,
        oneway: Sequence[bool] | np.ndarray,
        closed: Sequence[bool] | np.ndarray | None = None,
        road_class: Sequence[str] | np.ndarray | None = None,
        geometries: Sequence[Sequence[tuple[float, float]] | None] | None = None,
        mode: str = DRIVE,
        central_meridian: float | None = None,
        version: object = None,
    ) -> RoadGraph:
        """Build the graph of ``mode`` ("drive" or "walk").

        Nodes are given by id and lon/lat; edges by id, from/to node ids,
        length (m), speed (km/h), one-way and closed flags, road class and
        geometry (lon/lat pairs from the from node to the to node; ``None``
        means a straight line).  Drive: pedestrian and track classes left
        out, one-way respected, the edge's speed.  Walk: motorway and trunk
        left out, both directions, 5 km/h.  Permanently closed edges are left
        out of both.
        """
        if mode not in MODES:
            raise RoutingError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        node_ids = np.asarray(node_ids, dtype=np.int64)
        node_lon = np.asarray(node_lon, dtype=np.float64)
        node_lat = np.asarray(node_lat, dtype=np.float64)
        edge_ids = np.asarray(edge_ids, dtype=np.int64)
        n_e = len(edge_ids)
        columns = {
            "edge_from": np.asarray(edge_from, dtype=np.int64),
            "edge_to": np.asarray(edge_to, dtype=np.int64),
            "length_m": np.asarray(length_m, dtype=np.float64),
            "speed_kmh": np.asarray(speed_kmh, dtype=np.float64),
            "oneway": np.asarray(oneway, dtype=bool),
            "closed": np.zeros(n_e, bool) if closed is None else np.asarray(closed, dtype=bool),
        }
        if not (len(node_ids) == len(node_lon) == len(node_lat)):
            raise RoutingError("node_ids, node_lon and node_lat differ in length")
        for name, arr in columns.items():
            if len(arr) != n_e:
                raise RoutingError(f"{name} has {len(arr)} values for {n_e} edges")
        classes = (np.full(n_e, "", dtype=object) if road_class is None
                   else np.asarray(road_class, dtype=object))
        if len(classes) != n_e or (geometries is not None and len(geometries) != n_e):
            raise RoutingError("road_class/geometries differ in length from edge_ids")
        if len(np.unique(node_ids)) != len(node_ids):
            raise RoutingError("node ids are not unique")

        order = np.argsort(node_ids, kind="stable")
        sorted_ids = node_ids[order]

        def index_of(ids: np.ndarray) -> np.ndarray:
            pos = np.searchsorted(sorted_ids, ids)
            pos = np.minimum(pos, max(len(sorted_ids) - 1, 0))
            if len(ids) and (len(sorted_ids) == 0 or np.any(sorted_ids[pos] != ids)):
                raise RoutingError("an edge refers to an unknown node id")
            return order[pos]

        excluded = DRIVE_EXCLUDED_CLASSES if mode == DRIVE else WALK_EXCLUDED_CLASSES
        keep = ~columns["closed"] & ~np.isin(classes, list(excluded))
        keep &= np.isfinite(columns["length_m"]) & (columns["length_m"] >= 0)
        if mode == DRIVE:
            keep &= np.isfinite(columns["speed_kmh"]) & (columns["speed_kmh"] > 0)
        kept = np.flatnonzero(keep)

        g = cls()
        g.mode = mode
        g.version = version
        g.node_ids = node_ids
        g.node_lon = node_lon
        g.node_lat = node_lat
        g._n = len(node_ids)
        g.edge_ids = edge_ids[kept]
        g.edge_u = index_of(columns["edge_from"][kept])
        g.edge_v = index_of(columns["edge_to"][kept])
        g.edge_length = columns["length_m"][kept]
        speed_ms = (np.full(len(kept), WALK_SPEED_KMH) if mode == WALK
                    else columns["speed_kmh"][kept]) / 3.6
        g.edge_fwd_s = np.maximum(g.edge_length / speed_ms, MIN_ARC_SECONDS)
        two_way = np.ones(len(kept), bool) if mode == WALK else ~columns["oneway"][kept]
        g.edge_bwd_s = np.where(two_way, g.edge_fwd_s, np.inf)
        g._edge_order = np.argsort(g.edge_ids, kind="stable")
        g._sorted_edge_ids = g.edge_ids[g._edge_order]

        lon0 = float(np.median(node_lon)) if len(node_lon) else 0.0
        g.central_meridian = gk_central_meridian(lon0) if central_meridian is None else central_meridian
        g._crs = pyproj.CRS.from_proj4(
            f"+proj=tmerc +lat_0=0 +lon_0={g.central_meridian} +k=1 +x_0=500000 +y_0=0 "
            "+ellps=GRS80 +units=m +no_defs"
        )
        g._local = threading.local()
        g._build_geometry(kept, geometries)
        g._fwd = g._build_csr(reverse=False, closed_edges=np.zeros(0, np.int64))
        g._rev = g._build_csr(reverse=True, closed_edges=np.zeros(0, np.int64))
        g._closure_cache: OrderedDict[tuple[bool, frozenset[int]], _Csr] = OrderedDict()
        g._closure_lock = threading.Lock()
        # Stations and parked units are snapped again and again: remember the
        # answers (the graph is immutable, so they never go stale).
        g._snap_cache: dict[tuple[float, float], Snap] = {}
        return g

    def _build_geometry(self, kept: np.ndarray, geometries) -> None:
        """Projected polylines of the kept edges, oriented from u to v."""
        parts: list[np.ndarray] = []
        for k, e in enumerate(kept):
            coords = None if geometries is None else geometries[e]
            u, v = self.edge_u[k], self.edge_v[k]
            start = (self.node_lon[u], self.node_lat[u])
            end = (self.node_lon[v], self.node_lat[v])
            if coords is None or len(coords) < 2:
                arr = np.array([start, end], dtype=np.float64)
            else:
                arr = np.asarray(coords, dtype=np.float64)[:, :2]
                # A geometry digitised against the edge's direction is turned
                # around rather than trusted.
                d_first = np.hypot(*(arr[0] - start)) + np.hypot(*(arr[-1] - end))
                d_last = np.hypot(*(arr[-1] - start)) + np.hypot(*(arr[0] - end))
                if d_last < d_first:
                    arr = arr[::-1]
            parts.append(arr)
        counts = np.array([len(p) for p in parts], dtype=np.int64)
        self._geom_offsets = np.concatenate([[0], np.cumsum(counts)])
        lonlat = np.concatenate(parts) if parts else np.zeros((0, 2))
        x, y = self._to_xy(lonlat[:, 0], lonlat[:, 1])
        self._geom_lonlat = lonlat
        self._geom_xy = np.column_stack([x, y])
        if parts:
            self._lines = shapely.linestrings(self._geom_xy, indices=np.repeat(np.arange(len(parts)), counts))
        else:
            self._lines = np.array([], dtype=object)
        self._line_len = shapely.length(self._lines) if len(parts) else np.zeros(0)
        self._tree = shapely.STRtree(self._lines)

    def _build_csr(self, *, reverse: bool, closed_edges: np.ndarray) -> _Csr:
        """Arcs of one direction without ``closed_edges``; parallel arcs keep
        the cheapest; self-loops are dropped; a last row for the virtual
        source holds two slots."""
        n_e = len(self.edge_ids)
        e_all = np.arange(n_e)
        usable = np.ones(n_e, bool)
        usable[closed_edges] = False
        fwd = e_all[usable]
        bwd = fwd[np.isfinite(self.edge_bwd_s[fwd])]
        a = np.concatenate([self.edge_u[fwd], self.edge_v[bwd]])
        b = np.concatenate([self.edge_v[fwd], self.edge_u[bwd]])
        cost = np.concatenate([self.edge_fwd_s[fwd], self.edge_bwd_s[bwd]])
        arc_edge = np.concatenate([fwd, bwd])
        if reverse:
            a, b = b, a
        loop = a == b
        a, b, cost, arc_edge = a[~loop], b[~loop], cost[~loop], arc_edge[~loop]
        order = np.lexsort((arc_edge, cost, b, a))
        a, b, cost, arc_edge = a[order], b[order], cost[order], arc_edge[order]
        first = np.ones(len(a), bool)
        if len(a):
            first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, cost, arc_edge = a[first], b[first], cost[first], arc_edge[first]
        n = self._n
        indptr = np.zeros(n + 2, dtype=np.int64)
        indptr[1 : n + 1] = np.cumsum(np.bincount(a, minlength=n))
        indptr[n + 1] = indptr[n] + 2
        indices = np.concatenate([b, [n, n]]).astype(np.int32)
        cost = np.concatenate([cost, [1.0, 1.0]])
        arc_edge = np.concatenate([arc_edge, [-1, -1]])
        return _Csr(indptr=indptr, indices=indices, cost=cost, arc_edge=arc_edge)

    # -------------------------------------------------------------- helpers
    @property
    def node_count(self) -> int:
        return self._n

    @property
    def edge_count(self) -> int:
        return len(self.edge_ids)

    def node_index(self, node_id: int) -> int:
        """Position of a node id in the arrays :meth:`travel_times` returns."""
        hits = np.flatnonzero(self.node_ids == node_id)
        if not len(hits):
            raise RoutingError(f"unknown node id {node_id}")
        return int(hits[0])

    def _transformers(self) -> tuple[pyproj.Transformer, pyproj.Transformer]:
        # pyproj transformers are not shared between threads.
        local = self._local
        if not hasattr(local, "fwd"):
            local.fwd = pyproj.Transformer.from_crs("EPSG:4326", self._crs, always_xy=True)
            local.inv = pyproj.Transformer.from_crs(self._crs, "EPSG:4326", always_xy=True)
        return local.fwd, local.inv

    def _to_xy(self, lon, lat):
        return self._transformers()[0].transform(np.asarray(lon, float), np.asarray(lat, float))

    def _to_lonlat(self, x, y):
        return self._transformers()[1].transform(np.asarray(x, float), np.asarray(y, float))

    def _edge_indices(self, edge_ids) -> np.ndarray:
        """Internal indices of the given road edge ids (unknown ids and edges
        not in this mode's graph are ignored)."""
        ids = np.fromiter((int(i) for i in edge_ids), dtype=np.int64)
        if not len(ids) or not len(self._sorted_edge_ids):
            return np.zeros(0, np.int64)
        pos = np.minimum(np.searchsorted(self._sorted_edge_ids, ids), len(self._sorted_edge_ids) - 1)
        hit = self._sorted_edge_ids[pos] == ids
        return np.unique(self._edge_order[pos[hit]])

    def _csr(self, *, reverse: bool, closed) -> _Csr:
        closed_idx = self._edge_indices(closed) if closed else np.zeros(0, np.int64)
        if not len(closed_idx):
            return self._rev if reverse else self._fwd
        key = (reverse, frozenset(closed_idx.tolist()))
        with self._closure_lock:
            hit = self._closure_cache.get(key)
            if hit is not None:
                self._closure_cache.move_to_end(key)
                return hit
        built = self._build_csr(reverse=reverse, closed_edges=closed_idx)
        with self._closure_lock:
            self._closure_cache[key] = built
            while len(self._closure_cache) > _CLOSURE_CACHE_SIZE:
                self._closure_cache.popitem(last=False)
        return built

    # ------------------------------------------------------------------ snap
    def snap(self, lon: float, lat: float) -> Snap:
        """The nearest point of the nearest usable edge to (lon, lat)."""
        return self.snap_many([lon], [lat])[0]

    def snap_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[Snap]:
        """:meth:`snap` for many points at once (vectorised, memoised)."""
        if not self.edge_count:
            raise RoutingError(f"the {self.mode} graph has no usable roads")
        lons = np.asarray(lons, dtype=np.float64)
        lats = np.asarray(lats, dtype=np.float64)
        if not (np.all(np.isfinite(lons)) and np.all(np.isfinite(lats))):
            raise RoutingError("coordinates must be finite numbers")
        keys = list(zip(lons.tolist(), lats.tolist(), strict=True))
        cache = self._snap_cache
        found = [cache.get(k) for k in keys]
        missing = [i for i, s in enumerate(found) if s is None]
        if missing:
            fresh = self._snap_arrays(lons[missing], lats[missing])
            if len(cache) + len(fresh) > _SNAP_CACHE_SIZE:
                cache.clear()
            for i, s in zip(missing, fresh, strict=True):
                found[i] = cache[keys[i]] = s
        return found

    def _snap_arrays(self, lons: np.ndarray, lats: np.ndarray) -> list[Snap]:
        if not len(lons):
            return []
        x, y = self._to_xy(lons, lats)
        points = shapely.points(x, y)
        hits = self._tree.query_nearest(points, all_matches=True)
        # Ties (a point equidistant from two edges) go to the lowest edge index.
        best = np.full(len(lons), np.iinfo(np.int64).max)
        np.minimum.at(best, hits[0], hits[1])
        lines = self._lines[best]
        along = shapely.line_locate_point(lines, points)
        on_line = shapely.line_interpolate_point(lines, along)
        dist = shapely.distance(points, on_line)
        length = self._line_len[best]
        frac = np.where(length > 0, np.clip(along / np.where(length > 0, length, 1), 0, 1), 0.0)
        sx, sy = shapely.get_x(on_line), shapely.get_y(on_line)
        slon, slat = self._to_lonlat(sx, sy)
        return [
            Snap(edge=int(e), edge_id=int(self.edge_ids[e]), fraction=float(f), distance_m=float(d),
                 lon=float(lo), lat=float(la))
            for e, f, d, lo, la in zip(best, frac, dist, np.atleast_1d(slon), np.atleast_1d(slat),
                                       strict=True)
        ]

    def _check_snap(self, snap: Snap) -> None:
        if not (0 <= snap.edge < self.edge_count) or self.edge_ids[snap.edge] != snap.edge_id:
            raise RoutingError("the snap was made on another graph; snap again")

    # --------------------------------------------------------------- search
    def _search(self, snap: Snap, *, reverse: bool, closed, predecessors: bool = False):
        self._check_snap(snap)
        csr = self._csr(reverse=reverse, closed=closed)
        e, f = snap.edge, snap.fraction
        u, v = int(self.edge_u[e]), int(self.edge_v[e])
        fwd_s, bwd_s = self.edge_fwd_s[e], self.edge_bwd_s[e]
        if reverse:  # arcs node → snap point
            slots = [(u, float(_part(f, fwd_s))), (v, float(_part(1 - f, bwd_s)))]
        else:  # arcs snap point → node
            slots = [(v, float(_part(1 - f, fwd_s))), (u, float(_part(f, bwd_s)))]
        slots = [s for s in slots if np.isfinite(s[1])]
        if len(slots) == 2 and slots[0][0] == slots[1][0]:
            slots = [min(slots, key=lambda s: s[1])]
        n = self._n
        cost = csr.cost.copy()
        indices = csr.indices.copy()
        base = csr.indptr[n]
        for k in range(2):
            if k < len(slots):
                indices[base + k] = slots[k][0]
                cost[base + k] = max(slots[k][1], 0.0) or MIN_ARC_SECONDS * 1e-3
            else:
                indices[base + k] = n  # unused slot: a harmless self-loop
                cost[base + k] = 1.0
        matrix = csr_matrix((cost, indices, csr.indptr), shape=(n + 1, n + 1))
        result = dijkstra(matrix, directed=True, indices=n, return_predecessors=predecessors)
        return result, csr

    def travel_times(self, snap: Snap, *, reverse: bool = False, closed=frozenset()) -> np.ndarray:
        """Seconds from the snap point to every node (``reverse=True``: from
        every node to the snap point), ``inf`` where unreachable.  Indexed
        like ``node_ids``."""
        times, _ = self._search(snap, reverse=reverse, closed=closed)
        return times[: self._n]

    def point_travel_times(self, origin: Snap, points: Sequence[Snap], *, reverse: bool = False,
                           closed=frozenset()) -> np.ndarray:
        """Seconds from ``origin`` to each snapped point (``reverse=True``:
        from each point to ``origin``), with one graph search.  The partial
        edges at both ends and two points on the same edge are exact."""
        times = self.travel_times(origin, reverse=reverse, closed=closed)
        if not len(points):
            return np.zeros(0)
        e = np.fromiter((p.edge for p in points), dtype=np.int64, count=len(points))
        g = np.fromiter((p.fraction for p in points), dtype=np.float64, count=len(points))
        ids = np.fromiter((p.edge_id for p in points), dtype=np.int64, count=len(points))
        if np.any((e < 0) | (e >= self.edge_count)) or np.any(self.edge_ids[np.clip(e, 0, None)] != ids):
            raise RoutingError("a snap was made on another graph; snap again")
        u, v = self.edge_u[e], self.edge_v[e]
        fwd_s, bwd_s = self.edge_fwd_s[e], self.edge_bwd_s[e]
        with np.errstate(invalid="ignore"):
            if reverse:  # point → node → … → origin
                via_v = _part(1 - g, fwd_s) + times[v]
                via_u = _part(g, bwd_s) + times[u]
            else:  # origin → … → node → point
                via_u = times[u] + _part(g, fwd_s)
                via_v = times[v] + _part(1 - g, bwd_s)
            best = np.fmin(via_u, via_v)
            same = e == origin.edge
            if np.any(same):
                f = origin.fraction
                ahead = (g >= f) if not reverse else (g <= f)
                direct = np.where(ahead, _part(np.abs(g - f), fwd_s), _part(np.abs(g - f), bwd_s))
                best = np.where(same, np.fmin(best, direct), best)
        return np.where(np.isnan(best), np.inf, best)

    # ----------------------------------------------------------------- route
    def route(self, from_snap: Snap, to_snap: Snap, *, closed=frozenset()) -> Route | None:
        """The fastest route between two snapped points, or ``None`` when the
        destination cannot be reached."""
        self._check_snap(to_snap)
        (times, pred), csr = self._search(from_snap, reverse=False, closed=closed, predecessors=True)
        e, g = to_snap.edge, to_snap.fraction
        u, v = int(self.edge_u[e]), int(self.edge_v[e])
        fwd_s, bwd_s = self.edge_fwd_s[e], self.edge_bwd_s[e]
        options: list[tuple[float, str]] = [
            (float(times[u] + _part(g, fwd_s)), "u"),
            (float(times[v] + _part(1 - g, bwd_s)), "v"),
        ]
        if e == from_snap.edge:
            f = from_snap.fraction
            direct = _part(g - f, fwd_s) if g >= f else _part(f - g, bwd_s)
            options.append((float(direct), "direct"))
        seconds, how = min(options, key=lambda o: o[0])
        if not np.isfinite(seconds):
            return None
        if how == "direct":
            coords = self._sub_coords(e, from_snap.fraction, g)
            meters = abs(g - from_snap.fraction) * self.edge_length[e]
            return Route(seconds=float(seconds), meters=float(meters), coords=coords,
                         edge_ids=[int(self.edge_ids[e])])
        entry = u if how == "u" else v
        n = self._n
        path = [entry]
        while pred[path[-1]] != n:
            nxt = int(pred[path[-1]])
            if nxt < 0:  # cannot happen for a finite time; guards a corrupt graph
                return None
            path.append(nxt)
        path.reverse()
        fe, f = from_snap.edge, from_snap.fraction
        first = path[0]
        # Leave the start edge towards whichever end the search went through.
        leave_to_end = first == self.edge_v[fe] and not (
            first == self.edge_u[fe]
            and _part(f, self.edge_bwd_s[fe]) < _part(1 - f, self.edge_fwd_s[fe]))
        coords = self._sub_coords(fe, f, 1.0 if leave_to_end else 0.0)
        meters = (1 - f if leave_to_end else f) * self.edge_length[fe]
        edge_ids = [int(self.edge_ids[fe])]
        for a, b in zip(path[:-1], path[1:], strict=True):
            lo, hi = csr.indptr[a], csr.indptr[a + 1]
            k = lo + int(np.searchsorted(csr.indices[lo:hi], b))
            re = int(csr.arc_edge[k])
            forward = self.edge_u[re] == a and self.edge_v[re] == b
            coords.extend(self._sub_coords(re, 0.0, 1.0) if forward else self._sub_coords(re, 1.0, 0.0))
            meters += self.edge_length[re]
            edge_ids.append(int(self.edge_ids[re]))
        coords.extend(self._sub_coords(e, 0.0, g) if how == "u" else self._sub_coords(e, 1.0, g))
        meters += (g if how == "u" else 1 - g) * self.edge_length[e]
        if edge_ids[-1] != int(self.edge_ids[e]):
            edge_ids.append(int(self.edge_ids[e]))
        return Route(seconds=float(seconds), meters=float(meters), coords=_dedupe(coords),
                     edge_ids=edge_ids)

    def _sub_coords(self, e: int, f0: float, f1: float) -> list[tuple[float, float]]:
        """Lon/lat coordinates of edge ``e`` from fraction ``f0`` to ``f1``
        (reversed when ``f1 < f0``), ends interpolated in metres."""
        lo, hi = self._geom_offsets[e], self._geom_offsets[e + 1]
        xy = self._geom_xy[lo:hi]
        lonlat = self._geom_lonlat[lo:hi]
        seg = np.hypot(*np.diff(xy, axis=0).T)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        total = cum[-1]
        a, b = sorted((f0, f1))
        da, db = a * total, b * total
        inner = [tuple(p) for p, c in zip(lonlat, cum, strict=True) if da < c < db]
        ends = []
        for d in (da, db):
            if total <= 0:
                ends.append(tuple(lonlat[0]))
                continue
            i = int(np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(seg) - 1))
            t = 0.0 if seg[i] == 0 else (d - cum[i]) / seg[i]
            x, y = xy[i] + t * (xy[i + 1] - xy[i])
            lon, lat = self._to_lonlat(x, y)
            ends.append((float(lon), float(lat)))
        out = [ends[0], *[(float(p[0]), float(p[1])) for p in inner], ends[1]]
        return out if f1 >= f0 else out[::-1]


def _part(frac, seconds):
    """Seconds for ``frac`` of an edge costing ``seconds`` (``inf`` when the
    direction is not allowed), exactly 0 for a zero fraction."""
    with np.errstate(invalid="ignore"):
        return np.where(np.asarray(frac) <= 0.0, 0.0, np.asarray(frac) * seconds)


def _dedupe(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop consecutive repeats (edge joins repeat the shared node)."""
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or abs(out[-1][0] - c[0]) > 1e-10 or abs(out[-1][1] - c[1]) > 1e-10:
            out.append(c)
    if len(out) == 1:
        out.append(out[0])
    return out
