"""Benchmark: one CAP alert over an area with 10,000 SMS subscribers.

What it measures (issue 14):

* **queue**: ``alert_notify_subscribers`` (find the subscribers inside the alert
  area, render each message with its opt-out code, store one delivery row
  each, in the alert's transaction): messages accepted per second (target
  ≥ 1,000/s);
* **delivery**: the notification worker (``deliveries_run``, the function the
  Celery task runs) sends them to a local HTTP SMS gateway that fails 5 % of
  first attempts on purpose (503); retries with backoff until none is due:
  throughput, p95 of queue → delivered, and the checks that none is lost
  and none duplicated (the gateway counts every 2xx by message id);
* **baseline**, in the same run: the same number of POSTs to the same gateway
  from the same thread pool with no database at all; the delivery figure is
  given as a ratio of it.

Database: a scratch database (``--db``, created and migrated on first use on
the server of ``DATABASE_URL``), with one street and ``--addresses`` door
addresses inside the alert area, each with ``--count / --addresses``
subscribers.  Redis: a prefix of its own.

    .venv/bin/python scripts/bench_notify.py --count 10000
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_live import ensure_database  # noqa: E402  (the scratch-database helper of the live benchmark)


def _populate(count: int, addresses: int) -> None:
    from django.contrib.gis.geos import Point
    from django.db import transaction
    from django.utils import timezone

    from cim.models import Address, AdminArea
    from emergency.models import AlertSubscription

    if AlertSubscription.objects.filter(active=True).count() == count:
        return
    with transaction.atomic():
        AlertSubscription.objects.all().delete()
        area, _ = AdminArea.objects.get_or_create(
            code="620502", defaults={"name": "秦州区", "level": "district"}
        )
        street, _ = Address.objects.get_or_create(
            code="BENCH-ST",
            defaults={
                "kind": "thoroughfare",
                "admin_area": area,
                "label": "基准路",
                "full_name": "秦州区基准路",
            },
        )
        Address.objects.filter(parent=street).delete()
        doors = Address.objects.bulk_create(
            [
                Address(
                    kind="door",
                    parent=street,
                    admin_area=area,
                    label=f"{i + 1}号",
                    number=i + 1,
                    full_name=f"秦州区基准路{i + 1}号",
                    code=f"BENCH-{i + 1:05d}",
                    position_kind="assigned",
                    position=Point(105.70 + (i % 50) * 0.0002, 34.57 + (i // 50) * 0.0002, srid=4326),
                )
                for i in range(addresses)
            ]
        )
        now = timezone.now()
        per = count // addresses
        AlertSubscription.objects.bulk_create(
            [
                AlertSubscription(
                    address=d,
                    phone=f"139{k * addresses + j:08d}",
                    token=secrets.token_hex(5).upper(),
                    consent_at=now,
                )
                for j, d in enumerate(doors)
                for k in range(per)
            ],
            batch_size=5000,
        )


def _baseline(gateway, count: int, threads: int) -> float:
    """The gateway alone: ``count`` POSTs from a thread pool, no database."""
    import json
    import threading

    import requests

    conf = gateway.settings()
    sessions: dict[int, requests.Session] = {}  # one keep-alive session per thread, as the SMS channel

    def post_kept(i: int) -> None:
        s = sessions.get(threading.get_ident())
        if s is None:
            s = sessions[threading.get_ident()] = requests.Session()
        body = json.dumps({"mobile": f"138{i:08d}", "content": "基准", "msgid": f"base{i}"})
        s.post(
            conf["url"],
            data=body.encode(),
            headers={"Authorization": conf["auth_value"], "Content-Type": "application/json"},
            timeout=5,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(post_kept, range(count)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="notify_bench")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--fail", type=float, default=0.05, help="share of first attempts the gateway fails")
    parser.add_argument("--threads", type=int, default=16, help="parallel sends per worker process")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (serve.sh: 2)")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/tianshui_cim")
    db_url = ensure_database(base_url, args.db)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "REDIS_PREFIX": f"benchnotify{os.getpid()}",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    print(f"[bench] database {args.db}: migrating", flush=True)
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import transaction

    from emergency.models import Alert, Delivery
    from emergency.services.alerts import alert_issue
    from emergency.services.notifications import deliveries_run
    from tests.emergency.sms_gateway import SmsGateway

    load_before = os.getloadavg()[0]
    _populate(args.count, args.addresses)
    Delivery.objects.all().delete()
    Alert.objects.all().delete()

    with SmsGateway(fail_share=args.fail) as gw:
        settings.EMERGENCY = {
            **getattr(settings, "EMERGENCY", {}),
            "NOTIFY_SMS_GATEWAY": gw.settings(),
            "NOTIFY_THREADS": args.threads,
            "NOTIFY_BATCH": 500,
            "NOTIFY_BACKOFF_S": 0.5,
            "NOTIFY_BACKOFF_MAX_S": 2.0,
        }
        area = MultiPolygon(Polygon.from_bbox((105.699, 34.569, 105.711, 34.581)), srid=4326)

        # queue: the alert and its 10,000 deliveries in one transaction (the subscribers' part timed)
        import emergency.services.public_warnings as pw

        timing = {}
        original = pw.alert_notify_subscribers

        def timed(**kw):
            t0 = time.perf_counter()
            n = original(**kw)
            timing["queue_s"], timing["queued"] = time.perf_counter() - t0, n
            return n

        pw.alert_notify_subscribers = timed
        t0 = time.perf_counter()
        with transaction.atomic():
            alert_issue(
                by="bench",
                headline="暴雨红色预警",
                description="未来3小时降雨量将达100毫米以上",
                instruction="请立即转移到高处",
                event="暴雨",
                category="Met",
                severity="Extreme",
                area=area,
                area_desc="秦州区基准路",
            )
        issue_s = time.perf_counter() - t0
        pw.alert_notify_subscribers = original
        queued = timing["queued"]

        # delivery until nothing is due or retrying
        # as the notify worker does: ``--workers`` processes (Celery prefork), each claiming
        # batches with SKIP LOCKED; forked after the queue is committed
        def drain() -> int:
            runs = 0
            while Delivery.objects.filter(status__in=("queued", "retry", "sending")).exists():
                deliveries_run()
                runs += 1
                if Delivery.objects.filter(status="retry").exists():
                    time.sleep(0.2)
            return runs

        from django.db import connections

        connections.close_all()
        t0 = time.perf_counter()
        children = []
        for _ in range(args.workers - 1):
            pid = os.fork()
            if pid == 0:
                try:
                    drain()
                finally:
                    os._exit(0)
            children.append(pid)
        drain()
        for pid in children:
            os.waitpid(pid, 0)
        deliver_s = time.perf_counter() - t0
        rows = Delivery.objects.filter(notification__kind="cap_alert")
        sent = rows.filter(status="sent").count()
        retried = rows.filter(attempts__gt=1).count()
        latencies = sorted(
            (s - c).total_seconds() for c, s in rows.values_list("created_at", "sent_at") if s is not None
        )
        ids = {f"d{pk}" for pk in rows.values_list("pk", flat=True)}
        lost = len(ids - set(gw.delivered))
        dupes = gw.accepted_count - len(gw.delivered)
        failed = rows.filter(status="failed").count()
        first_try_fail = sum(1 for v in gw.attempts.values() if v > 1)

    with SmsGateway() as gw2:
        base_s = _baseline(gw2, queued, args.threads * args.workers)
    load_after = os.getloadavg()[0]

    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(f"subscribers in the alert area: {queued:,} ({args.addresses} addresses)")
    rate = queued / timing["queue_s"]
    print(
        f"queue: {queued:,} messages accepted in {timing['queue_s']:.2f} s = {rate:,.0f} "
        f"messages/s (target ≥ 1,000/s); whole alert transaction {issue_s:.2f} s"
    )
    print(
        f"delivery: {sent:,} delivered in {deliver_s:.2f} s = {sent / deliver_s:,.0f} SMS/s, "
        f"{args.workers} worker processes × {args.threads} threads; "
        f"gateway failed {first_try_fail:,} first attempts "
        f"({first_try_fail / max(queued, 1):.1%}), {retried:,} deliveries retried"
    )
    print(
        f"queue → delivered: median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, "
        f"max {latencies[-1]:.2f} s"
    )
    print(f"lost: {lost}, duplicated: {dupes}, failed: {failed}")
    print(
        f"baseline (the gateway alone, {args.threads * args.workers} threads, no DB): "
        f"{queued / base_s:,.0f} POST/s; "
        f"delivery / baseline: {(sent / deliver_s) / (queued / base_s):.2f}×"
    )
    print(f"machine load average (1 min) before/after: {load_before:.1f} / {load_after:.1f}")
    if lost or dupes or failed or sent != queued:
        raise SystemExit("FAILED: messages lost, duplicated or failed")


if __name__ == "__main__":
    main()
