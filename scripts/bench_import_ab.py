#!/usr/bin/env python
"""Benchmark: this checkout's OSM import against another checkout's, paired.

    .venv/bin/python scripts/bench_import_ab.py OTHER_CHECKOUT [--pbf FILE] [--rounds 16]

For changes to the importer whose gain is smaller than the round-to-round
spread of ``bench_import.py`` on this shared machine.  Two scratch databases
(dropped at the end) on the server of DATABASE_URL, one per checkout, each
loaded by a long-lived Django process of that checkout's code (same Python);
every round imports the file once in each, into emptied city tables, the
order swapped every round.  Printed: best and median wall time, the median
client CPU (the process and the reading process it forks) and backend CPU of
each, and the median of the per-round ratios (this checkout over the other).
Then the city tables of the two databases are compared row for row (every
column but ids, times and the run: buildings, road nodes, segments with
their end nodes' source ids, service points, rejections), so a change
that alters the result shows up.  Nothing is written to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import bench_import as bi

ROOT = Path(__file__).resolve().parent.parent
# One query per table, its rows in a fixed order, as text.
COMPARED = {
    "buildings": """SELECT source, source_id, synthetic, name, encode(ST_AsEWKB(footprint), 'hex'),
                           encode(ST_AsEWKB(centroid), 'hex'), height, height_source, floors, use, year_built,
                           base_elevation, lod, solid, tags, admin_area_id, bim_model_id
                      FROM cim_building ORDER BY source, source_id""",
    "road nodes": """SELECT source, source_id, synthetic, encode(ST_AsEWKB(geom), 'hex')
                       FROM cim_roadnode ORDER BY source, source_id""",
    "road segments": """SELECT s.source, s.source_id, s.synthetic, s.name, encode(ST_AsEWKB(s.geom), 'hex'),
                               s.road_class, s.speed_kmh, s.speed_from_tag, s.oneway, s.lanes, s.closed,
                               s.bridge, s.tunnel, s.length_m, s.tags, a.source_id, b.source_id
                          FROM cim_roadsegment s JOIN cim_roadnode a ON a.id = s.from_node_id
                          JOIN cim_roadnode b ON b.id = s.to_node_id ORDER BY s.source, s.source_id""",
    "service points": """SELECT source, source_id, synthetic, name, name_en, category,
                                encode(ST_AsEWKB(geom), 'hex'), address, phone, opening_hours, capacity, tags,
                                admin_area_id
                           FROM cim_servicepoint ORDER BY source, source_id""",
    "rejections": """SELECT layer, source_id, reason, detail FROM cim_rejectedfeature
                      WHERE run_id = (SELECT max(id) FROM cim_importrun WHERE status = 'succeeded')
                      ORDER BY 1, 2, 3, 4""",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("other", type=Path, help="the checkout to compare with (e.g. /work/main)")
    shared_data = Path(os.environ.get("CIM_SHARED_DATA", ROOT.parent / "shared" / "data"))
    parser.add_argument("--pbf", type=Path, default=shared_data / "osm" / "monaco_osrm_2016.osm.pbf")
    parser.add_argument("--rounds", type=int, default=16)
    args = parser.parse_args()
    if not args.pbf.is_file() or not (args.other / "manage.py").is_file():
        print(f"missing {args.pbf} or {args.other / 'manage.py'}", file=sys.stderr)
        return 2
    base = urlparse(os.environ.get("DATABASE_URL") or bi._runtime_database_url())
    host, port, user = base.hostname or "127.0.0.1", base.port or 5432, base.username or "postgres"
    server = f"postgresql://{user}@{host}:{port}"
    names = {"this": f"cim_bench_ab_this_{os.getpid()}", "other": f"cim_bench_ab_other_{os.getpid()}"}
    roots = {"this": ROOT, "other": args.other.resolve()}
    workers: dict[str, subprocess.Popen] = {}
    try:
        for side, name in names.items():
            bi.psql(f"{server}/postgres", f"CREATE DATABASE {name}")
            for ext in ("postgis", "pg_trgm", "pgrouting"):
                bi.psql(f"{server}/{name}", f"CREATE EXTENSION IF NOT EXISTS {ext}")
            workers[side] = subprocess.Popen(
                [sys.executable, __file__, "--worker", str(roots[side]), f"postgis://{user}@{host}:{port}/{name}",
                 str(args.pbf)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for side, worker in workers.items():
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the worker for {roots[side]} did not start")
        results: dict[str, list[tuple[float, float, float]]] = {"this": [], "other": []}
        loads = [os.getloadavg()[0]]
        for round_no in range(args.rounds):
            for side in ("this", "other") if round_no % 2 else ("other", "this"):
                workers[side].stdin.write("go\n")
                workers[side].stdin.flush()
                results[side].append(tuple(map(float, workers[side].stdout.readline().split())))
            print(f"round {round_no + 1}: this {results['this'][-1][0]:.2f} s, "
                  f"other {results['other'][-1][0]:.2f} s", flush=True)
        loads.append(os.getloadavg()[0])
        for side in ("this", "other"):
            walls = [wall for wall, _, _ in results[side]]
            print(f"{side:5} ({roots[side]}): wall best {min(walls):.3f} s, "
                  f"median {bi._median(walls):.3f} s; "
                  f"CPU median client {bi._median(c for _, c, _ in results[side]):.3f} s, "
                  f"backend {bi._median(b for _, _, b in results[side]):.3f} s")
        pairs = [a[0] / b[0] for a, b in zip(results["this"], results["other"], strict=True)]
        print(f"this / other, per round: median {bi._median(pairs):.3f}×, quartiles {bi._quartiles(pairs)}")
        print(f"machine load average (1 min) before/after: {loads[0]:.1f} / {loads[1]:.1f}")
        differ = 0
        for label, sql in COMPARED.items():
            rows = {side: bi.psql(f"{server}/{name}", f"COPY ({sql}) TO STDOUT")
                    for side, name in names.items()}
            same = rows["this"] == rows["other"]
            differ += not same
            print(f"{label}: {'the same' if same else 'DIFFERENT'} ({rows['this'].count(chr(10)) + 1} rows)")
        return 1 if differ else 0
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.stdin.close()
                worker.wait(30)
        for name in names.values():
            bi.psql(f"{server}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def worker(root: str, database_url: str, pbf: str) -> None:
    """One checkout's side: migrate, then import ``pbf`` on every ``go``
    line and answer with the wall time, client CPU and backend CPU."""
    os.chdir(root)
    sys.path.insert(0, root)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("CIM_MEDIA_ROOT", str(ROOT / "var" / "bench" / "media"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        wall, client, backend = bi.import_once(pbf)
        print(f"{wall:.4f} {client:.4f} {backend:.4f}", flush=True)

if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
