"""Benchmark the 3D Tiles build against the floor of merely reading the data.

    DATABASE_URL=postgis://…/tiles_bench .venv/bin/python scripts/bench_tiles.py
    … scripts/bench_tiles.py --rounds 3 --write     # and update docs/benchmarks.md

Needs a database holding the full demo city (``manage.py build_demo_city``,
≥ 60,000 buildings; the script refuses fewer).  In one process, round after
round, it times

* the floor: ``COPY (SELECT ST_AsBinary(footprint), centroid, height, floors,
  use, year, name, admin code and name, lod, base, solid …) TO STDOUT (FORMAT
  binary)`` written to a file: reading the same buildings out of PostGIS and
  writing that many bytes, nothing else;
* the whole build: ``tiles_build(full=True)`` into a scratch folder (read,
  ground sampling, meshes, quadtree, glb + gzip, tileset.json, manifest,
  atomic publish), after one warm-up build so that the DEM grid and the geoid
  grid are loaded as in a long-running process;

then an incremental rebuild after editing one building (restored afterwards).
Reported: wall seconds, CPU seconds of this process (with the workers a
full build forks) and of its PostgreSQL backend (less sensitive to other
load on a shared machine), buildings per second, bytes per building raw and
gzipped, and the build/floor ratio (target ≤ 8×).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- tiles:start -->", "<!-- tiles:end -->"
REPORT_START, REPORT_END = "<!-- tiles-report:start -->", "<!-- tiles-report:end -->"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from cim.models import Building, DemRaster  # noqa: E402
from cim.services.buildings import building_update  # noqa: E402
from cim.services.terrain_tiles import terrain_build  # noqa: E402
from cim.services.tiles import tiles_build  # noqa: E402

FLOOR_SQL = (
    "COPY (SELECT b.id, ST_AsBinary(b.footprint), ST_AsBinary(b.centroid), b.height, b.floors, b.use, "
    "b.year_built, b.name, a.code, a.name, b.lod, b.base_elevation, b.solid "
    "FROM cim_building b LEFT JOIN cim_adminarea a ON a.id = b.admin_area_id) TO STDOUT (FORMAT binary)")
TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the
    forked workers of a full build)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(fn):
    """(wall s, CPU s of this process and its workers, backend CPU s, result)."""
    b0, c0, w0 = backend_cpu(), own_cpu(), time.perf_counter()
    out = fn()
    return time.perf_counter() - w0, own_cpu() - c0, backend_cpu() - b0, out


def floor(path: Path) -> int:
    size = 0
    with connection.cursor() as cur, cur.connection.cursor() as raw:
        with raw.copy(FLOOR_SQL) as copy, open(path, "wb") as fh:
            for block in copy:
                fh.write(block)
                size += len(block)
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-buildings", type=int, default=60_000)
    parser.add_argument("--write", action="store_true",
                        help="update the 3D Tiles section of docs/benchmarks.md")
    parser.add_argument("--terrain", action="store_true",
                        help="also time build_terrain (levels 0–13) over the registered DEMs")
    args = parser.parse_args()

    n = Building.objects.count()
    if n < args.min_buildings:
        print(f"only {n:,} buildings in {connection.settings_dict['NAME']}; load the demo city first "
              f"(manage.py build_demo_city) or lower --min-buildings", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench_tiles_"))
    out = scratch / "media" / "tiles"
    load = os.getloadavg()[0]
    try:
        tiles_build(full=True, out_dir=out)  # warm-up: DEM grid, geoid grid, imports
        floors, builds = [], []
        for r in range(args.rounds):
            fw, fc, fb, fbytes = measure(lambda: floor(scratch / "floor.bin"))
            bw, bc, bb, result = measure(lambda: tiles_build(full=True, out_dir=out))
            floors.append((fw, fc, fb))
            builds.append((bw, bc, bb))
            print(f"round {r + 1}: floor {fw:.2f} s, build {bw:.2f} s ({bw / fw:.1f}×)", file=sys.stderr)
        # Incremental: one building edited, then put back.
        target = Building.objects.order_by("id")[n // 2]
        height = target.height
        building_update(building=target, data={"height": height + 7.0}, by="bench", reason="benchmark edit")
        iw, ic, ib, inc = measure(lambda: tiles_build(out_dir=out))
        building_update(building=target, data={"height": height}, by="bench", reason="benchmark edit undone")
        tiles_build(out_dir=out)
        terrain = None
        if args.terrain:
            tw, tc, _tb, terrain = measure(lambda: terrain_build(out_dir=scratch / "media" / "terrain"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()[0]

    fw = min(f[0] for f in floors)
    bw = min(b[0] for b in builds)
    med_ratio = statistics.median(b[0] / f[0] for b, f in zip(builds, floors, strict=True))
    fcpu = statistics.median(f[1] + f[2] for f in floors)
    bcpu = statistics.median(b[1] + b[2] for b in builds)
    lines = [
        f"buildings: {result.buildings:,} in {result.tiles} tiles (database "
        f"{connection.settings_dict['NAME']}); best of {args.rounds}",
        f"floor (COPY … TO STDOUT binary → file, {fbytes / 1e6:.1f} MB): {fw:.2f} s",
        f"build_tiles --full: {bw:.2f} s = {result.buildings / bw:,.0f} buildings/s",
        f"ratio build / floor: {bw / fw:.1f}× best, {med_ratio:.1f}× median of rounds (target ≤ 8×)",
        f"bytes per building: {result.bytes / result.buildings:.0f} raw, "
        f"{result.gzip_bytes / result.buildings:.0f} gzipped (targets ≤ 600 / ≤ 250); "
        f"{result.bytes / 1e6:.1f} MB raw, {result.gzip_bytes / 1e6:.1f} MB gzipped in all",
        f"CPU seconds (this process + its workers + its PostgreSQL backend), median: floor {fcpu:.2f}, "
        f"build {bcpu:.2f}"
        f" ({bcpu / fcpu:.1f}×)",
        f"incremental, one building edited: {iw:.2f} s, {inc.tiles_written} tile re-encoded of "
        f"{inc.tiles} (mode {inc.mode})",
        *([f"build_terrain, levels 0–{terrain.levels - 1} over {DemRaster.objects.count()} DEM(s): "
           f"{terrain.tiles} tiles, {terrain.bytes / 1e6:.1f} MB gzipped, {tw:.2f} s ({tc:.2f} CPU s)"]
          if terrain else []),
        f"all rounds (s): floor {', '.join(f'{f[0]:.2f}' for f in floors)}; build "
        f"{', '.join(f'{b[0]:.2f}' for b in builds)}",
        f"machine: {os.cpu_count()} cores {platform.machine()}, load average (1 min) before/after: "
        f"{load:.1f} / {load_after:.1f}",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_doc(report)
    return 0


def write_doc(report: str) -> None:
    """Put this run's report into the 3D Tiles section of docs/benchmarks.md
    (between its report markers; the narrative and the table of runs around
    it are written by hand)."""
    block = (f"{REPORT_START}\nLatest run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}:\n\n"
             f"```\n{report}\n```\n{REPORT_END}")
    text = DOC.read_text()
    if REPORT_START in text and REPORT_END in text:
        text = text[:text.index(REPORT_START)] + block + text[text.index(REPORT_END) + len(REPORT_END):]
    elif START in text and END in text:
        text = text[:text.index(END)] + block + "\n" + text[text.index(END):]
    else:
        text = text.rstrip() + f"\n\n{START}\n## 3D Tiles\n\n{block}\n{END}\n"
    DOC.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
