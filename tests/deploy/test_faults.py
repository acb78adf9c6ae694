"""Faults, bounded and on loopback (issue 15 §3), each asserting that nothing is lost.

The topology of ``test_topology.py`` (nginx, 2 gunicorn, 2 daphne) plus 2 Celery
workers, on the test database and a *private* Redis server started here (so that
restarting it disturbs nobody else on the machine):

- Redis restarted during live ingestion: every position the server acknowledged
  is in the history table, and ingestion recovers by itself once Redis is back;
  a batch refused while Redis was down is retried by the device and stored once.
- A worker killed mid-import: PostgreSQL rolls the import back (not one building
  of it stored), the job is marked lost, and the import submitted again completes
  on the other worker with every building.
- One ASGI instance killed under 50 consoles: every console that lost its
  connection reconnects through nginx and resyncs by event id with nothing missed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from cim import roles
from tests.deploy.test_topology import _closed_within, _create_incident, _signed_in, _socket, _until
from tests.deploy.topology import Topology, browser_session
from tests.ports import free_port

pytestmark = [pytest.mark.deploy, pytest.mark.slow]

LOST_AFTER_S = 12  # above the workers' heartbeat (JOB_HEARTBEAT_S, 5 s)


class PrivateRedis:
    """A redis-server of this test only (no persistence, like the machine's)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def faulty(site, test_database, django_db_blocker):
    """The topology with 2 workers on a private Redis."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed (scripts/setup.sh installs Debian's nginx)")
    from django.db import connection

    server = PrivateRedis()
    server.start()
    with django_db_blocker.unblock():
        database = dict(connection.settings_dict)
    topo = Topology(database=database, redis_url=server.url, redis_prefix="faults",
                    secret_key=settings.SECRET_KEY, hash_salt=settings.CIM["CLIENT_HASH_SALT"],
                    extra_env={"CIM_JOB_LOST_AFTER_S": str(LOST_AFTER_S)})
    topo.add_workers(2)
    try:
        with topo:
            yield topo, server
    finally:
        topo.cleanup()
        server.kill()


# --- Redis restarted during live ingestion ----------------------------------------------------


def test_redis_restart_during_live_ingestion_loses_no_acknowledged_position(faulty, site, orm):
    from emergency.models import Agency, PositionReport, Unit

    topology, redis_server = faulty
    agency = Agency.objects.create(code="F-RDS", name="消防救援支队(故障演练)", kind="fire")
    unit = Unit.objects.create(code="RDS-1", name="故障演练一号车", agency=agency, unit_type="fire_engine")
    client = _signed_in(topology, site.users[roles.DISPATCHER])
    start = timezone.now() - dt.timedelta(minutes=5)
    acknowledged, refused = [], []
    stop = threading.Event()

    def device() -> None:
        k = 0
        while not stop.is_set():
            fix = {"unit": unit.pk, "lon": round(105.700 + k * 0.00001, 6), "lat": 34.580,
                   "at": (start + dt.timedelta(seconds=k)).isoformat()}
            try:
                resp = client.post(topology.base + "/api/emergency/positions/", json={"positions": [fix]},
                                   timeout=15)
                (acknowledged if resp.status_code == 200 else refused).append(
                    (fix, resp.status_code, time.monotonic()))
            except (requests.RequestException, OSError):  # no answer (a TLS timeout may come unwrapped)
                refused.append((fix, None, time.monotonic()))
            k += 1
            time.sleep(0.05)

    sender = threading.Thread(target=device)
    sender.start()
    try:
        deadline = time.monotonic() + 60  # the first requests warm the servers up
        while len(acknowledged) < 10:
            assert time.monotonic() < deadline and not refused, refused[:3]
            time.sleep(0.1)
        redis_server.kill()
        time.sleep(1.5)  # down: the channel layer, caches and throttles have no Redis
        redis_server.start()
        restarted = time.monotonic()
        # recovery: acknowledgements resume by themselves within a few seconds
        while not any(at > restarted for _f, _s, at in acknowledged):
            assert time.monotonic() < restarted + 20, f"ingestion did not recover: {refused[-3:]}"
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        stop.set()
        sender.join(30)
    # the device retries what was refused (a 5xx or no answer), as its queue does
    for fix, _status, _at in refused:
        resp = client.post(topology.base + "/api/emergency/positions/", json={"positions": [fix]}, timeout=15)
        assert resp.status_code == 200, resp.text
    stored = list(PositionReport.objects.filter(unit=unit).values_list("at", flat=True))
    sent = [dt.datetime.fromisoformat(fix["at"]) for fix, _s, _at in acknowledged + refused]
    assert sorted(stored) == sorted(sent)  # every fix once: none lost, none twice
    assert {s for _f, s, _at in refused} <= {None, 500, 502, 503, 504}


# --- a worker killed mid-import ---------------------------------------------------------------


def _admin_session(topology, name: str) -> requests.Session:
    """An administrator signed in with a second factor (the production settings ask
    administrators for one)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(username=name, password="pw-for-tests-1")
    user.groups.add(Group.objects.get_or_create(name=roles.ADMIN)[0])
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return browser_session(topology, session.session_key, cookie_name=settings.SESSION_COOKIE_NAME,
                           csrf_cookie_name=settings.CSRF_COOKIE_NAME)


def _submit_import(client, base: str) -> int:
    from cim.conf import cim_settings

    path = Path(cim_settings.SHARED_DATA_DIR) / "osm" / "monaco_osrm_2016.osm.pbf"
    with path.open("rb") as fh:
        resp = client.post(base + "/api/jobs/", timeout=60, files={"file": (path.name, fh)},
                           data={"kind": "import.osm", "params": json.dumps({"source": "osm-fault"})})
    assert resp.status_code == 202, resp.text
    return resp.json()["id"]


def _job(client, base: str, job_id: int) -> dict:
    resp = client.get(f"{base}/api/jobs/{job_id}/", timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_worker_killed_mid_import_rolls_back_and_the_import_can_be_run_again(faulty, orm):
    from cim.models import Building

    topology, _redis = faulty
    client = _admin_session(topology, "fault_admin")
    first, second = topology.services["worker-1"], topology.services["worker-2"]
    second.stop()  # the import can only go to worker-1
    job_id = _submit_import(client, topology.base)
    deadline = time.monotonic() + 60
    while (job := _job(client, topology.base, job_id))["status"] != "running":
        assert job["status"] == "queued", job.get("error")
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)
    time.sleep(0.3)  # mid-import: the file is being read and loaded in one transaction
    first.kill()
    assert _job(client, topology.base, job_id)["status"] == "running"  # as far as anyone knows yet
    assert not Building.objects.filter(source="osm-fault").exists()  # rolled back with the connection
    second.start()
    # no heartbeat: marked failed (lost) when jobs are next read
    deadline = time.monotonic() + LOST_AFTER_S + 20
    while (job := _job(client, topology.base, job_id))["status"] == "running":
        assert time.monotonic() < deadline, "the dead worker's job was never marked lost"
        time.sleep(0.5)
    assert job["status"] == "failed", job
    # imports are not redelivered behind anyone's back: submitted again, it completes
    again = _submit_import(client, topology.base)
    deadline = time.monotonic() + 180
    while (job := _job(client, topology.base, again))["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the re-run did not finish"
        time.sleep(0.5)
    first.start()
    assert job["status"] == "succeeded", job
    assert Building.objects.filter(source="osm-fault").count() > 20_000
    assert _job(client, topology.base, job_id)["status"] == "failed"  # the lost run stays failed


# --- one ASGI instance killed under 50 consoles -----------------------------------------------


def test_fifty_consoles_survive_losing_an_asgi_instance_and_miss_nothing(faulty, site):
    topology, _redis = faulty
    dispatcher = site.users[roles.DISPATCHER]
    client = _signed_in(topology, dispatcher)
    with ExitStack() as stack:
        consoles = [stack.enter_context(_socket(topology, dispatcher)) for _ in range(50)]
        last = [_until(ws, lambda m: m["type"] == "synced", 30)["last_id"] for ws in consoles]
        victim = topology.services["asgi-1"]
        victim.kill()
        try:
            dropped = [k for k, ws in enumerate(consoles) if _closed_within(ws, 0.2)]
            assert dropped, "no console was on the killed instance"
            made = []
            for k in range(3):
                made.append(_create_incident(client, f"实例故障{k}"))
            # the dropped consoles reconnect through nginx (to the live instance) and resync
            for k in dropped:
                with _socket(topology, dispatcher, after=last[k]) as resumed:
                    replayed = []
                    while (message := json.loads(resumed.recv(timeout=20)))["type"] != "synced":
                        replayed.append(message)
                created = [m["payload"]["id"] for m in replayed if m.get("kind") == "incident.created"]
                assert created == made, f"console {k} resynced {created}, expected {made}"
            # the others never lost their connection and got the events live
            for k, ws in enumerate(consoles):
                if k in dropped:
                    continue
                got = []
                while len(got) < len(made):
                    message = json.loads(ws.recv(timeout=20))
                    if message.get("kind") == "incident.created":
                        got.append(message["payload"]["id"])
                assert got == made
        finally:
            victim.start()


# --- a gunicorn instance killed under a load of scans and dispatches ---------------------------


def _retrying(call, *, attempts: int = 4):
    """A client that retries what failed in flight (502 from nginx, or no answer)."""
    failures = []
    for _ in range(attempts):
        try:
            resp = call()
        except (requests.RequestException, OSError) as exc:
            failures.append(type(exc).__name__)
            continue
        if resp.status_code in (502, 503, 504):
            failures.append(resp.status_code)
            continue
        return resp, failures
    raise AssertionError(f"still failing after {attempts} attempts: {failures}")


def _incident_of_ticket(ticket: str) -> int:
    """The incident a 119 ticket made (read from a client thread: its own connection)."""
    from django.db import connection

    from emergency.models import Incident

    try:
        return Incident.objects.get(source="119", external_ref=ticket).pk
    finally:
        connection.close()


def test_a_gunicorn_instance_killed_under_scans_and_dispatches_leaves_nothing_half_made(faulty, site, orm):
    from django.contrib.gis.geos import Point

    from emergency.models import Agency, Assignment, Incident, Unit

    topology, _redis = faulty
    agency = Agency.objects.create(code="F-GUN", name="消防救援支队(进程故障)", kind="fire")
    units = [Unit.objects.create(code=f"GUN-{k}", name=f"进程故障{k}号车", agency=agency,
                                 unit_type="fire_engine", last_position_at=timezone.now(),
                                 last_position=Point(105.7005 + 0.0001 * k, 34.5800, srid=4326))
             for k in range(16)]
    client = _signed_in(topology, site.users[roles.DISPATCHER])
    stop = threading.Event()
    outcomes = {"scans": 0, "dispatches": [], "failures": [], "conflicts": []}
    lock = threading.Lock()

    def scanner() -> None:
        while not stop.is_set():
            resp, failed = _retrying(lambda: requests.get(f"{topology.base}/P/{site.plate_code}", timeout=15,
                                                           verify=str(topology.certificate)))
            if resp.status_code == 429:  # the public endpoint's limit per client: wait as told
                stop.wait(float(resp.headers.get("Retry-After") or 1))
                continue
            assert resp.status_code == 200
            with lock:
                outcomes["scans"] += 1
                outcomes["failures"].extend(failed)

    def dispatcher(mine: list) -> None:
        for k, unit in enumerate(mine):
            if stop.is_set():
                return
            title = f"进程故障演练-{unit.code}-{k}"
            # the 119 ticket number, as the call-taking system sends it: a retry of a
            # create whose answer was lost (killed after its commit) is then a 409
            ticket = f"GUN-{unit.code}-{k}"
            body = {"title": title, "incident_type": "fire", "source": "119", "external_ref": ticket,
                    "lon": 105.7041, "lat": 34.5801}
            made, failed = _retrying(functools.partial(
                client.post, topology.base + "/api/emergency/incidents/", timeout=30, json=body))
            if made.status_code == 409:
                assert failed and made.json()["field"] == "external_ref", made.text
                incident = _incident_of_ticket(ticket)
            else:
                assert made.status_code == 201, made.text
                incident = made.json()["id"]
            verified, failed1 = _retrying(functools.partial(
                client.post, f"{topology.base}/api/emergency/incidents/{incident}/transition/", timeout=30,
                json={"to": "verified"}))
            assert verified.status_code in (200, 409), verified.text  # 409: a lost answer had verified it
            failed += failed1
            sent, failed2 = _retrying(functools.partial(
                client.post, f"{topology.base}/api/emergency/incidents/{incident}/assignments/", timeout=30,
                json={"units": [unit.pk]}))
            # 409: an attempt whose answer was lost had already sent the unit
            assert sent.status_code in (201, 409), sent.text
            if sent.status_code == 409:
                assert failed2, sent.text  # only after an attempt whose answer was lost
                outcomes["conflicts"].append(sent.text)
            with lock:
                outcomes["dispatches"].append((title, incident, unit.pk))
                outcomes["failures"].extend(failed + failed2)

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    threads += [threading.Thread(target=dispatcher, args=(units[k::2],)) for k in range(2)]
    for t in threads:
        t.start()
    victim = topology.services["web-1"]

    def after(count: int, timeout: float = 90.0) -> None:  # the machine may be slow: go by progress
        deadline = time.monotonic() + timeout
        while len(outcomes["dispatches"]) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    try:
        after(2)
        victim.kill()
        after(4)  # dispatches go on through the other instance
        victim.start()
        after(6)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert outcomes["scans"] > 0 and len(outcomes["dispatches"]) >= 6, outcomes
    # nothing half-made: each incident once, each unit sent once and marked so in the same transaction
    for title, incident, unit_id in outcomes["dispatches"]:
        assert Incident.objects.filter(title=title).count() == 1
        active = Assignment.objects.filter(unit_id=unit_id, released_at__isnull=True)
        assert list(active.values_list("incident_id", flat=True)) == [incident], outcomes
        assert Unit.objects.get(pk=unit_id).status != "available"
    for unit in units:
        if unit.pk not in {u for _t, _i, u in outcomes["dispatches"]}:
            assert not Assignment.objects.filter(unit=unit).exists()
