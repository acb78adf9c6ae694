"""Benchmark the full Tianshui demo build: time and database size.

    .venv/bin/python scripts/bench_demo.py            # measure and print
    .venv/bin/python scripts/bench_demo.py --write    # …and update docs/benchmarks.md

Creates a scratch database ``<name>_bench_demo`` on the server of
DATABASE_URL (migrated, then dropped at the end unless --keep), runs
``manage.py build_demo_city`` in a fresh process (as ``make demo`` does) into
the empty database, then a second run (which must find the city loaded and
change nothing), and reads the per-step timings and the sizes of the city
tables (``pg_total_relation_size``: data, indexes, TOAST).  Target: the full
build in under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- demo-city:start -->", "<!-- demo-city:end -->"
TARGET_S = 180.0


def run(args: list[str], env: dict) -> tuple[float, str, float]:
    """Wall-clock seconds, output and CPU seconds (user + system) of a manage.py run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed ({proc.returncode})")
    return elapsed, proc.stdout, cpu


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    runtime = ROOT / "var" / "runtime.env"
    if not url and runtime.exists():
        for line in runtime.read_text().splitlines():
            if line.startswith("DATABASE_URL="):
                url = line.split("=", 1)[1].strip()
    return url or "postgis://postgres@127.0.0.1:5432/tianshui_cim"


def libpq(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{dbname}", "", ""))


def scratch_database(url: str) -> tuple[str, str]:
    """(scratch DATABASE_URL, its name), created empty with the extensions."""
    import psycopg

    name = urlsplit(url).path.lstrip("/") + "_bench_demo"
    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(libpq(url, name), autocommit=True) as conn:
        for ext in ("postgis", "pg_trgm", "pgrouting"):
            try:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
            except psycopg.Error:
                if ext != "pgrouting":
                    raise
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")), name


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def read_stats(url: str) -> dict:
    import psycopg

    sys.path.insert(0, str(ROOT))
    tables = ["cim_building", "cim_roadnode", "cim_roadsegment", "cim_servicepoint",
              "cim_waterway", "cim_adminarea", "cim_demraster"]
    with psycopg.connect(libpq(url, urlsplit(url).path.lstrip("/"))) as conn:
        row = conn.execute("SELECT options, counts FROM cim_importrun WHERE kind = 'demo' "
                           "AND status = 'succeeded' ORDER BY id DESC LIMIT 1").fetchone()
        sizes = {t: int(conn.execute("SELECT pg_total_relation_size(%s::regclass)", [t]).fetchone()[0])
                 for t in tables}
        pg = conn.execute("SELECT version()").fetchone()[0].split(",")[0]
    return {"options": row[0], "counts": row[1], "sizes": sizes, "postgres": pg}


def markdown(*, build_s: float, build_cpu: float, again_s: float, force_s: float, stats: dict,
             seed: int, load: tuple) -> str:
    s = stats["options"]["stats"]
    counts = stats["counts"]
    total_mb = sum(stats["sizes"].values()) / 1e6
    from gis_data.demo.city import STEPS

    # jsonb does not keep the order of keys: put the steps back in run order.
    steps = ", ".join(f"{k} {s['timings_s'][k]:.1f}" for k in STEPS if k in s["timings_s"])
    load_order = ["delete previous demo", "divisions", "DEM", "waterways", "roads", "buildings",
                  "service points", "community areas"]
    load_steps = s.get("load_timings_s", {})
    lines = [
        START,
        "## Demo city",
        "",
        "Full build of the synthetic Tianshui demo city (`build_demo_city`, seed "
        f"{seed}, generator {stats['options']['version']}) into an empty, migrated PostGIS "
        "database, measured by",
        "",
        "    .venv/bin/python scripts/bench_demo.py --write",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, {stats['postgres']}, load average "
        f"at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (the cores are shared).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| full build, wall clock (fresh process, incl. Django start) | **{build_s:.1f} s** "
        f"(target < {TARGET_S:.0f} s: {'met' if build_s < TARGET_S else 'NOT met'}) |",
        f"| CPU time of the build process (user + system; PostgreSQL's own not included) "
        f"| {build_cpu:.1f} s |",
        f"| generation (pure Python/numpy/shapely) | {s['generate_s']:.1f} s |",
        f"| loading (one transaction, COPY) | {s['load_s']:.1f} s |",
        f"| second run (same seed: finds it loaded, changes nothing) | {again_s:.1f} s |",
        f"| `--force` rebuild (replaces the previous demo in one transaction) | {force_s:.1f} s |",
        f"| urban fabric | {s['fabric_km2']:.1f} km² ({s['fabric_land_km2']:.1f} km² land) |",
        f"| buildings | {counts['buildings']:,} |",
        f"| road segments / nodes | {counts['road_segments']:,} / {counts['road_nodes']:,} |",
        f"| community areas / street areas | {counts['community_areas']} / {counts['street_areas']} |",
        f"| service points | {counts['service_points']:,} |",
        f"| city tables on disk after the first build (`pg_total_relation_size`) "
        f"| **{total_mb:.1f} MB** |",
        "",
        "Generation steps (s): " + steps + ".",
        "",
        "Loading steps (s): " + ", ".join(f"{k} {load_steps[k]:.1f}" for k in load_order
                                          if k in load_steps) + ".",
        "",
        "Per table (data + indexes + TOAST): " + ", ".join(
            f"`{t}` {b / 1e6:.1f} MB" for t, b in stats["sizes"].items()) + ".",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        _, after = rest.split(END, 1)
        current = before + text.rstrip("\n") + after
    else:
        current = current.rstrip("\n") + "\n\n" + text
    DOC.write_text(current, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    from gis_data.demo import plan  # noqa: E402  (pure module)

    seed = plan.DEFAULT_SEED if args.seed is None else args.seed
    base = database_url()
    url, name = scratch_database(base)
    media = tempfile.mkdtemp(prefix="bench_demo_media_")
    env = dict(os.environ, DATABASE_URL=url, CIM_MEDIA_ROOT=media,
               DJANGO_SETTINGS_MODULE="config.settings.dev")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                       env=env, check=True)
        load = os.getloadavg()
        extra = ["--seed", str(seed)]
        build_s, out, build_cpu = run(["build_demo_city", *extra], env)
        print(out)
        again_s, out2, _ = run(["build_demo_city", *extra], env)
        if not re.search("已加载", out2):
            raise SystemExit("the second run did not find the city loaded")
        stats = read_stats(url)
        force_s, _, _ = run(["build_demo_city", "--force", *extra], env)
    finally:
        if not args.keep:
            drop_database(base, name)
        shutil.rmtree(media, ignore_errors=True)
    text = markdown(build_s=build_s, build_cpu=build_cpu, again_s=again_s, force_s=force_s,
                    stats=stats, seed=seed, load=load)
    print(text)
    if args.write:
        write_section(text)
        print(f"updated {DOC}")
    return 0 if build_s < TARGET_S else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
