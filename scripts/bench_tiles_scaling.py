#!/usr/bin/env python
"""Scaling of a full 3D Tiles build over Celery workers (issue 15 §2).

A ``tiles.build`` job (``full``, ``shares``) is submitted as the back office does;
one worker takes it and coordinates (and builds shares itself), the others take
``cim.tiles_part`` tasks.  Each worker is a prefork worker of concurrency 1 on a
queue of this run, with its own tiles folder (the demo's published tiles are left
alone).  Measured: the job's own time (``result.seconds``) and the wall time from
submission to the end, for 1 and 2 workers on the demo city, and for 2 workers on
a generated city of about 500,000 buildings (the demo city copied onto a 3 × 3
grid of offsets, in a scratch database made from the demo's).

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/tianshui_cim \\
      .venv/bin/python scripts/bench_tiles_scaling.py [--rounds 2] [--big 9] [--shares 8]

Run it on an idle machine; the figures go to stdout for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


def _libpq(url: str, dbname: str | None = None) -> str:
    u = urlparse(url)
    return f"postgresql://{u.username or 'postgres'}@{u.hostname or '127.0.0.1'}:{u.port or 5432}/" + (
        dbname or u.path.lstrip("/"))


class Workers:
    """``count`` Celery workers (prefork, concurrency 1) on a queue of their own."""

    def __init__(self, count: int, database_url: str, media: Path, queue: str):
        self.count, self.media, self.queue = count, media, queue
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev",
                    "DATABASE_URL": database_url, "CIM_MEDIA_ROOT": str(media), "CELERY_QUEUE": queue,
                    "PYTHONPATH": str(ROOT)}
        self.procs: list[subprocess.Popen] = []
        self.logs = [media / f"worker-{k}.log" for k in range(count)]

    def __enter__(self) -> Workers:
        for k, log in enumerate(self.logs):
            log.write_text("")
            self.procs.append(subprocess.Popen(
                [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "-Q", self.queue,
                 "--concurrency", "1", "-n", f"scaling-{k}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip",
                 "--without-mingle", "-l", "info"], cwd=ROOT, env=self.env, stdout=log.open("a"),
                stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 120
        while not all(" ready." in log.read_text() for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise SystemExit("workers did not start:\n"
                                 + "\n".join(lg.read_text()[-1500:] for lg in self.logs))
            time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)

    def parts_built(self) -> list[int]:
        return [log.read_text().count("'built'") for log in self.logs]


def run_job(database_url: str, queue: str, shares: int) -> tuple[float, float]:
    """Submit a tiles.build job from a fresh interpreter bound to ``database_url``
    and ``queue``; (job seconds, wall seconds)."""
    code = f"""
import django, os, time, json
django.setup()
from django.contrib.auth.models import Group, User
from cim import roles
from cim.models import Job
from cim.services.jobs import job_submit
admin, _ = User.objects.get_or_create(username="bench_scaling")
admin.groups.add(Group.objects.get_or_create(name=roles.ADMIN)[0])
t = time.perf_counter()
job = job_submit(kind="tiles.build", params={{"full": True, "shares": {shares}}}, by=admin)
while True:
    job.refresh_from_db()
    if job.status in ("succeeded", "failed", "cancelled"):
        break
    time.sleep(0.05)
wall = time.perf_counter() - t
if job.status != "succeeded":
    raise SystemExit(f"job {{job.status}}: {{job.error[-2000:]}}")
print(json.dumps({{"seconds": job.result["seconds"], "wall": wall, "buildings": job.result["buildings"]}}))
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": database_url,
           "CELERY_QUEUE": queue, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:] + out.stdout[-2000:])
    import json

    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["wall"], data["buildings"]


def measure(label: str, database_url: str, workers: int, shares: int, rounds: int) -> dict:
    media = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    # the registered DEMs are read from the demo's media folder; the tiles go here
    demo_media = Path(os.environ.get("CIM_MEDIA_ROOT", ROOT / "media"))
    (media / "dem").symlink_to(demo_media / "dem", target_is_directory=True)
    queue = f"bench-scaling-{uuid.uuid4().hex[:8]}"
    try:
        with Workers(workers, database_url, media, queue) as w:
            run_job(database_url, queue, shares)  # warm-up: DEM grids, imports, first connections
            times = [run_job(database_url, queue, shares) for _ in range(rounds)]
            built = w.parts_built()
    finally:
        shutil.rmtree(media, ignore_errors=True)
    seconds = [t[0] for t in times]
    row = {"label": label, "workers": workers, "shares": shares, "buildings": times[0][2],
           "best": min(seconds), "median": statistics.median(seconds), "wall": min(t[1] for t in times),
           "parts_built_by_workers": built, "load": os.getloadavg()[0]}
    print(f"{label:34} workers={workers} shares={shares} buildings={row['buildings']:,} "
          f"job best {row['best']:.2f} s median {row['median']:.2f} s, wall {row['wall']:.2f} s, "
          f"shares built by each worker (incl. warm-up) {built}, load {row['load']:.1f}", flush=True)
    return row


def make_big(source_url: str, factor: int) -> str:
    """A scratch copy of the demo database with its buildings copied onto a grid of
    offsets (``factor`` copies in all, 9 → ≈ 570,000 buildings)."""
    name = f"bench_scaling_{uuid.uuid4().hex[:6]}"
    src = urlparse(source_url).path.lstrip("/")
    psql(_libpq(source_url, "postgres"), f'CREATE DATABASE "{name}" TEMPLATE "{src}"')
    url = _libpq(source_url, name)
    side = int(round(factor ** 0.5))
    offsets = [(i, j) for i in range(side) for j in range(side) if (i, j) != (0, 0)][: factor - 1]
    for i, j in offsets:
        psql(url, f"""
INSERT INTO cim_building (source, source_id, synthetic, name, footprint, centroid, height,
                          height_source, floors, use, year_built, base_elevation, lod, solid, tags,
                          admin_area_id, import_run_id)
SELECT source, source_id || ':{i}:{j}', synthetic, name,
       ST_Translate(footprint, {i} * 0.5, {j} * 0.12), ST_Translate(centroid, {i} * 0.5, {j} * 0.12),
       height, height_source, floors, use, year_built, base_elevation, lod, NULL, tags, admin_area_id, NULL
FROM cim_building WHERE position(':' in source_id) = 0""")
    psql(url, "ANALYZE cim_building")
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--shares", type=int, default=8)
    ap.add_argument("--big", type=int, default=9,
                    help="copies of the demo city in the generated one (0: skip)")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/tianshui_cim")
    print(f"machine: {os.cpu_count()} cores; load before {os.getloadavg()[0]:.1f}")
    one = measure("demo city, 1 worker", url, 1, args.shares, args.rounds)
    two = measure("demo city, 2 workers", url, 2, args.shares, args.rounds)
    print(f"speed-up 1 → 2 workers: {one['best'] / two['best']:.2f}× (job time, best of {args.rounds})")
    if args.big:
        big = make_big(url, args.big)
        try:
            b = measure(f"generated city ×{args.big}, 2 workers", "postgis" + big[len("postgresql"):], 2,
                        args.shares * 2, 1)
            print(f"generated city: {b['buildings'] / b['best']:,.0f} buildings/s "
                  f"(demo city on 2 workers: {two['buildings'] / two['best']:,.0f} buildings/s)")
        finally:
            psql(_libpq(url, "postgres"), f'DROP DATABASE IF EXISTS "{urlparse(big).path.lstrip("/")}" '
                                          "WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
