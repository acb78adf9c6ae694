#!/usr/bin/env python
"""Benchmark: the Monaco OSM import against ogr2ogr, in the same run.

    .venv/bin/python scripts/bench_import.py [--pbf FILE] [--rounds 3] [--repeat 1] [--no-write]
    .venv/bin/python scripts/bench_import.py --reimport [--rounds 5] [--no-write]

Creates two scratch databases on the server of DATABASE_URL (dropped at the
end): one with only PostGIS, loaded by ``ogr2ogr -f PostgreSQL`` (GDAL's OSM
driver, COPY mode, its default spatial index), and one migrated for the
platform, loaded by our ``import_osm`` (validation, heights, uses, road graph
with junction splitting and geodesic lengths, service points, admin areas,
the import record and audit).  Each side runs ``--rounds`` times into empty
tables, alternating, and the best time counts; with ``--repeat K`` that
is done K times over and each ratio is shown (this machine's timings move
by several per cent from run to run).  Our importer is timed
in-process (``call_command``, without the ~1 s of Python/Django start-up;
the full command-line time is printed too).  The figures and the exact
command go into docs/benchmarks.md, section "Import (Monaco)".

``--reimport`` measures the cost of the buildings' history triggers
(migration ``cim/0023_history``) instead: after one first import into the
scratch database, the same file is re-imported ``--rounds`` times with the
version triggers on ``cim_building`` enabled and as often with them
disabled, alternating (the order swapped every round; the versions table
emptied before each), in the same run.  A re-import changes every building's
run, so the triggers write a version for every building.  Its figures go
into the History paragraph of the same section.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Import (Monaco)"


def psql(url: str, sql: str) -> str:
    out = subprocess.run(["psql", "-XqAt", url, "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    shared_data = Path(os.environ.get("CIM_SHARED_DATA", ROOT.parent / "shared" / "data"))
    parser.add_argument("--pbf", type=Path, default=shared_data / "osm" / "monaco_osrm_2016.osm.pbf")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure the best-of-rounds ratio this many times")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--reimport", action="store_true",
                        help="measure a re-import with the history triggers against one without them")
    args = parser.parse_args()
    if not args.pbf.is_file():
        print(f"missing {args.pbf}", file=sys.stderr)
        return 2

    base = urlparse(os.environ.get("DATABASE_URL") or _runtime_database_url())
    host, port, user = base.hostname or "127.0.0.1", base.port or 5432, base.username or "postgres"
    server = f"postgresql://{user}@{host}:{port}"
    tag = os.getpid()
    ogr_db, our_db = f"cim_bench_ogr_{tag}", f"cim_bench_import_{tag}"
    for name in (ogr_db, our_db):
        psql(f"{server}/postgres", f"CREATE DATABASE {name}")
    try:
        psql(f"{server}/{ogr_db}", "CREATE EXTENSION postgis")
        for ext in ("postgis", "pg_trgm", "pgrouting"):
            psql(f"{server}/{our_db}", f"CREATE EXTENSION IF NOT EXISTS {ext}")
        os.environ["DATABASE_URL"] = f"postgis://{user}@{host}:{port}/{our_db}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        os.environ.setdefault("CIM_MEDIA_ROOT", str(ROOT / "var" / "bench" / "media"))
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from cim.models import Building, ImportRun

        call_command("migrate", verbosity=0)
        if args.reimport:
            lines = _bench_reimport(args, call_command, connection)
            print("\n".join(lines))
            if not args.no_write:
                _write_history(lines, args)
            return 0
        ogr_cmd = ["ogr2ogr", "-f", "PostgreSQL", f"PG:host={host} port={port} user={user} dbname={ogr_db}",
                   str(args.pbf), "-overwrite"]
        ours, theirs, cli = [], [], []
        our_cpu, their_cpu = [], []
        loads = [os.getloadavg()[0]]
        for round_no in range(1, args.rounds * args.repeat + 1):
            started = time.perf_counter()
            subprocess.run(ogr_cmd, check=True, capture_output=True)
            theirs.append(time.perf_counter() - started)

            wall, client_cpu, backend_cpu = import_once(args.pbf)
            ours.append(wall)
            our_cpu.append((client_cpu, backend_cpu))
            print(f"round {round_no}: ogr2ogr {theirs[-1]:.2f} s, import_osm {ours[-1]:.2f} s", flush=True)
        loads.append(os.getloadavg()[0])
        # CPU split in rounds of their own: watching ogr2ogr's backend costs CPU too.
        for _ in range(args.rounds):
            their_cpu.append(_run_ogr2ogr(ogr_cmd, f"{server}/postgres")[1:])

        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {CITY_TABLES} CASCADE")
        connection.close()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "manage.py", "import_osm", str(args.pbf), "--no-progress",
                               "--verbosity", "0", "--skip-checks"], cwd=ROOT, env=os.environ.copy(),
                              capture_output=True, text=True)
        cli.append(time.perf_counter() - started)
        if done.returncode:
            print(f"the command-line run failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1

        run = ImportRun.objects.filter(kind="osm", status="succeeded").order_by("-id").first()
        counts = run.counts
        our_buildings = counts["buildings"]["imported"] + counts["building_relations"]["imported"]
        assert Building.objects.count() == our_buildings
        ogr_url = f"{server}/{ogr_db}"
        ogr_buildings = int(psql(ogr_url, "SELECT count(*) FROM multipolygons WHERE building IS NOT NULL"))
        ogr_lines = int(psql(ogr_url, "SELECT count(*) FROM lines WHERE highway IS NOT NULL"))
        best_ours, best_theirs = min(ours), min(theirs)
        ratio = best_ours / best_theirs
        blocks = [slice(i * args.rounds, (i + 1) * args.rounds) for i in range(args.repeat)]
        ratios = sorted(min(ours[b]) / min(theirs[b]) for b in blocks)
        per_round = [o / t for o, t in zip(ours, theirs, strict=True)]
        lines = [
            f"file: {args.pbf.name} ({args.pbf.stat().st_size / 1e6:.1f} MB); "
            f"best of {args.rounds * args.repeat}",
            f"ogr2ogr   : {best_theirs:.2f} s  ({ogr_buildings / best_theirs:,.0f} buildings/s; "
            f"{ogr_buildings:,} building polygons, {ogr_lines:,} highway lines)",
            f"import_osm: {best_ours:.2f} s  ({our_buildings / best_ours:,.0f} buildings/s; "
            f"{our_buildings:,} buildings, {counts['road_segments']['imported']:,} road segments, "
            f"{counts['road_nodes']['imported']:,} nodes, {counts['service_points']['imported']:,} "
            f"service points)",
            f"ratio import_osm / ogr2ogr: {ratio:.2f}× (target ≤ 1.35× with margin, issue 11)",
            *([f"the same ratio in {args.repeat} blocks of {args.rounds} rounds (best of each block), "
               "sorted: " + ", ".join(f"{r:.2f}×" for r in ratios)
               + f"; median {ratios[len(ratios) // 2]:.2f}×"]
              if args.repeat > 1 else []),
            "median of the per-round ratios (each import over the ogr2ogr run just before it; steadier "
            f"than the best times when the load moves): {_median(per_round):.2f}×, "
            f"quartiles {_quartiles(per_round)}",
            f"import_osm as a command line (manage.py … --skip-checks), Python and Django start-up "
            f"included: {cli[0]:.2f} s",
            "CPU seconds, median of rounds (client process + its PostgreSQL backend; less "
            "sensitive to the machine's load than wall time): "
            f"ogr2ogr {_median(c for c, _ in their_cpu):.2f} + {_median(b for _, b in their_cpu):.2f}, "
            f"import_osm {_median(c for c, _ in our_cpu):.2f} + {_median(b for _, b in our_cpu):.2f}",
            f"machine load average (1 min) before/after: {loads[0]:.1f} / {loads[1]:.1f}",
        ]
        print("\n".join(lines))
        if not args.no_write:
            _write_doc(lines, ours, theirs, args)
        return 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 (Django may not be set up yet)
            pass
        for name in (ogr_db, our_db):
            psql(f"{server}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


HISTORY_TRIGGERS = ("cim_building_versions_update", "cim_building_versions_delete")
HISTORY_PARAGRAPH = "History (issue 16"


def _bench_reimport(args, call_command, connection) -> list[str]:
    """Re-imports of the same file with and without the history triggers,
    alternating; the figures as lines."""
    from cim.models import Building, BuildingVersion

    def reimport(triggers: bool) -> tuple[float, float, int]:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE cim_buildingversion")
            for name in HISTORY_TRIGGERS:
                cur.execute(f"ALTER TABLE cim_building {'ENABLE' if triggers else 'DISABLE'} TRIGGER {name}")
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        backend = _cpu_seconds(pid)
        started = time.perf_counter()
        call_command("import_osm", str(args.pbf), "--no-progress", verbosity=0)
        wall = time.perf_counter() - started
        return wall, _cpu_seconds(pid) - backend, BuildingVersion.objects.count()

    call_command("import_osm", str(args.pbf), "--no-progress", verbosity=0)  # the first import
    buildings = Building.objects.count()
    loads = [os.getloadavg()[0]]
    on, off, versions = [], [], set()
    try:
        for round_no in range(1, args.rounds * args.repeat + 1):
            order = (True, False) if round_no % 2 else (False, True)
            for triggers in order:
                wall, cpu, written = reimport(triggers)
                (on if triggers else off).append((wall, cpu))
                if triggers:
                    versions.add(written)
                elif written:
                    raise RuntimeError(f"{written} versions written with the triggers disabled")
            print(f"round {round_no}: with triggers {on[-1][0]:.2f} s, without {off[-1][0]:.2f} s",
                  flush=True)
    finally:
        with connection.cursor() as cur:
            for name in HISTORY_TRIGGERS:
                cur.execute(f"ALTER TABLE cim_building ENABLE TRIGGER {name}")
    loads.append(os.getloadavg()[0])
    pairs = [a[0] / b[0] for a, b in zip(on, off, strict=True)]
    best_on, best_off = min(w for w, _ in on), min(w for w, _ in off)
    return [
        f"file: {args.pbf.name}; {buildings:,} buildings; {len(on)} re-imports with the history "
        f"triggers and {len(off)} without, alternating",
        f"versions written per re-import with the triggers: {', '.join(f'{v:,}' for v in sorted(versions))} "
        "(every building: a re-import changes its run)",
        f"best wall time: with {best_on:.2f} s, without {best_off:.2f} s → {best_on / best_off:.2f}×; "
        f"median of the per-round pairs {_median(pairs):.2f}×, quartiles {_quartiles(pairs)}",
        f"backend CPU, median: with {_median(c for _, c in on):.2f} s, "
        f"without {_median(c for _, c in off):.2f} s, so ≈ "
        f"{(_median(c for _, c in on) - _median(c for _, c in off)) / max(max(versions), 1) * 1e6:.0f} µs "
        "of the backend's CPU per version written",
        f"all re-imports (s): with {', '.join(f'{w:.2f}' for w, _ in on)}; "
        f"without {', '.join(f'{w:.2f}' for w, _ in off)}",
        f"machine load average (1 min) before/after: {loads[0]:.1f} / {loads[1]:.1f}",
    ]


def _write_history(lines: list[str], args) -> None:
    """Replace the History paragraph of the import section by these figures."""
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    paragraph = (
        "History (issue 16 §2, migration `cim/0023_history`, BIM links since `cim/0024_bim_versions`): "
        "building versions are written by two statement triggers with transition tables, AFTER UPDATE "
        "and AFTER DELETE on `cim_building`; none fires on INSERT or COPY, so a first import (the "
        "benchmark above) does no history work at all. A re-import pays one INSERT … SELECT from the "
        "transition tables per upsert statement, for the rows that differ (the previous run id counts "
        "as a difference, so a re-import of the same file versions every building). Measured "
        f"{time.strftime('%Y-%m-%d')} with `.venv/bin/python scripts/bench_import.py --reimport "
        f"--rounds {args.rounds}` (one scratch database: the same re-import with the two triggers "
        "enabled and disabled, alternating, in the same run): "
        + "; ".join(lines[:-2]) + "; " + lines[-1] + ". Wall times move by several seconds from "
        "round to round on this shared machine; the backend's CPU moves less. A first import (the "
        "benchmark above, 2026-12-06 at load 10–11) showed no change either way: that path runs no "
        "trigger."
    )
    pattern = re.compile(rf"^{re.escape(HISTORY_PARAGRAPH)}.*$", re.M)
    if not pattern.search(text):
        raise SystemExit(f"no paragraph starting {HISTORY_PARAGRAPH!r} in {doc}")
    doc.write_text(pattern.sub(lambda _: paragraph, text, count=1))
    print(f"written to {doc.relative_to(ROOT)}")


CITY_TABLES = "cim_building, cim_roadsegment, cim_roadnode, cim_servicepoint"


def import_once(pbf) -> tuple[float, float, float]:
    """``import_osm pbf`` into emptied city tables, in this (set-up) Django
    process: wall seconds, client CPU (this process and the reading process it
    forks, reaped by then) and the database backend's CPU."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {CITY_TABLES} CASCADE")
        cur.execute("SELECT pg_backend_pid()")
        backend_pid = cur.fetchone()[0]
    backend, client = _cpu_seconds(backend_pid), _own_and_children_cpu()
    started = time.perf_counter()
    call_command("import_osm", str(pbf), "--no-progress", verbosity=0)
    wall = time.perf_counter() - started
    return wall, _own_and_children_cpu() - client, _cpu_seconds(backend_pid) - backend


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_and_children_cpu() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _median(values) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")


