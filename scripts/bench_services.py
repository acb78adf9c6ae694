#!/usr/bin/env python
"""Open services against a reference implementation (issue 16 §3).

1. A 1,000-feature page of buildings as GeoJSON from our OGC API – Features
   (``/ogc/collections/buildings/items?limit=1000&offset=…``) against **pygeoapi**
   serving the same PostGIS table (``cim_building``, the same properties) on the same
   server stack — gunicorn with the same workers and threads — in the same run, with
   ``wrk`` (2 threads, 8 connections) over random offsets.  Target: ≥ 2× its
   requests/s.
2. Vector tiles at zoom 14 over the city centre, each fetched once (uncached) from
   our server: p95 latency.  Target: < 50 ms.

pygeoapi is a benchmark-only dependency: it is installed on first use into its own
virtual environment (``var/bench/pygeoapi-venv``, pinned versions below), never
into the platform's.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/tianshui_cim \\
      .venv/bin/python scripts/bench_services.py [--duration 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "var" / "bench" / "pygeoapi-venv"
PYGEOAPI = [
    "pygeoapi==0.21.0",
    "gunicorn==27.0.1",
    "psycopg2-binary==2.9.13",
    "SQLAlchemy==2.1.9",
    "GeoAlchemy2==0.20.0",
]
PROPERTIES = ["name", "use", "height", "floors", "year_built", "lod", "base_elevation", "source", "synthetic"]
WORKERS, THREADS = "2", "1"


def _pygeoapi_venv() -> Path:
    if not (VENV / "bin" / "pygeoapi").exists():
        print("installing pygeoapi into", VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PYGEOAPI], check=True)
    return VENV


def _config(url: str, port: int, folder: Path) -> tuple[Path, Path]:
    u = urlparse(url)
    config = folder / "pygeoapi.yml"
    props = "\n".join(f"            - {p}" for p in PROPERTIES)
    config.write_text(f"""
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png", attribution: none}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme,
                    terms_of_service: none, url: http://127.0.0.1}}
  license: {{name: none, url: http://127.0.0.1}}
  provider: {{name: bench, url: http://127.0.0.1}}
  contact: {{name: bench}}
resources:
  buildings:
    type: collection
    title: buildings
    description: buildings
    keywords: [buildings]
    extents:
      spatial: {{bbox: [-180, -90, 180, 90], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data:
          host: {u.hostname or "127.0.0.1"}
          port: {u.port or 5432}
          dbname: {u.path.lstrip("/")}
          user: {u.username or "postgres"}
          search_path: [public]
        id_field: id
        table: cim_building
        geom_field: footprint
        properties:
{props}
""")
    openapi = folder / "openapi.yml"
    subprocess.run(
        [str(VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYGEOAPI_CONFIG": str(config)},
    )
    return config, openapi


def _serve(argv: list[str], env: dict, port: int, probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=30).read()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server on {port} did not start ({argv[0]})") from None
            time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


LUA = """
math.randomseed(%d)
local offsets = {%s}
request = function()
  return wrk.format("GET", "%s" .. offsets[math.random(#offsets)])
end
"""


def _wrk(base: str, path: str, offsets: list[int], duration: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(LUA % (random.randint(1, 10**6), ", ".join(map(str, offsets)), path))
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{duration}s", "-s", fh.name, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(fh.name)
    non2xx = 0
    for line in out.splitlines():
        if "Non-2xx" in line:
            non2xx = int(line.split(":")[1])
    if non2xx:
        raise SystemExit(f"{non2xx} answers were not 2xx from {base}{path}")
    return float(next(line.split(":")[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/tianshui_cim")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from cim.models import AdminArea, Building

    total = Building.objects.count()
    offsets = [random.randrange(0, max(1, total - 1000)) for _ in range(200)]
    _pygeoapi_venv()
    folder = Path(tempfile.mkdtemp(prefix="bench-services-"))
    ours_port, theirs_port = 8791, 8792
    config, openapi = _config(url, theirs_port, folder)
    settings_dir = folder / "settings"
    settings_dir.mkdir()
    (settings_dir / "bench_services_settings.py").write_text(
        f"from {os.environ['DJANGO_SETTINGS_MODULE']} import *  # noqa\nDEBUG = False\n"
        "REST_FRAMEWORK = {**REST_FRAMEWORK, 'DEFAULT_THROTTLE_RATES': "
        "{**REST_FRAMEWORK.get('DEFAULT_THROTTLE_RATES', {}), 'public': '1000000/s'}}\n"
    )
    ours_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_services_settings",
        "PYTHONPATH": os.pathsep.join([str(settings_dir), str(ROOT)]),
    }
    theirs_env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    gunicorn = ["-w", WORKERS, "--threads", THREADS, "--log-level", "warning"]
    ours = _serve(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{ours_port}",
            *gunicorn,
        ],
        ours_env,
        ours_port,
        "/ogc/collections/buildings/items?limit=1",
    )
    theirs = _serve(
        [
            str(VENV / "bin" / "gunicorn"),
            "pygeoapi.flask_app:APP",
            "-b",
            f"127.0.0.1:{theirs_port}",
            *gunicorn,
        ],
        theirs_env,
        theirs_port,
        "/collections/buildings/items?limit=1&f=json",
    )
    try:
        # the same answer size: both pages hold 1,000 features with the same properties
        a = urllib.request.urlopen(
            f"http://127.0.0.1:{ours_port}/ogc/collections/buildings/items?limit=1000&offset={offsets[0]}"
        ).read()
        b = urllib.request.urlopen(
            f"http://127.0.0.1:{theirs_port}/collections/buildings/items"
            f"?f=json&limit=1000&offset={offsets[0]}"
        ).read()
        print(f"one page: ours {len(a):,} bytes, pygeoapi {len(b):,} bytes")
        rounds = []
        for _ in range(args.rounds):
            load = os.getloadavg()[0]
            r_theirs = _wrk(
                f"http://127.0.0.1:{theirs_port}",
                "/collections/buildings/items?f=json&limit=1000&offset=",
                offsets,
                args.duration,
            )
            r_ours = _wrk(
                f"http://127.0.0.1:{ours_port}",
                "/ogc/collections/buildings/items?limit=1000&offset=",
                offsets,
                args.duration,
            )
            rounds.append((r_ours, r_theirs, load))
            print(
                f"round: ours {r_ours:.1f} req/s, pygeoapi {r_theirs:.1f} req/s, "
                f"ratio {r_ours / r_theirs:.2f}× (load {load:.1f})",
                flush=True,
            )
        ratios = [o / t for o, t, _ in rounds]
        print(
            f"1,000-building GeoJSON page, gunicorn -w {WORKERS} --threads {THREADS}, wrk -t2 -c8: "
            f"ratio ours / pygeoapi {', '.join(f'{r:.2f}' for r in ratios)} (target ≥ 2) → "
            f"{'MET' if min(ratios) >= 2 else 'NOT MET'}"
        )
        # vector tiles, zoom 14, over the city centre: every tile of a 6 × 6 block once
        box = AdminArea.objects.filter(level="district").first()
        lon, lat = (box.boundary.centroid.x, box.boundary.centroid.y) if box else (105.72, 34.58)
        cx, cy = _tile_xy(lon, lat, 14)
        times = []
        for x in range(cx - 3, cx + 3):
            for y in range(cy - 3, cy + 3):
                t = time.perf_counter()
                urllib.request.urlopen(f"http://127.0.0.1:{ours_port}/ogc/vector-tiles/14/{x}/{y}.mvt").read()
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"vector tiles z14 around ({lon:.4f}, {lat:.4f}), {len(times)} tiles once each: median "
            f"{statistics.median(times):.1f} ms, p95 {p95:.1f} ms (target < 50) → "
            f"{'MET' if p95 < 50 else 'NOT MET'}"
        )
        print(f"machine load (1 min): {os.getloadavg()[0]:.1f}")
    finally:
        _stop(ours)
        _stop(theirs)


if __name__ == "__main__":
    main()
