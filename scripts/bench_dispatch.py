#!/usr/bin/env python
"""Recommendation latency: our in-memory engine against pgRouting, same run,
same graph, same units.

    DATABASE_URL=postgis://…/db .venv/bin/python scripts/bench_dispatch.py [--units 200] [--runs 200]

* ours: ``emergency.recommend.recommend_units`` end to end (unit query,
  fresh-position check, snapping, ONE reverse Dijkstra from the incident,
  ranking per type), on the cached road graph of the database;
* baseline: the same unit query and ranking with the travel times from
  ``pgr_dijkstraCost`` (many-to-one: every candidate unit's vertex to the
  incident's vertex, one SQL call) on the same edges, costs and one-way
  rules.  The baseline is given each unit's vertex for free.

Units (4 types × 50) are placed at random drivable junctions with fresh AVL
fixes, incidents at random junctions (junctions whose position snaps onto
another road, e.g. under a bridge, are skipped), so both engines answer the
same vertex-to-vertex question; every ETA is compared (must agree to 0.1 %).
Everything the benchmark writes is committed (so that recommendations read
the in-memory dispatch picture, as a console's requests do) and removed at
the end.  ``--make-grid N`` first
fills an EMPTY database with a generated N×N street grid (committed) for a
scale test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import LineString, Point  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from cim.models import RoadNode, RoadSegment  # noqa: E402
from cim.routing.service import current_closures, road_fingerprint, road_graph  # noqa: E402
from emergency.models import Agency, Incident, Unit  # noqa: E402
from emergency.recommend import recommend_units, unit_origin  # noqa: E402

TYPES = ["fire_engine", "ambulance", "police_car", "rescue_team"]
WANTED = {t: 3 for t in TYPES}


def make_grid(n: int, seed: int) -> None:
    """An n×n grid (~110 m blocks, Tianshui) with varied speeds and 10 % one-way streets."""
    if RoadSegment.objects.exists():
        raise SystemExit("--make-grid needs a database without roads")
    rng = np.random.default_rng(seed)
    step, lon0, lat0 = 0.0012, 105.60, 34.50
    with transaction.atomic():
        nodes = RoadNode.objects.bulk_create(
            [RoadNode(source="bench-grid", source_id=f"{i},{j}", synthetic=True,
                      geom=Point(lon0 + i * step, lat0 + j * step * 0.9, srid=4326))
             for i in range(n) for j in range(n)], batch_size=5000)
        ids = np.array([nd.pk for nd in nodes]).reshape(n, n)
        from pyproj import Geod

        geod = Geod(ellps="GRS80")
        segs = []
        for i in range(n):
            for j in range(n):
                for di, dj in ((1, 0), (0, 1)):
                    if i + di >= n or j + dj >= n:
                        continue
                    a, b = (i, j), (i + di, j + dj)
                    if rng.random() < 0.5:
                        a, b = b, a
                    pa = (lon0 + a[0] * step, lat0 + a[1] * step * 0.9)
                    pb = (lon0 + b[0] * step, lat0 + b[1] * step * 0.9)
                    segs.append(RoadSegment(
                        source="bench-grid", source_id=f"{a}-{b}", synthetic=True,
                        geom=LineString([pa, pb], srid=4326),
                        from_node_id=int(ids[a]), to_node_id=int(ids[b]),
                        speed_kmh=float(rng.choice([20, 30, 40, 50, 60])), oneway=bool(rng.random() < 0.1),
                        road_class="residential", length_m=geod.line_length([pa[0], pb[0]], [pa[1], pb[1]])))
        RoadSegment.objects.bulk_create(segs, batch_size=5000)
    print(f"generated grid: {n * n} nodes, {len(segs)} segments")


def pgr_seconds(unit_vertices: list[int], target_vertex: int, closed: frozenset[int]) -> dict[int, float]:
    """Travel seconds from each vertex to the target by pgr_dijkstraCost."""
    excluded = ",".join(str(i) for i in sorted(closed)) or "0"
    edges_sql = (
        "SELECT id, from_node_id AS source, to_node_id AS target, length_m / (speed_kmh / 3.6) AS cost, "
        "CASE WHEN oneway THEN -1 ELSE length_m / (speed_kmh / 3.6) END AS reverse_cost "
        f"FROM {RoadSegment._meta.db_table} WHERE NOT closed AND speed_kmh > 0 "
        f"AND road_class NOT IN ('pedestrian', 'track') AND id NOT IN ({excluded})"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT start_vid, agg_cost FROM pgr_dijkstraCost(%s, %s::bigint[], %s::bigint, true)",
                    [edges_sql, unit_vertices, target_vertex])
        return {int(v): float(c) for v, c in cur.fetchall()}


def baseline_recommend(incident: Incident, vertex_of_unit: dict[int, int], vertex_of_incident: int,
                       closed: frozenset[int]) -> dict[str, list[tuple[float, int]]]:
    """The same recommendation with pgRouting doing the travel times."""
    units = list(Unit.objects.filter(status="available", unit_type__in=list(WANTED))
                 .select_related("home_station").order_by("pk"))
    now = timezone.now()
    placed = [u for u in units if unit_origin(u, now=now) is not None]
    costs = pgr_seconds(sorted({vertex_of_unit[u.pk] for u in placed}), vertex_of_incident, closed)
    ranked: dict[str, list[tuple[float, int]]] = {t: [] for t in WANTED}
    for u in placed:
        seconds = 0.0 if vertex_of_unit[u.pk] == vertex_of_incident else costs.get(vertex_of_unit[u.pk])
        if seconds is not None:
            ranked[u.unit_type].append((seconds, u.pk))
    return {t: sorted(v)[: WANTED[t] + 2] for t, v in ranked.items()}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--baseline-runs", type=int, default=0, metavar="N",
                        help="pgRouting runs (default: as many as --runs)")
    parser.add_argument("--incidents", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--make-grid", type=int, default=0, metavar="N")
    parser.add_argument("--per-unit-baseline", type=int, default=0, metavar="RUNS",
                        help="also time one pgr_dijkstraCost call per unit (slow)")
    args = parser.parse_args()
    settings.DEBUG = False  # no query log
    if args.make_grid:
        make_grid(args.make_grid, args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    graph = road_graph("drive")
    build_s = time.perf_counter() - t0
    if not graph.edge_count:
        raise SystemExit("no drivable roads in this database")
    closed = current_closures()
    drivable = np.unique(np.concatenate([graph.edge_u, graph.edge_v]))
    # Junctions that snap onto themselves (not onto a bridge passing over them),
    # so that both engines are asked exactly the same vertex-to-vertex question.
    snaps = graph.snap_many(graph.node_lon[drivable], graph.node_lat[drivable])
    drivable = np.array([i for i, sn in zip(drivable, snaps, strict=True)
                         if (graph.edge_u[sn.edge] == i and sn.fraction < 1e-9)
                         or (graph.edge_v[sn.edge] == i and sn.fraction > 1 - 1e-9)])
    print(f"database {settings.DATABASES['default']['NAME']}: drive graph {graph.node_count} nodes, "
          f"{graph.edge_count} edges (built in {build_s:.2f} s), {len(closed)} closed segments")
    results: dict = {}
    # The benchmark's rows are committed (recommendations outside a
    # transaction read the in-memory dispatch picture, as a console's requests
    # do; inside one they read the database) and removed again at the end.
    parked_ids: list[int] = []
    agency, incidents = None, []
    try:
        with transaction.atomic():
            # only the benchmark's units compete (the city's own are parked for the run)
            parked_ids = list(Unit.objects.filter(status="available").values_list("pk", flat=True))
            parked = Unit.objects.filter(pk__in=parked_ids).update(status="out_of_service")
            agency = Agency.objects.create(code="BENCH-AGENCY", name="bench", kind="other", synthetic=True)
            now = timezone.now()
            units, vertex_of_unit = [], {}
            for k in range(args.units):
                idx = int(rng.choice(drivable))
                unit = Unit.objects.create(
                    code=f"BENCH-{k:04d}", name=f"bench {k}", agency=agency, unit_type=TYPES[k % len(TYPES)],
                    last_position=Point(graph.node_lon[idx], graph.node_lat[idx], srid=4326),
                    last_position_at=now, synthetic=True)
                vertex_of_unit[unit.pk] = int(graph.node_ids[idx])
                units.append(unit)
            incidents, vertex_of_incident = [], {}
            for k in range(args.incidents):
                idx = int(rng.choice(drivable))
                inc = Incident.objects.create(
                    title=f"bench {k}", category="accident", incident_type="fire", source="manual",
                    location=Point(graph.node_lon[idx], graph.node_lat[idx], srid=4326))
                incidents.append(inc)
                vertex_of_incident[inc.pk] = int(graph.node_ids[idx])

        # same answers: every unit's ETA by both engines, for every incident
        worst, compared, mismatch_reach = 0.0, 0, 0
        unit_snaps = graph.snap_many([u.last_position.x for u in units],
                                     [u.last_position.y for u in units])
        for inc in incidents:
            target = graph.snap(inc.location.x, inc.location.y)
            ours = graph.point_travel_times(target, unit_snaps, reverse=True, closed=closed)
            theirs = pgr_seconds(sorted(set(vertex_of_unit.values())), vertex_of_incident[inc.pk], closed)
            for u, mine in zip(units, ours, strict=True):
                v = vertex_of_unit[u.pk]
                other = 0.0 if v == vertex_of_incident[inc.pk] else theirs.get(v)
                if other is None or not np.isfinite(mine):
                    mismatch_reach += (other is None) != (not np.isfinite(mine))
                    continue
                compared += 1
                worst = max(worst, abs(mine - other) / max(other, 1e-9) if other > 0 else abs(mine))
        results["parked"] = parked
        results.update(compared=compared, worst_rel=worst, reach_mismatch=mismatch_reach)

        for inc in incidents[:3]:  # warm both paths
            recommend_units(incident=inc, wanted=WANTED)
            baseline_recommend(inc, vertex_of_unit, vertex_of_incident[inc.pk], closed)
        # ours back to back, as a busy console asks (the road fingerprint is
        # re-checked once a second inside this loop), then the baseline
        ours_ms, base_ms, search_ms, recs = [], [], [], []
        for k in range(args.runs):
            inc = incidents[k % len(incidents)]
            t = time.perf_counter()
            recs.append(recommend_units(incident=inc, wanted=WANTED))
            ours_ms.append((time.perf_counter() - t) * 1000)
        # the same inside a transaction: the units and closures are read from
        # the database on every call (as before the in-memory picture)
        db_ms = []
        with transaction.atomic():
            for k in range(args.runs):
                inc = incidents[k % len(incidents)]
                t = time.perf_counter()
                same = recommend_units(incident=inc, wanted=WANTED)
                db_ms.append((time.perf_counter() - t) * 1000)
                # the same answer (the ages of the fixes have grown meanwhile)
                assert ([[(c["unit"], c["eta_s"]) for c in g["candidates"]] for g in same["groups"]]
                        == [[(c["unit"], c["eta_s"]) for c in g["candidates"]] for g in recs[k]["groups"]])
        for k in range(args.runs):
            inc = incidents[k % len(incidents)]
            t = time.perf_counter()
            graph.travel_times(graph.snap(inc.location.x, inc.location.y), reverse=True, closed=closed)
            search_ms.append((time.perf_counter() - t) * 1000)
        for k in range(args.baseline_runs or args.runs):
            inc = incidents[k % len(incidents)]
            t = time.perf_counter()
            base = baseline_recommend(inc, vertex_of_unit, vertex_of_incident[inc.pk], closed)
            base_ms.append((time.perf_counter() - t) * 1000)
            # same ranking (ties aside) as ours
            for g in recs[k]["groups"]:
                mine = [c["eta_s"] for c in g["candidates"]]
                theirs = [s for s, _ in base[g["unit_type"]]]
                assert np.allclose(mine, theirs, rtol=1e-3), (g["unit_type"], mine, theirs)
        t = time.perf_counter()
        for _ in range(10):
            road_fingerprint()
        results["fingerprint_ms"] = (time.perf_counter() - t) * 100
        results.update(ours=ours_ms, ours_db=db_ms, base=base_ms, search=search_ms)

        if args.per_unit_baseline:
            per_unit = []
            for k in range(args.per_unit_baseline):
                inc = incidents[k % len(incidents)]
                t = time.perf_counter()
                for u in units:
                    pgr_seconds([vertex_of_unit[u.pk]], vertex_of_incident[inc.pk], closed)
                per_unit.append((time.perf_counter() - t) * 1000)
            results["per_unit"] = per_unit
    finally:
        with transaction.atomic():
            Incident.objects.filter(pk__in=[i.pk for i in incidents if i.pk]).delete()
            Unit.objects.filter(agency__code="BENCH-AGENCY").delete()
            Agency.objects.filter(code="BENCH-AGENCY").delete()
            Unit.objects.filter(pk__in=parked_ids, status="out_of_service").update(status="available")

    ours, base, search = results["ours"], results["base"], results["search"]
    ours_db = results["ours_db"]
    print(f"\n{args.units} units ({', '.join(TYPES)}), {args.runs} recommendations "
          f"({len(base)} with pgRouting) over {args.incidents} incidents, 3 units wanted per type; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':38}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    rows = [("ours: recommend_units (end to end)", ours),
            ("  of which one reverse search", search),
            ("ours, units read from the database", ours_db),
            ("pgRouting: pgr_dijkstraCost many-to-one", base)]
    if "per_unit" in results:
        rows.append(("pgRouting: one call per unit", results["per_unit"]))
    for label, values in rows:
        print(f"{label:38}{pct(values, 50):10.2f}{pct(values, 95):10.2f}{statistics.fmean(values):10.2f}")
    if results.get("parked"):
        print(f"({results['parked']} units of the city parked out of service for the run, "
              "then set available again)")
    print(f"road-table fingerprint check (≤ once a second): {results['fingerprint_ms']:.2f} ms; "
          f"cold graph build: {build_s * 1000:.0f} ms")
    print(f"\nspeed-up (baseline / ours): p50 {pct(base, 50) / pct(ours, 50):.1f}×, "
          f"p95 {pct(base, 95) / pct(ours, 95):.1f}× "
          f"(units read from the database per call: p50 {pct(base, 50) / pct(ours_db, 50):.1f}×, "
          f"p95 {pct(base, 95) / pct(ours_db, 95):.1f}×)")
    print(f"same travel times: {results['compared']} unit→incident pairs compared, "
          f"largest relative difference {results['worst_rel']:.2e} (limit 1e-3); "
          f"reachability disagreements: {results['reach_mismatch']}")
    ok = results["worst_rel"] < 1e-3 and results["reach_mismatch"] == 0
    print("targets: ≥ 20× faster:", "yes" if pct(base, 50) / pct(ours, 50) >= 20 else "NO",
          "| p95 < 20 ms:", "yes" if pct(ours, 95) < 20 else "NO", "| same times:", "yes" if ok else "NO")


if __name__ == "__main__":
    main()
