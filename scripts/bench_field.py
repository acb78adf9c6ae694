#!/usr/bin/env python
"""Field app benchmark: from the console's assign to the alert on the crew's device, with
--devices field devices connected, real servers on loopback.

    .venv/bin/python scripts/bench_field.py [--devices 200] [--assigns 100] [--rate 2]

What runs (all real, on this machine):

* a benchmark database (``--db``, created and migrated on first use) with a street grid
  (the test suite's 6 × 6 grid), ``--devices`` units at its junctions, and for each unit a
  responder account that crews it;
* gunicorn (WSGI) for the API and daphne (ASGI) for ``/ws/ops/``, production settings, the real
  Redis channel layer;
* ``--devices`` field devices in a separate process: each signs in as its responder, holds the
  live WebSocket (it receives only its own unit's events, as the field app does) and, when an
  ``assignment.created`` event names its unit, raises its alarm (the event carries the
  incident's number, title and level: the app alarms at once) and then fetches
  ``GET /api/emergency/field/`` (the assignment's details with its route and turns);
* in this process, the console: ``POST /api/emergency/incidents/{id}/assignments/`` as a
  dispatcher for one unit at a time, ``--rate`` per second, each to a distinct unit.

Measured per assignment: console request sent → alarm on the device (``alert``: the event
received and decoded), and → the details fetched (``details``).  The baseline is the same round trip
for a device polling ``GET /api/emergency/field/`` every ``--poll`` seconds (what an app
without the live feed would do): its expected delay is half the poll interval plus one fetch,
computed from the fetch times measured in the same run.

Prints a Markdown block for docs/benchmarks.md (figures, machine, load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from bench_live import BIN, PY, ensure_database, pct, stop_all, wait_port  # noqa: E402  (the shared helpers)


# ------------------------------------------------------------------ devices
async def _device(unit: int, cookie: str, args, record: dict, ready, stop) -> None:
    import websockets

    loop = asyncio.get_running_loop()
    for attempt in range(5):
        try:
            ws = await websockets.connect(
                args.ws_url,
                additional_headers={"Cookie": cookie, "Origin": args.origin},
                open_timeout=60,
                ping_interval=None,
            )
            break
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            await asyncio.sleep(1 + attempt)
    else:
        raise RuntimeError(f"device of unit {unit} could not connect")

    def fetch_state() -> float:
        conn = HTTPConnection("127.0.0.1", args.http_port, timeout=60)
        conn.request(
            "GET",
            "/api/emergency/field/",
            headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{args.http_port}"},
        )
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        if response.status != 200 or not body["units"][0]["assignment"]:
            raise RuntimeError(f"field state {response.status}: {str(body)[:200]}")
        return time.time()

    async with ws:
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "synced":
                break
        ready()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(frame)
            if (
                message.get("type") == "event"
                and message.get("kind") == "assignment.created"
                and message["payload"].get("unit") == unit
            ):
                got = time.time()
                shown = await loop.run_in_executor(None, fetch_state)
                record[str(message["payload"]["assignment"])] = [got, shown]


def run_devices(args) -> None:
    """The devices process: connect every device, say READY, record until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    cookies = json.loads(Path(args.cookies).read_text())
    record: dict = {}
    connected = 0

    def ready():
        nonlocal connected
        connected += 1
        if connected == len(cookies):
            print("READY", flush=True)

    async def main():
        asyncio.get_running_loop().set_default_executor(
            __import__("concurrent.futures").futures.ThreadPoolExecutor(32)
        )
        tasks = []
        for unit, cookie in cookies.items():
            tasks.append(asyncio.create_task(_device(int(unit), cookie, args, record, ready, stop)))
            await asyncio.sleep(0.02)
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, BaseException):
                print(f"device failed: {outcome!r}", file=sys.stderr, flush=True)

    asyncio.run(main())
    Path(args.out).write_text(json.dumps(record))


