#!/usr/bin/env python
"""Benchmark of the resident's scan page ``/P/<CODE>``.

Starts gunicorn on loopback with the database named by DATABASE_URL, by
default as the deployment runs it (``docker/gunicorn.conf.py``: 4 workers of
2 threads; ``--workers 2 --threads 1`` for the 2 sync workers of the earlier
figures), then runs wrk (50 connections) twice in the same run:

1. the baseline: a static file served by the same server (WhiteNoise),
2. the scan page, spread over up to 200 plates (a wrk Lua script picks a plate
   and a client address per request; the loopback proxy's X-Forwarded-For is
   trusted, so each request counts as a different resident and the per-client
   rate limit does not kick in).

Both send ``Accept-Encoding: gzip, deflate, br`` as phone browsers do (the
scan page is kept gzip-compressed and sent as it is; the static file is
small and served as it is either way).

Prints requests/s and p95 latency of both and the ratio, per round (``--rounds``
pairs, static and scan alternating).  Targets: scan page ≥ 0.6 × the static
throughput in every round, p95 < 30 ms.

    .venv/bin/python scripts/bench_scan.py [--duration 15] [--rounds 3] [--populate-grid 55]

``--populate-grid R`` first builds a synthetic R × R street grid (≈ 20·R²
buildings; 55 gives ≈ 60k) in an EMPTY database and times generate_addresses
and issue_plates on it (the demo city replaces this once it exists).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


def _django():
    import django

    django.setup()


def populate_grid(r: int) -> None:
    """A synthetic grid city: R × R named streets 150 m apart, five buildings
    on each side of every block edge, 100 communities, a few service points."""
    from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
    from django.core.management import call_command

    from cim.models import AdminArea, Building, RoadNode, RoadSegment, ServicePoint
    from cim.services.addresses import addresses_generate
    from cim.services.plates import plates_issue_bulk

    if Building.objects.exists():
        sys.exit("--populate-grid wants an empty database (buildings found)")
    lon0, lat0 = 105.70, 34.56
    dlon, dlat = 150 / (111320 * 0.8241), 150 / 110574
    t0 = time.perf_counter()
    city, _ = AdminArea.objects.get_or_create(code="620500", defaults={"name": "天水市", "level": "city"})
    span = (lon0 - dlon, lat0 - dlat, lon0 + r * dlon, lat0 + r * dlat)
    district = AdminArea.objects.create(code="620502", name="秦州区", level="district", parent=city,
                                        boundary=MultiPolygon(Polygon.from_bbox(span), srid=4326))
    n_side = 10
    sx, sy = (span[2] - span[0]) / n_side, (span[3] - span[1]) / n_side
    for i in range(n_side):
        street = AdminArea.objects.create(
            code=f"620502{i + 1:03d}", name=f"第{i + 1}街道", level="street", parent=district,
            boundary=MultiPolygon(Polygon.from_bbox((span[0] + i * sx, span[1], span[0] + (i + 1) * sx,
                                                     span[3])), srid=4326))
        for j in range(n_side):
            AdminArea.objects.create(
                code=f"620502{i + 1:03d}{j + 1:03d}", name=f"第{i + 1}-{j + 1}社区", level="community",
                parent=street, contact_phone=f"0938-82{i:02d}{j:02d}",
                boundary=MultiPolygon(Polygon.from_bbox((span[0] + i * sx, span[1] + j * sy,
                                                         span[0] + (i + 1) * sx,
                                                         span[1] + (j + 1) * sy)), srid=4326))
    nodes = {}
    for i in range(r):
        for j in range(r):
            nodes[i, j] = RoadNode(source="grid", source_id=f"{i},{j}",
                                   geom=Point(lon0 + i * dlon, lat0 + j * dlat, srid=4326))
    RoadNode.objects.bulk_create(nodes.values(), batch_size=5000)
    segs = []
    for i in range(r):
        for j in range(r):
            for di, dj, name in ((1, 0, f"东西{j + 1}路"), (0, 1, f"南北{i + 1}街")):
                if (i + di, j + dj) not in nodes:
                    continue
                a, b = nodes[i, j], nodes[i + di, j + dj]
                segs.append(RoadSegment(source="grid", source_id=f"{i},{j}-{di}{dj}", name=name,
                                        geom=LineString([a.geom.coords, b.geom.coords], srid=4326),
                                        from_node=a, to_node=b, speed_kmh=30, length_m=150,
                                        road_class="residential"))
    RoadSegment.objects.bulk_create(segs, batch_size=5000)
    rng = random.Random(1)
    buildings = []
    w, d = 22 / (111320 * 0.8241), 12 / 110574
    for i in range(r - 1):
        for j in range(r):
            for k in range(5):  # along the east-west street j, both sides
                x = lon0 + i * dlon + (k + 0.5) * dlon / 5.2
                for side in (1, -1):
                    y = lat0 + j * dlat + side * (14 / 110574) + (0 if side > 0 else -d)
                    poly = Polygon.from_bbox((x, y, x + w, y + d))
                    poly.srid = 4326
                    use = "residential" if rng.random() < 0.7 else "commercial"
                    buildings.append(Building(
                        source="grid", source_id=f"{i},{j},{k},{side}",
                        footprint=MultiPolygon(poly, srid=4326),
                        centroid=poly.centroid, height=3.0 * (f := rng.choice([3, 6, 6, 11, 18])), floors=f,
                        use=use, synthetic=True))
    for i in range(r):
        for j in range(r - 1):
            for k in range(5):  # along the north-south street i, both sides
                y = lat0 + j * dlat + (k + 0.5) * dlat / 5.2
                for side in (1, -1):
                    x = lon0 + i * dlon + side * (14 / (111320 * 0.8241)) + (0 if side > 0 else -d * 1.2)
                    poly = Polygon.from_bbox((x, y, x + d * 1.2, y + w / 1.2))
                    poly.srid = 4326
                    buildings.append(Building(
                        source="grid", source_id=f"v{i},{j},{k},{side}",
                        footprint=MultiPolygon(poly, srid=4326), centroid=poly.centroid,
                        height=9.0, floors=3, use="commercial", synthetic=True))
    Building.objects.bulk_create(buildings, batch_size=5000)
    for n, (i, j) in enumerate([(r // 4, r // 4), (r // 2, r // 2), (3 * r // 4, r // 4),
                                (r // 4, 3 * r // 4), (3 * r // 4, 3 * r // 4)]):
        for cat, name in (("gov_service_hall", "政务服务中心"), ("police_station", "派出所"),
                          ("community_centre", "社区服务中心")):
            ServicePoint.objects.create(source="grid", source_id=f"{cat}{n}", category=cat,
                                        name=f"第{n + 1}{name}",
                                        geom=Point(lon0 + (i + 0.3) * dlon, lat0 + (j + 0.4) * dlat,
                                                   srid=4326))
    print(f"grid city: {len(buildings)} buildings, {len(segs)} road segments "
          f"in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    s = addresses_generate(by="bench", progress=True)
    print(f"generate_addresses: {time.perf_counter() - t0:.1f} s — {s.doors_generated} doors, "
          f"{s.units} units, {s.rooms} rooms")
    t0 = time.perf_counter()
    n = plates_issue_bulk(by="bench", progress=True)
    print(f"issue_plates: {n} plates in {time.perf_counter() - t0:.1f} s")
    call_command("seed_service_items")


LUA = """
local codes = {%s}
request = function()
  local c = codes[math.random(#codes)]
  local ip = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("GET", "/P/" .. c, {["X-Forwarded-For"] = ip, ["Accept-Encoding"] = "gzip, deflate, br"})
end
"""

# the static file is asked with the same Accept-Encoding a phone sends
STATIC_LUA = """
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"
"""


DONE = """
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("P%d %d\\n", p, latency:percentile(p)))
  end
end
"""


TICKS = os.sysconf("SC_CLK_TCK")


def _server_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn master and its workers."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(master) or fields[1] == str(master):  # fields[1]: the parent pid
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def _redis_cpu() -> float:
    """CPU seconds of the Redis server so far (shared: other clients count too)."""
    from cim.services.plates import redis_client

    info = redis_client().info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _wrk(url: str, duration: int, script_body: str = "", *, server: int) -> dict:
    """One wrk run (2 threads, 50 connections); latency percentiles in ms
    from wrk's own histogram through a Lua ``done`` hook; CPU microseconds per
    request of the server's workers, of Redis and of wrk itself."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script_body + DONE)
    s0, r0, w0 = _server_cpu(server), _redis_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{duration}s", "-s", fh.name, url],
                         capture_output=True, text=True, check=True).stdout
    s1, r1, w1 = _server_cpu(server), _redis_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    pct = {int(p): int(us) / 1000.0 for p, us in re.findall(r"P(\d+) (\d+)", out)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    per = 1e6 / max(done, 1)
    return {"rps": rps, "p50": pct[50], "p95": pct[95], "p99": pct[99],
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "raw": out,
            "server_us": (s1 - s0) * per, "redis_us": (r1 - r0) * per,
            "wrk_us": (w1.ru_utime + w1.ru_stime - w0.ru_utime - w0.ru_stime) * per}


def _deployed_gunicorn() -> dict:
    """Workers and threads of the web service as shipped (docker/gunicorn.conf.py,
    with its environment defaults)."""
    text = (ROOT / "docker" / "gunicorn.conf.py").read_text()
    found = {}
    for key, var in (("workers", "CIM_WEB_WORKERS"), ("threads", "CIM_WEB_THREADS")):
        m = re.search(rf'^{key} = int\(os\.environ\.get\("{var}", "(\d+)"\)\)', text, re.M)
        if not m:
            sys.exit(f"docker/gunicorn.conf.py: no '{key}' setting read from {var}")
        found[key] = int(os.environ.get(var, m.group(1)))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=1, help="static/scan pairs, alternating")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--populate-grid", type=int, metavar="R")
    ap.add_argument("--scan-batch", type=float, metavar="S",
                    help='CIM["SCAN_BATCH_S"] of the server (default: the setting\'s; 0 = one Redis round '
                         "trip per scan, as before batching)")
    deployed = _deployed_gunicorn()
    ap.add_argument("--workers", type=int, default=deployed["workers"],
                    help=f"gunicorn workers (default {deployed['workers']}, as docker/gunicorn.conf.py)")
    ap.add_argument("--threads", type=int, default=deployed["threads"],
                    help=f"threads per worker (default {deployed['threads']}, as docker/gunicorn.conf.py; "
                         "1 = sync workers)")
    args = ap.parse_args()
    _django()
    if args.populate_grid:
        populate_grid(args.populate_grid)
    from cim.models import Plate

    plates = list(Plate.objects.filter(status__in=["issued", "installed"])
                  .order_by("?").values_list("code", flat=True)[:200])
    if not plates:
        sys.exit("no plates: build the demo city, run generate_addresses and issue_plates "
                 "(or pass --populate-grid 55 on an empty database)")
    # Serve as in production: DEBUG off and WhiteNoise's file index built once
    # (the dev settings re-scan the static folders on every request).
    settings_dir = tempfile.mkdtemp(prefix="bench_scan_")
    Path(settings_dir, "bench_scan_settings.py").write_text(
        f"from {os.environ['DJANGO_SETTINGS_MODULE']} import *  # noqa\n"
        "DEBUG = False\nWHITENOISE_AUTOREFRESH = False\nWHITENOISE_USE_FINDERS = True\n"
        # wrk plays a reverse proxy on loopback: its X-Forwarded-For is believed.
        "TRUSTED_PROXIES = ['127.0.0.1']\n"
        + (f"CIM = {{**CIM, 'SCAN_BATCH_S': {args.scan_batch!r}}}\n" if args.scan_batch is not None else ""))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_scan_settings",
           "PYTHONPATH": os.pathsep.join([settings_dir, str(ROOT)])}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "-w", str(args.workers),
         "--threads", str(args.threads), "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/static/plates/scan.css", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # warm every plate's page in both workers' Redis cache and the road graphs
        for code in plates:
            urllib.request.urlopen(urllib.request.Request(
                f"{base}/P/{code}", headers={"X-Forwarded-For": f"10.255.{random.randint(0, 255)}.1"}))
        script = LUA % ", ".join(f'"{c}"' for c in plates)
        rounds = []
        for _ in range(args.rounds):  # static and scan alternate, so both see the same neighbours
            load = os.getloadavg()[0]
            static = _wrk(f"{base}/static/plates/scan.css", args.duration, STATIC_LUA, server=server.pid)
            scan = _wrk(base, args.duration, script, server=server.pid)
            rounds.append((static, scan, load, os.getloadavg()[0]))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    from cim.conf import cim_settings

    batch = args.scan_batch if args.scan_batch is not None else cim_settings.SCAN_BATCH_S
    print(f"plates sampled: {len(plates)}; wrk -t2 -c50 -d{args.duration}s; "
          f"gunicorn -w {args.workers} --threads {args.threads}; SCAN_BATCH_S {batch:g}; "
          f"{os.cpu_count()} CPUs")
    print(f"{'':20}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
          f"{'load':>11}   CPU µs/request: server + Redis + wrk")
    for k, (static, scan, before, after) in enumerate(rounds, start=1):
        for name, r in ((f"{k}: static file", static), (f"{k}: scan page", scan)):
            print(f"{name:20}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p95']:>9.2f}{r['p99']:>9.2f}"
                  f"{r['non2xx']:>9}{before:>6.1f}→{after:.1f}   {r['server_us']:.0f} + "
                  f"{r['redis_us']:.0f} + {r['wrk_us']:.0f}")
    # What the ratio comes to when nothing else runs: the same work per request,
    # two cores shared by the server, Redis and wrk alone.
    cpu = [sum(r[k] for k in ("server_us", "redis_us", "wrk_us")) for pair in rounds for r in pair[:2]]
    cpu_ratios = [cpu[2 * k] / cpu[2 * k + 1] for k in range(len(rounds))]
    print(f"CPU per request static / scan (all processes of the test): "
          f"{', '.join(f'{r:.2f}' for r in cpu_ratios)}")
    ratios = [scan["rps"] / static["rps"] for static, scan, _b, _a in rounds]
    p95 = statistics.median(scan["p95"] for _s, scan, _b, _a in rounds)
    ratio = statistics.median(ratios)
    ok = min(ratios) >= 0.6 and p95 < 30
    print(f"scan/static throughput: {', '.join(f'{r:.2f}' for r in ratios)} (median {ratio:.2f}, "
          f"target ≥ 0.60); scan p95 median {p95:.1f} ms (target < 30) → {'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