def _quartiles(values: list[float]) -> str:
    values = sorted(values)
    return f"{values[len(values) // 4]:.2f}–{values[(3 * len(values)) // 4]:.2f}×" if values else "n/a"


def _run_ogr2ogr(cmd: list[str], watch_url: str) -> tuple[float, float, float]:
    """Wall time, client CPU and backend CPU of one ogr2ogr run (its backend
    is found by application name and sampled until it ends)."""
    import resource

    import psycopg

    env = {**os.environ, "PGAPPNAME": f"cim_bench_ogr2ogr_{os.getpid()}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    backend: dict[int, float] = {}
    with psycopg.connect(watch_url, autocommit=True) as watcher:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            for (pid,) in watcher.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                          [env["PGAPPNAME"]]).fetchall():
                seconds = _cpu_seconds(pid)
                if seconds:
                    backend[pid] = seconds
            time.sleep(0.02)
        wall = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"ogr2ogr failed ({proc.returncode}): {' '.join(cmd)}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, client, sum(backend.values())


def _runtime_database_url() -> str:
    env = ROOT / "var" / "runtime.env"
    if env.exists():
        for line in env.read_text().splitlines():
            if line.startswith("DATABASE_URL="):
                return line.split("=", 1)[1].strip()
    return "postgis://postgres@127.0.0.1:5432/tianshui_cim"


