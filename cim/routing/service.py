"""The road graph of the database, built once per process and rebuilt when the
roads change; the road closures in force, asked of their providers at query
time.

    from cim.routing.service import road_graph, current_closures
    graph = road_graph("walk")
    origin = graph.snap(lon, lat)
    seconds = graph.point_travel_times(origin, graph.snap_many(lons, lats),
                                       closed=current_closures())

Change detection: a cheap fingerprint of the road table (count, max id,
max ``updated_at``) is compared at most every ``CIM["ROUTING_CHECK_INTERVAL_S"]``
seconds (default 1 s, so a busy dispatch console does not scan the road
table on every query; the test settings use 0); importers may call
:func:`road_graph_invalidate` to force a rebuild in their process at once.  Temporary
closures (by an incident, a flood, a manual order) are not part of the
graph: the emergency app registers a provider with
:func:`register_closure_provider`, and every query passes
``closed=current_closures()``, so a closure takes effect on the next query.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np
import shapely
from django.db import connection

from cim.conf import cim_settings
from cim.models import RoadNode, RoadSegment
from cim.routing.engine import DRIVE, MODES, RoadGraph, RoutingError

__all__ = [
    "current_closures",
    "register_closure_provider",
    "road_fingerprint",
    "road_graph",
    "road_graph_invalidate",
]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_graphs: dict[str, RoadGraph] = {}
_checked_at: dict[str, float] = {}
_closure_providers: list[Callable[[], Iterable[int]]] = []


def road_fingerprint() -> tuple:
    """(count, max id, max updated_at) of the road segments: changes whenever a
    segment is added, deleted or edited through the ORM or an import."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*), max(id), max(updated_at) FROM {RoadSegment._meta.db_table}"
        )
        count, max_id, max_updated = cur.fetchone()
    return (count, max_id, max_updated.isoformat() if max_updated else None)


def _load_arrays() -> dict:
    """Every node and segment in one pass each (geometry as WKB, decoded in
    bulk by shapely)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, ST_X(geom), ST_Y(geom) FROM {RoadNode._meta.db_table} ORDER BY id"
        )
        nodes = cur.fetchall()
        cur.execute(
            f"SELECT id, from_node_id, to_node_id, length_m, speed_kmh, oneway, closed, road_class, "
            f"ST_AsBinary(geom) FROM {RoadSegment._meta.db_table} ORDER BY id"
        )
        rows = cur.fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 9
    geoms = shapely.from_wkb([bytes(w) for w in cols[8]]) if rows else []
    coords, index = shapely.get_coordinates(geoms, return_index=True) if rows else (None, None)
    if rows:
        splits = np.flatnonzero(np.diff(index)) + 1
        geometries = np.split(coords, splits)
    else:
        geometries = []
    node_cols = list(zip(*nodes, strict=True)) if nodes else [[], [], []]
    return {
        "node_ids": node_cols[0], "node_lon": node_cols[1], "node_lat": node_cols[2],
        "edge_ids": cols[0], "edge_from": cols[1], "edge_to": cols[2], "length_m": cols[3],
        "speed_kmh": cols[4], "oneway": cols[5], "closed": cols[6], "road_class": cols[7],
        "geometries": geometries,
    }


def road_graph(mode: str = DRIVE) -> RoadGraph:
    """The routing graph of ``mode`` ("drive" or "walk") for the roads in the
    database, cached in this process and rebuilt when they change."""
    if mode not in MODES:
        raise RoutingError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    now = time.monotonic()
    cached = _graphs.get(mode)
    interval = float(cim_settings.ROUTING_CHECK_INTERVAL_S)
    if cached is not None and now - _checked_at.get(mode, 0.0) < interval:
        return cached
    fingerprint = road_fingerprint()
    if cached is not None and cached.version == fingerprint:
        _checked_at[mode] = now
        return cached
    with _lock:
        cached = _graphs.get(mode)
        if cached is None or cached.version != fingerprint:
            started = time.perf_counter()
            arrays = _load_arrays()
            cached = RoadGraph.from_arrays(**arrays, mode=mode, version=fingerprint)
            _graphs[mode] = cached
            log.info("built the %s road graph: %d nodes, %d edges in %.2f s", mode,
                     cached.node_count, cached.edge_count, time.perf_counter() - started)
        _checked_at[mode] = now
    return cached


def road_graph_invalidate() -> None:
    """Forget the cached graphs (an importer that changed roads calls this)."""
    with _lock:
        _graphs.clear()
        _checked_at.clear()


def register_closure_provider(provider: Callable[[], Iterable[int]]) -> None:
    """Register a function returning the ids of road segments closed right now
    (the emergency app registers its road closures at start-up)."""
    if provider not in _closure_providers:
        _closure_providers.append(provider)


def current_closures() -> frozenset[int]:
    """Ids of the road segments every provider says are closed now."""
    closed: set[int] = set()
    for provider in _closure_providers:
        closed.update(int(i) for i in provider())
    return frozenset(closed)
