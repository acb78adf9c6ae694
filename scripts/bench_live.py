#!/usr/bin/env python
"""Live ingestion benchmark: AVL positions accepted per second and the delay
from a fix to a console showing it, with real servers on loopback.

    .venv/bin/python scripts/bench_live.py [--units 2000] [--consoles 50] [--rate 5000]
                                           [--seconds 20] [--batch 250] [--workers 2]

What runs (all real, all on this machine):

* a benchmark database (``--db``, created and migrated on first use on the
  server of ``DATABASE_URL``) with ``--units`` units of a synthetic agency;
* gunicorn (WSGI, ``--workers`` sync workers) serving
  ``POST /api/emergency/positions/`` and daphne (ASGI) serving
  ``/ws/ops/``, both with the production settings (``config.settings.prod``;
  requests carry ``X-Forwarded-Proto: https`` as behind the reverse proxy),
  and the real Redis channel layer;
* ``--consoles`` WebSocket consoles (the ``websockets`` client) in a
  separate process, signed in as a commander; ``--measure`` of them,
  spread over the connection order, decode every frame and record for each
  position the delay from its fix time (``at``, stamped just before the
  batch is posted) to its arrival; the others only receive;
* in this process, senders posting batches of ``--batch`` positions for the
  units in turn, signed in as a dispatcher (session + CSRF token).

Phases, with the consoles connected throughout:

1. ``rate``: open loop at ``--rate`` positions/s for ``--seconds``: accepted
   per second, HTTP latency, console delay p50/p95/p99, updates per unit per
   second seen by a console (coalescing: at most 4);
2. ``max``: closed loop, ``--senders`` concurrent senders, as fast as the
   server takes them: the throughput ceiling;
3. ``baseline``: one position per request, the unit endpoint of the
   emergency API (``POST /api/emergency/units/{id}/position/``: a batch of
   one through the same ingest path, plus the unit's row read back), closed
   loop with the same senders: positions per second, for the ratio.

The servers run with the per-user limit of position requests
(``EMERGENCY["POSITION_HTTP_RATE"]``, 6000/min by default) raised to
``--position-rate`` for the run, so that every phase measures what the
server can take, not the throttle (the senders share one account: the
baseline's one-position requests would otherwise be cut off at 100 a
second); a phase that still gets a 429 says so.

Prints a Markdown block for docs/benchmarks.md (figures, machine, load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from array import array
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(Path(sys.executable))
BIN = Path(sys.executable).parent
CENTRE = (105.724, 34.581)  # Tianshui, Qinzhou district


# ------------------------------------------------------------------ consoles
async def _console(url: str, cookie: str, origin: str, measure: bool, record, stats, ready, stop) -> None:
    import websockets

    try:
        import orjson
        loads = orjson.loads
    except ImportError:  # pragma: no cover
        loads = json.loads
    from datetime import datetime

    for attempt in range(5):  # a loaded server may drop a handshake; a real console retries too
        try:
            ws = await websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin},
                                          max_size=2**26, open_timeout=60, ping_interval=None)
            break
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            stats["retries"] = stats.get("retries", 0) + 1
            await asyncio.sleep(1 + attempt)
    else:
        raise RuntimeError("could not connect after 5 attempts")
    async with ws:
        while True:  # up to the snapshot
            message = loads(await ws.recv())
            if message.get("snapshot"):
                break
        ready()
        per_unit: dict[tuple[int, int], int] = {}
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                stats["closed"] = str(closed)
                break
            now = time.time()
            stats["frames"] += 1
            stats["bytes"] += len(frame)
            if not measure:
                continue
            message = loads(frame)
            if message.get("type") != "positions":
                continue
            second = int(now)
            for item in message["items"]:
                at = datetime.fromisoformat(item["at"]).timestamp()
                record.append(now)
                record.append(now - at)
                key = (item["unit"], second)
                per_unit[key] = per_unit.get(key, 0) + 1
        stats["max_per_unit_second"] = max(per_unit.values(), default=0)


def run_consoles(args) -> None:
    """The consoles process: connect, say READY, measure until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    measured = {round(k * (args.consoles - 1) / max(args.measure - 1, 1)) for k in range(args.measure)}
    records = [array("d") for _ in range(args.consoles)]
    stats = [{"frames": 0, "bytes": 0, "max_per_unit_second": 0} for _ in range(args.consoles)]
    connected = 0

    def ready():
        nonlocal connected
        connected += 1
        if connected == args.consoles:
            print("READY", flush=True)

    async def main():
        tasks = []
        for k in range(args.consoles):
            tasks.append(asyncio.create_task(_console(
                args.ws_url, args.cookie, args.origin, k in measured, records[k], stats[k], ready, stop)))
            await asyncio.sleep(0.05)
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, BaseException):
                print(f"console failed: {outcome!r}", file=sys.stderr, flush=True)

    asyncio.run(main())
    out = {"consoles": args.consoles, "measured": sorted(measured), "stats": stats,
           "samples": {str(k): records[k].tolist() for k in sorted(measured)}}
    Path(args.out).write_text(json.dumps(out))