def _write_doc(lines: list[str], ours: list[float], theirs: list[float], args) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    cpu = platform.processor() or platform.machine()
    history = re.search(rf"^{re.escape(HISTORY_PARAGRAPH)}.*$", text, re.M)
    body = "\n".join([
        SECTION,
        "",
        f"Command: `.venv/bin/python scripts/bench_import.py --rounds {args.rounds} --repeat {args.repeat}` "
        "(DATABASE_URL picks the server; two scratch databases are created and dropped).",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores, {cpu}), "
        "with the load average before and after in the figures below (absolute times move with "
        "it; the ratio is taken from the same run).",
        "",
        "```",
        *lines,
        "all rounds (s): ogr2ogr " + ", ".join(f"{t:.2f}" for t in theirs)
        + "; import_osm " + ", ".join(f"{t:.2f}" for t in ours),
        "```",
        "",
        "ogr2ogr loads raw OSM features (points, lines, multipolygons, other relations) with their "
        "tags into fresh tables with one spatial index each; import_osm in addition checks every "
        "footprint (GEOS), derives height, floors and use, cuts highways at junctions into a routing "
        "graph with geodesic lengths, speeds and one-way rules, loads service points, sets admin areas "
        "and base elevations when there are any, writes into the platform's tables keyed by (source, "
        "source_id) (five indexes on buildings) with every foreign key, unique key and check "
        "constraint live, and records the import run, rejections and audit row. The file is read in "
        "a forked process (started before the import is recorded; nodes, then ways, in one pass); in "
        "this process a receiving thread only takes its batches off the pipe, and the thread that "
        "owns Django's connection checks each batch of 2,048 buildings and has PostgreSQL copy it, so "
        "reading, checking and loading use both cores; the client CPU above includes the reading "
        "process.",
        "",
        "Integrity (issue 11, point 7): until 2026-12-06 the first import of a source COPYed its rows "
        "with PostgreSQL's foreign-key triggers switched off (`session_replication_role = replica`, as "
        "superuser), on Django's connection borrowed by a loader thread; the 1.41× of 2026-11-27 was "
        "measured that way. Nothing is switched off now. The import-run reference of buildings, road "
        "nodes and segments, service points and waterways is no foreign-key constraint any more (whose "
        "trigger ran a query and took a row lock for each of the 33,000 rows, ≈ 8 µs a row) but "
        "statement triggers with transition tables (migration `cim/0006_import_provenance`): after each "
        "INSERT, COPY or UPDATE PostgreSQL looks up, and locks against deletion (FOR KEY SHARE, as a "
        "foreign key does), the distinct runs the statement wrote, in one query, and refuses a run that "
        "does not exist (SQLSTATE 23503, naming `import_run_id`); deleting or truncating runs that rows "
        "still name, or changing a run's id, is refused too "
        "(`tests/cim/test_import_common.py`: a dangling run is refused on every load path and for every "
        "writer). Paired A/B runs, the same code with the foreign keys against the statement triggers "
        "(imports alternating, median per import): at load ≈ 2, 8 + 8 imports, backend CPU 0.44 → 0.33 s, "
        "wall time best 0.88×, median of the pairs 0.91×; at load 8–9, 12 + 12 imports, backend CPU "
        "0.52 → 0.41 s (wall time not readable at that load: pairs 1.00×); with no check at all "
        "(keys dropped, for comparison only), load ≈ 2: backend 0.43 → 0.32 s, best 0.83×, pairs 0.84×. "
        "So the statement checks cost ≈ 0.01 s of the 0.11 s the per-row keys cost; the client's CPU "
        "is unchanged (≈ 0.6–0.8 s). "
        "The admin-area key (NULL on a first import) stays a foreign key: it costs nothing "
        "measurable (paired 8 + 8 imports with and without it, load 11: backend CPU 0.39 s either "
        "way). The segment → node keys, "
        "whose two tables a first import holds empty and alone, are dropped and added back after the "
        "COPY, so that PostgreSQL checks the whole graph in one query (paired A/B, 8+8 rounds: best "
        "0.85×, median 0.92× of checking them row by row).",
        "",
        # the History paragraph is written by --reimport: kept as it is
        *([history.group(0), ""] if history else []),
        "How the figures vary: the ratio is the best import over the best ogr2ogr of the same run, "
        "so a steady load cancels out to first order, but the import uses both cores (reading "
        "process, loading thread, PostgreSQL backend) and ogr2ogr about one, so other sessions' load "
        "hurts the import more: on this shared machine the block ratios of one run spread by up to "
        "0.4× when the load average is 4–7 (e.g. 1.45×, 1.50×, 1.89×), against 0.02× at load ≈ 1 "
        "(2026-11-27: 1.39–1.41×). The import measured 1.56× (blocks 1.51–1.59×, load 0.8 → 4.3) "
        "before this change and, after it, 1.50× (blocks 1.45–1.89×, load 5.2 → 4.5) and 1.96× "
        "(blocks 1.96–2.13×, load 6.2 → 6.9), on 2026-12-06; the median of the per-round ratios, "
        "steadier, was 1.51× before (load 0.8 → 4.3) and 1.56×, 1.98× and 2.02× after (loads 5, 6–7, "
        "4–5). "
        "This stop (2026-12-06, after the statement checks): the previous code measured 1.73× "
        "(blocks 1.52–2.18×, per-round median 1.80×, load 0.8 → 1.7; CPU import 0.79 + 0.54 s, "
        "ogr2ogr 0.37 + 0.29 s) and this code 1.59× (blocks 0.91–2.60×, load 7.1 → 8.4; CPU 0.72 + "
        "0.37 s) and 1.77× (blocks 1.64–1.87×, load 11.4 → 9.3; CPU 0.75 + 0.37 s): the backend's "
        "CPU per import went from 0.54 to 0.37 s, but no idle machine was available to read the "
        "ratio, and the import's CPU (≈ 1.1 s) is still 1.8× ogr2ogr's (≈ 0.63 s): on two cores "
        "the ratio rests on overlapping reading and loading, which a loaded machine prevents. "
        "The ≤ 1.35× target is not shown to be met. "
        "Compare figures only at a similar load, and read the CPU seconds, which move less.",
        "",
        "Where the time goes (timeline of one import, 2026-11-27, before the integrity change): the "
        "first building batch is loaded after ≈ 0.13 s (all nodes come first in a PBF); the reading "
        "process has read the file at ≈ 0.40–0.47 s, with the loading keeping pace; then ≈ 0.21–0.25 s "
        "of work that can only start once the file is read, all on the import's one connection (the "
        "import is one transaction): the last batches, ≈ 0.03 s; the deferred indexes of "
        "`cim_building` (footprint GiST, use, admin area), ≈ 0.09 s, built while the reading process "
        "cuts the road graph; the road graph COPYed, ≈ 0.065 s; the road tables' deferred indexes, "
        "≈ 0.03 s (now also the segment → node keys); service points, the run's record and the commit, "
        "≈ 0.02 s. Changes since "
        "2.44×: one pass for nodes and ways; the reader in its own process; the cyclic garbage "
        "collector paused while reading; no spatial index on building centroids, which no query used, "
        "and none on the records' import run, read only by the per-run placement counts (one scan); "
        "creation and update times from the database's default (the transaction's time) instead of "
        "two parsed timestamps per row; source ids compared byte by byte (collation \"C\") in the "
        "(source, source_id) keys; the multipolygon buildings sent before the road graph is cut, so "
        "that the buildings' indexes are built meanwhile; the reading process forked before the "
        "import is recorded. Tried and measured with no gain (paired A/B runs): checking footprints "
        "in the receiving thread instead of the loading thread (+0.05 s: three busy threads on two "
        "cores); a second reading process for the road graph; the road graph read in a pass of its "
        "own before the buildings; the road COPY text written beside the loader; keeping the b-tree "
        "indexes live during the load; the building relations read by a process of their own; "
        "`maintenance_work_mem` 256 MB for the deferred index builds (backend CPU 0.465 → 0.480 s); "
        "checking the next building batch in a second thread (no database) while PostgreSQL copies the "
        "previous one (paired, 10 + 10 rounds at load 6: best 0.81×, median of the pairs 1.00×). "
        "Not done, though it would save most of the row-by-row key checks: dropping and re-adding the "
        "keys to `cim_importrun` and `cim_adminarea` too, which takes those tables' ACCESS EXCLUSIVE "
        "lock until the import commits (every reader of import runs or admin areas would wait, and "
        "two imports could deadlock).",
        "",
        "",
    ])
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |^<!-- |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: body, text)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
    print(f"written to {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