# ------------------------------------------------------------------ the run
def build(args):
    """The grid, the units with their crews and the incidents (idempotent: a rerun resets)."""
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import Point
    from django.test import Client

    from cim.models import RoadSegment, ServicePoint
    from emergency import services
    from emergency.models import Agency, Assignment, Incident, Unit
    from tests.emergency.conftest import N, build_grid, node

    if not RoadSegment.objects.filter(source="test").exists():
        build_grid()
    Assignment.objects.all().delete()
    Incident.objects.all().delete()
    agency, _ = Agency.objects.get_or_create(
        code="BENCH-F", defaults={"name": "基准测试机构", "kind": "fire", "synthetic": True}
    )
    junctions = [node(i, j) for i in range(N) for j in range(N)]
    station, _ = ServicePoint.objects.get_or_create(
        name="基准测试驻地", defaults={"category": "fire_station", "geom": Point(*junctions[0], srid=4326)}
    )
    group = Group.objects.get_or_create(name="responder")[0]
    cookies = {}
    for k in range(args.devices):
        unit, _ = Unit.objects.get_or_create(
            code=f"BF-{k:04d}",
            defaults={
                "name": f"测试车 {k}",
                "agency": agency,
                "unit_type": "fire_engine",
                "synthetic": True,
                "home_station": station,
            },
        )
        Unit.objects.filter(pk=unit.pk).update(status="available", last_position=None, last_position_at=None)
        user, _ = User.objects.get_or_create(username=f"bench-crew-{k:04d}")
        user.groups.add(group)
        unit.members.add(user)
        client = Client()
        client.force_login(user)
        cookies[unit.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    dispatcher, _ = User.objects.get_or_create(username="bench-dispatcher")
    dispatcher.groups.add(Group.objects.get_or_create(name="dispatcher")[0])
    incidents = []
    for k in range(max(1, args.assigns // 20)):
        i = services.incident_create(
            title=f"基准事件 {k}",
            incident_type="fire",
            level="IV",
            source="119",
            location=Point(*junctions[(7 * k + 5) % len(junctions)], srid=4326),
            by=dispatcher,
        )
        incidents.append(services.incident_transition(incident=i, to="verified", by=dispatcher).pk)
    client = Client()
    client.force_login(dispatcher)
    return cookies, incidents, client.cookies[settings.SESSION_COOKIE_NAME].value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("role", nargs="?", default="bench", choices=["bench", "devices"])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--assigns", type=int, default=100)
    parser.add_argument("--rate", type=float, default=2.0, help="assignments per second")
    parser.add_argument("--poll", type=float, default=30.0, help="the polling baseline's interval (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default="tianshui_bench_field")
    parser.add_argument("--http-port", type=int, default=8791)
    parser.add_argument("--ws-port", type=int, default=8792)
    parser.add_argument("--json")
    parser.add_argument("--ws-url")
    parser.add_argument("--origin")
    parser.add_argument("--cookies")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.role == "devices":
        run_devices(args)
        return
    args.assigns = min(args.assigns, args.devices)

    base_url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/tianshui_cim")
    db_url = ensure_database(base_url, args.db)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_hex(32),
        "CIM_CLIENT_HASH_SALT": secrets.token_hex(8),
        "REDIS_PREFIX": f"benchfield{os.getpid()}",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    print(f"[bench] database {args.db}: migrating", flush=True)
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    cookies, incidents, dispatcher_session = build(args)
    connection.close()
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "field_cookies.json").write_text(json.dumps(cookies))
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{args.http_port}",
                    "--workers",
                    str(args.workers),
                    "--timeout",
                    "120",
                    "--error-logfile",
                    str(logs / "gunicorn-field.log"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        procs.append(
            subprocess.Popen(
                [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(args.ws_port), "config.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=open(logs / "daphne-field.log", "wb"),
                stderr=subprocess.STDOUT,
            )
        )
        wait_port(args.http_port)
        wait_port(args.ws_port)
        out = logs / "field_devices.json"
        devices = subprocess.Popen(
            [
                PY,
                __file__,
                "devices",
                "--ws-url",
                f"ws://127.0.0.1:{args.ws_port}/ws/ops/",
                "--origin",
                f"http://127.0.0.1:{args.ws_port}",
                "--cookies",
                str(logs / "field_cookies.json"),
                "--http-port",
                str(args.http_port),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        readable, _, _ = select.select([devices.stdout], [], [], 300)
        line = devices.stdout.readline() if readable else ""
        if "READY" not in line:
            devices.kill()
            raise SystemExit(f"the devices did not all connect within 300 s ({line!r}); see {logs}")
        print(f"[bench] {args.devices} devices connected", flush=True)
        time.sleep(1.0)

        csrf = secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={dispatcher_session}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
            "Referer": f"https://127.0.0.1:{args.http_port}/",
            "Host": f"127.0.0.1:{args.http_port}",
        }
        units = list(cookies)[: args.assigns]
        sent, http_ms, errors = {}, [], {}
        conn = HTTPConnection("127.0.0.1", args.http_port, timeout=60)
        t0 = time.time()
        for k, unit in enumerate(units):
            start = time.time()
            incident = incidents[k % len(incidents)]
            conn.request(
                "POST",
                f"/api/emergency/incidents/{incident}/assignments/",
                body=json.dumps({"units": [unit]}),
                headers=headers,
            )
            response = conn.getresponse()
            body = json.loads(response.read() or b"null")
            http_ms.append((time.time() - start) * 1000)
            if response.status != 201:
                errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                print(f"[bench] assign {unit}: {response.status} {str(body)[:200]}", flush=True)
            else:
                sent[str(body[0]["id"])] = start
            pause = t0 + (k + 1) / args.rate - time.time()  # open loop: the console's pace
            if pause > 0:
                time.sleep(pause)
        time.sleep(5.0)
        devices.send_signal(signal.SIGTERM)
        devices.wait(120)
        record = json.loads(out.read_text())
    finally:
        stop_all(procs)

    alert_ms = [(record[a][0] - t) * 1000 for a, t in sent.items() if a in record]
    details_ms = [(record[a][1] - t) * 1000 for a, t in sent.items() if a in record]
    fetch_ms = [(record[a][1] - record[a][0]) * 1000 for a in sent if a in record]
    baseline_ms = args.poll * 1000 / 2 + pct(fetch_ms, 0.5)
    load = os.getloadavg()
    figures = {
        "devices": args.devices,
        "assigns": len(units),
        "rate_per_s": args.rate,
        "gunicorn_workers": args.workers,
        "received": len(alert_ms),
        "lost": len(sent) - len(alert_ms),
        "errors": errors,
        "assign_http_p50_ms": round(pct(http_ms, 0.5), 1),
        "assign_http_p95_ms": round(pct(http_ms, 0.95), 1),
        "alert_p50_ms": round(pct(alert_ms, 0.5), 1),
        "alert_p95_ms": round(pct(alert_ms, 0.95), 1),
        "alert_p99_ms": round(pct(alert_ms, 0.99), 1),
        "alert_max_ms": round(max(alert_ms, default=0), 1),
        "details_p50_ms": round(pct(details_ms, 0.5), 1),
        "details_p95_ms": round(pct(details_ms, 0.95), 1),
        "baseline_poll_s": args.poll,
        "baseline_expected_ms": round(baseline_ms, 1),
        "ratio_vs_baseline": round(baseline_ms / pct(alert_ms, 0.5), 1) if alert_ms else None,
        "cpus": os.cpu_count(),
        "loadavg_after": [round(v, 2) for v in load],
    }
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print("\n" + json.dumps(figures, indent=2))
    rows = [
        ("devices connected (WebSocket)", str(args.devices)),
        (
            f"assignments ({args.rate:g}/s, one unit each), received by their device",
            f"{len(alert_ms)} / {len(sent)}",
        ),
        (
            "console assign (HTTP) p50 / p95",
            f"{figures['assign_http_p50_ms']:.0f} / {figures['assign_http_p95_ms']:.0f} ms",
        ),
        (
            "**assign → alarm on the device** p50 / p95 / p99",
            f"{figures['alert_p50_ms']:.0f} / **{figures['alert_p95_ms']:.0f}** / "
            f"{figures['alert_p99_ms']:.0f} ms",
        ),
        (
            "assign → details (route, turns) fetched p50 / p95",
            f"{figures['details_p50_ms']:.0f} / {figures['details_p95_ms']:.0f} ms",
        ),
        (f"baseline: polling every {args.poll:g} s, expected delay", f"{baseline_ms:.0f} ms"),
        ("baseline ÷ live (p50)", f"{figures['ratio_vs_baseline']}×"),
        (
            f"load average after the run (1/5/15 min, {os.cpu_count()} CPUs)",
            " / ".join(f"{v:.2f}" for v in load),
        ),
    ]
    print("\n| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