# ------------------------------------------------------------------- helpers
def stop_all(procs: list[subprocess.Popen], timeout: float = 20.0) -> None:
    """SIGTERM to every server the benchmark started, SIGKILL to any still there after ``timeout``."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def wait_port(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing listens on {port} after {timeout} s")


def ensure_database(base_url: str, name: str) -> str:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(base_url)
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
    server = f"{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}"
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            with psycopg.connect(f"postgresql://{server}/{name}", autocommit=True) as db:
                for ext in ("postgis", "pg_trgm", "pgrouting"):
                    db.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    return f"postgis://{server}/{name}"


class Sender(threading.Thread):
    """Posts batches over one keep-alive connection; records each request."""

    def __init__(self, port, headers, make_body, path_of, pace, until, log):
        super().__init__(daemon=True)
        self.port, self.headers, self.make_body, self.path_of = port, headers, make_body, path_of
        self.pace, self.until, self.log = pace, until, log

    def run(self):
        conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        next_at = time.monotonic()
        while time.monotonic() < self.until:
            if self.pace:
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_at += self.pace
            path, body, count = self.make_body()
            started = time.monotonic()
            try:
                conn.request("POST", path, body=body, headers=self.headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except OSError:
                conn.close()
                conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
                status, data = 0, b""
            ended = time.monotonic()
            accepted = 0
            if status == 200:
                try:
                    accepted = json.loads(data).get("accepted", count)
                except ValueError:
                    accepted = count
            self.log.append((started, ended, status, count, accepted))
        conn.close()


def run_phase(name, *, senders, port, headers, make_body, pace, seconds, path_of=None):
    log: list[tuple] = []
    start = time.monotonic()
    until = start + seconds
    threads = [Sender(port, headers, make_body, path_of, pace, until, log) for _ in range(senders)]
    wall0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = max(e for _, e, *_ in log) - start if log else seconds
    ok = [r for r in log if r[2] == 200]
    return {
        "phase": name, "seconds": round(elapsed, 2), "requests": len(log),
        "errors": {str(s): sum(1 for r in log if r[2] == s) for s in {r[2] for r in log if r[2] != 200}},
        "accepted": sum(r[4] for r in ok),
        "accepted_per_s": round(sum(r[4] for r in ok) / elapsed, 1),
        "http_p50_ms": round(pct([(e - s) * 1000 for s, e, *_ in ok], 0.5), 1),
        "http_p95_ms": round(pct([(e - s) * 1000 for s, e, *_ in ok], 0.95), 1),
        "wall": (wall0, wall0 + elapsed),
    }


# ---------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", nargs="?", default="bench", choices=["bench", "consoles"])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--consoles", type=int, default=50)
    parser.add_argument("--measure", type=int, default=6)
    parser.add_argument("--rate", type=float, default=5000.0, help="positions per second in the rate phase")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--senders", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--baseline-seconds", type=float, default=8.0)
    parser.add_argument("--position-rate", default="1000000/s",
                        help="EMERGENCY['POSITION_HTTP_RATE'] of the servers for the run (DRF rate syntax)")
    parser.add_argument("--db", default="tianshui_bench_live")
    parser.add_argument("--http-port", type=int, default=8781)
    parser.add_argument("--ws-port", type=int, default=8782)
    parser.add_argument("--json", help="also write the figures here")
    # consoles role
    parser.add_argument("--ws-url")
    parser.add_argument("--cookie")
    parser.add_argument("--origin")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.role == "consoles":
        run_consoles(args)
        return

    base_url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/tianshui_cim")
    db_url = ensure_database(base_url, args.db)
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings.prod",
           "DJANGO_SECRET_KEY": secrets.token_hex(32), "CIM_CLIENT_HASH_SALT": secrets.token_hex(8),
           "REDIS_PREFIX": f"benchlive{os.getpid()}", "PYTHONPATH": str(ROOT)}
    os.environ.update(env)
    print(f"[bench] database {args.db}: migrating", flush=True)
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from emergency.models import Agency, PositionReport, Unit

    agency, _ = Agency.objects.get_or_create(code="BENCH", defaults={"name": "基准测试机构", "kind": "other",
                                                                    "synthetic": True})
    have = set(Unit.objects.filter(agency=agency).values_list("code", flat=True))
    Unit.objects.bulk_create([Unit(code=f"BENCH-{k:05d}", name=f"测试车 {k}", agency=agency,
                                   unit_type="other", synthetic=True)
                              for k in range(args.units) if f"BENCH-{k:05d}" not in have])
    unit_ids = list(Unit.objects.filter(agency=agency).order_by("code")
                    .values_list("id", flat=True))[:args.units]
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {PositionReport._meta.db_table}")
    Unit.objects.filter(pk__in=unit_ids).update(last_position=None, last_position_at=None, status="available")

    def account(name, role):
        user, _ = User.objects.get_or_create(username=name)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    sender_session = account("bench-gateway", "dispatcher")
    console_session = account("bench-console", "commander")
    csrf = secrets.token_hex(16)  # a CSRF token is any 32 characters matching its cookie
    headers = {"Content-Type": "application/json", "X-Forwarded-Proto": "https",
               "Cookie": f"{settings.SESSION_COOKIE_NAME}={sender_session}; "
                         f"{settings.CSRF_COOKIE_NAME}={csrf}",
               "X-CSRFToken": csrf, "Referer": f"https://127.0.0.1:{args.http_port}/",
               "Host": f"127.0.0.1:{args.http_port}"}
    connection.close()

    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    # The servers' settings: production's, with the position throttle of the run.
    settings_dir = logs / "live_settings"
    settings_dir.mkdir(exist_ok=True)
    (settings_dir / "bench_live_settings.py").write_text(
        "from config.settings.prod import *  # noqa: F403\n"
        "EMERGENCY = {**globals().get('EMERGENCY', {}), "
        f"'POSITION_HTTP_RATE': {args.position_rate!r}}}\n")
    server_env = {**env, "DJANGO_SETTINGS_MODULE": "bench_live_settings",
                  "PYTHONPATH": os.pathsep.join([str(settings_dir), str(ROOT)])}
    procs = []
    try:
        procs.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{args.http_port}",
             "--workers", str(args.workers), "--timeout", "120",
             "--error-logfile", str(logs / "gunicorn.log")],
            cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(args.ws_port), "config.asgi:application"],
            cwd=ROOT, env=server_env, stdout=open(logs / "daphne.log", "wb"), stderr=subprocess.STDOUT))
        wait_port(args.http_port)
        wait_port(args.ws_port)

        rng = random.Random(1)
        positions = {u: [CENTRE[0] + rng.uniform(-0.05, 0.05), CENTRE[1] + rng.uniform(-0.04, 0.04)]
                     for u in unit_ids}
        cursor = {"next": 0}
        lock = threading.Lock()

        def batch_body():
            with lock:
                start = cursor["next"]
                cursor["next"] = (start + args.batch) % len(unit_ids)
            at = timezone.now().isoformat()
            items = []
            for k in range(args.batch):
                u = unit_ids[(start + k) % len(unit_ids)]
                p = positions[u]
                p[0] += rng.uniform(-2e-4, 2e-4)
                p[1] += rng.uniform(-2e-4, 2e-4)
                items.append({"unit": u, "lon": round(p[0], 6), "lat": round(p[1], 6), "at": at,
                              "speed_kmh": round(rng.uniform(0, 60), 1),
                              "heading": round(rng.uniform(0, 359), 1)})
            return "/api/emergency/positions/", json.dumps({"positions": items}), len(items)

        # warm up: every unit placed once, workers and connections ready
        warm = run_phase("warm-up", senders=2, port=args.http_port, headers=headers, make_body=batch_body,
                         pace=0, seconds=3)
        if not warm["accepted"]:
            raise SystemExit(f"warm-up accepted nothing: {warm}; see {logs}")

        out = logs / "consoles.json"
        consoles = subprocess.Popen(
            [PY, __file__, "consoles", "--consoles", str(args.consoles), "--measure", str(args.measure),
             "--ws-url", f"ws://127.0.0.1:{args.ws_port}/ws/ops/",
             "--cookie", f"{settings.SESSION_COOKIE_NAME}={console_session}",
             "--origin", f"http://127.0.0.1:{args.ws_port}", "--out", str(out)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        readable, _, _ = select.select([consoles.stdout], [], [], 180)
        line = consoles.stdout.readline() if readable else ""
        if "READY" not in line:
            consoles.kill()
            raise SystemExit(f"the consoles did not all connect within 180 s ({line!r}); see {logs}")
        print(f"[bench] {args.consoles} consoles connected", flush=True)
        time.sleep(1.0)

        pace = args.batch / args.rate * args.senders
        phases = [run_phase("rate", senders=args.senders, port=args.http_port, headers=headers,
                            make_body=batch_body, pace=pace, seconds=args.seconds)]
        print(f"[bench] rate: {phases[-1]}", flush=True)
        time.sleep(1.0)
        phases.append(run_phase("max", senders=args.senders, port=args.http_port, headers=headers,
                                make_body=batch_body, pace=0, seconds=args.seconds / 2))
        print(f"[bench] max: {phases[-1]}", flush=True)
        time.sleep(1.0)

        def single_body():
            with lock:
                start = cursor["next"]
                cursor["next"] = (start + 1) % len(unit_ids)
            u = unit_ids[start]
            p = positions[u]
            return (f"/api/emergency/units/{u}/position/",
                    json.dumps({"lon": round(p[0], 6), "lat": round(p[1], 6),
                                "at": timezone.now().isoformat()}),
                    1)

        phases.append(run_phase("baseline", senders=args.senders, port=args.http_port, headers=headers,
                                make_body=single_body, pace=0, seconds=args.baseline_seconds))
        print(f"[bench] baseline: {phases[-1]}", flush=True)
        time.sleep(1.5)
        consoles.send_signal(signal.SIGTERM)
        consoles.wait(120)
        result = json.loads(out.read_text())
    finally:
        stop_all(procs)

    def delays(phase):
        w0, w1 = phase["wall"]
        got = []
        for samples in result["samples"].values():
            it = iter(samples)
            got += [d for t, d in zip(it, it, strict=True) if w0 <= t <= w1 + 1.0]
        return [d * 1000 for d in got]

    rate, top, base = phases
    lat = delays(rate)
    frames = statistics.mean(s["frames"] for s in result["stats"])
    mbytes = statistics.mean(s["bytes"] for s in result["stats"]) / 1e6
    per_unit = max(s["max_per_unit_second"] for s in result["stats"])
    load = os.getloadavg()
    figures = {
        "units": args.units, "consoles": args.consoles, "measured_consoles": len(result["measured"]),
        "batch": args.batch, "gunicorn_workers": args.workers, "senders": args.senders,
        "target_rate": args.rate, "rate_accepted_per_s": rate["accepted_per_s"],
        "rate_http_p50_ms": rate["http_p50_ms"], "rate_http_p95_ms": rate["http_p95_ms"],
        "delay_samples": len(lat), "delay_p50_ms": round(pct(lat, 0.5), 1),
        "delay_p95_ms": round(pct(lat, 0.95), 1), "delay_p99_ms": round(pct(lat, 0.99), 1),
        "max_accepted_per_s": top["accepted_per_s"], "max_http_p95_ms": top["http_p95_ms"],
        "baseline_per_s": base["accepted_per_s"],
        "ratio_vs_baseline": round(top["accepted_per_s"] / base["accepted_per_s"], 1)
        if base["accepted_per_s"] else None,
        "frames_per_console": round(frames), "mb_per_console": round(mbytes, 1),
        "max_updates_per_unit_second": per_unit,
        "errors": {p["phase"]: p["errors"] for p in phases if p["errors"]},
        "position_http_rate": args.position_rate,
        "cpus": os.cpu_count(), "loadavg_after": [round(v, 2) for v in load],
    }
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print("\n" + json.dumps(figures, indent=2))
    rows = [
        (f"positions accepted at a target of {args.rate:.0f}/s ({args.units} units, "
         f"{args.consoles} consoles)", f"{rate['accepted_per_s']:.0f}/s"),
        ("delay fix → console, p50 / p95 / p99",
         f"{figures['delay_p50_ms']:.0f} / {figures['delay_p95_ms']:.0f} / {figures['delay_p99_ms']:.0f} ms"),
        (f"HTTP batch ({args.batch} positions) p50 / p95",
         f"{rate['http_p50_ms']:.0f} / {rate['http_p95_ms']:.0f} ms"),
        (f"ceiling (closed loop, {args.senders} senders)", f"{top['accepted_per_s']:.0f}/s"),
        ("baseline: one position per request (`/units/{id}/position/`)", f"{base['accepted_per_s']:.0f}/s"),
        ("batched ceiling ÷ baseline", f"{figures['ratio_vs_baseline']}×"),
        ("most updates of one unit a console got in one second", str(per_unit)),
        (f"load average after the run (1/5/15 min, {os.cpu_count()} CPUs)",
         " / ".join(f"{v:.2f}" for v in load)),
    ]
    throttled = {p["phase"]: p["errors"]["429"] for p in phases if "429" in p["errors"]}
    if throttled:
        rows.append(("requests refused by the throttle (429), by phase — the figures above are capped",
                     ", ".join(f"{k}: {v}" for k, v in throttled.items())))
    rows.append(("position throttle of the run (POSITION_HTTP_RATE)", args.position_rate))
    print("\n| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
