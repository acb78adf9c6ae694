"""A PostgreSQL streaming replica behind the topology (issue 15 §3).

Two private clusters (``tests/deploy/pgcluster.py``): a primary holding a copy of
the test city and a hot standby made from it with ``pg_basebackup``.  nginx with 2
gunicorn and 1 daphne run the production settings with ``DATABASE_URL`` on the
primary and ``DATABASE_REPLICA_URL`` on the standby.  Shown, over HTTPS:

- writes reach the standby by streaming;
- read-your-writes stays on the primary (an incident created is at once readable);
- the dashboards' statistics are read from the standby: with its replay paused, a
  new incident is not counted until replay resumes;
- a stopped standby costs nothing but speed: the statistics come from the primary;
- ``manage.py replica_status`` reports the lag, and the standby is skipped when it
  is further behind than ``CIM_REPLICA_MAX_LAG_S``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from django.db import connection

from cim import roles
from tests.deploy.pgcluster import ReplicatedPair
from tests.deploy.test_topology import _create_incident
from tests.deploy.topology import ROOT, Topology, browser_session
from tests.emergency.live_support import session_cookie

pytestmark = [pytest.mark.deploy, pytest.mark.slow]


@pytest.fixture(scope="module")
def replicated(site, django_db_blocker):
    """(topology, pair, cookie of a dispatcher) on a primary + standby copy of the test city."""
    with django_db_blocker.unblock():
        dispatcher = site.users[roles.DISPATCHER]
        cookie = session_cookie(dispatcher)  # in the database before it is copied
        db = connection.settings_dict
        source = (f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} "
                  f"user={db.get('USER') or 'postgres'} dbname={db['NAME']}")
    with ReplicatedPair(source_dsn=source) as pair:
        primary = {"NAME": pair.dbname, "USER": "postgres", "HOST": "127.0.0.1", "PORT": pair.primary.port}
        prefix = settings.CACHES["default"]["KEY_PREFIX"] + ":replica"
        replica_env = {
            "DATABASE_REPLICA_URL": pair.replica.url(pair.dbname),
            "CIM_REPLICA_MAX_LAG_S": "600",
            "CIM_REPLICA_CHECK_S": "0.2",
        }
        topo = Topology(database=primary, redis_url=settings.CACHES["default"]["LOCATION"],
                        redis_prefix=prefix, secret_key=settings.SECRET_KEY,
                        hash_salt=settings.CIM["CLIENT_HASH_SALT"], web=2, asgi=1, extra_env=replica_env)
        try:
            with topo:
                yield topo, pair, cookie
        finally:
            topo.cleanup()


def _client(topology, cookie: str) -> requests.Session:
    return browser_session(topology, cookie, cookie_name=settings.SESSION_COOKIE_NAME,
                           csrf_cookie_name=settings.CSRF_COOKIE_NAME)


def _counted(client, base: str) -> int:
    resp = client.get(base + "/api/emergency/stats/incidents/", timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["total"]


def _replica_status(topology, **env) -> dict:
    done = subprocess.run([sys.executable, "manage.py", "replica_status", "--json"], cwd=ROOT, timeout=60,
                          env={**topology.env, **env}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_writes_stream_to_the_standby(replicated):
    topology, pair, cookie = replicated
    client = _client(topology, cookie)
    made = _create_incident(client, "复制测试")
    row = pair.replica.wait_until("SELECT count(*) = 1 FROM emergency_incident WHERE id = %s", (made,),
                                  dbname=pair.dbname)
    assert row[0], "the incident never reached the standby"
    assert pair.replica.query("SELECT pg_is_in_recovery()")[0][0] is True


def test_statistics_come_from_the_standby_and_own_writes_from_the_primary(replicated):
    topology, pair, cookie = replicated
    client = _client(topology, cookie)
    assert pair.wait_replayed()
    before = _counted(client, topology.base)
    pair.replica.query("SELECT pg_wal_replay_pause()")
    try:
        pair.replica.wait_until("SELECT pg_get_wal_replay_pause_state() = 'paused'")
        made = _create_incident(client, "暂停回放期间")
        # read-your-writes: the new incident is readable at once (primary)
        detail = client.get(f"{topology.base}/api/emergency/incidents/{made}/", timeout=30)
        assert detail.status_code == 200 and detail.json()["title"] == "暂停回放期间"
        # the statistics are the standby's: the incident is not there yet
        assert _counted(client, topology.base) == before
        status = _replica_status(topology)
        assert status["configured"] and status["healthy"] and status["reads_go_to"] == "replica"
        # a standby further behind than the limit is skipped (the write above waits in its WAL)
        time.sleep(1.2)
        behind = _replica_status(topology, CIM_REPLICA_MAX_LAG_S="1")
        assert behind["lag_s"] is not None and behind["lag_s"] > 1
        assert behind["healthy"] is False and behind["reads_go_to"] == "default"
    finally:
        pair.replica.query("SELECT pg_wal_replay_resume()")
    assert pair.wait_replayed()
    assert _counted(client, topology.base) == before + 1


def test_a_stopped_standby_sends_the_statistics_to_the_primary(replicated):
    topology, pair, cookie = replicated
    client = _client(topology, cookie)
    before = _counted(client, topology.base)
    pair.replica.stop("immediate")
    try:
        made = _create_incident(client, "备库停机期间")
        assert made
        assert _counted(client, topology.base) == before + 1  # from the primary, no error
        assert _replica_status(topology)["reads_go_to"] == "default"
    finally:
        pair.replica.start()
    assert pair.wait_replayed()
    deadline = time.monotonic() + 10
    while _replica_status(topology)["reads_go_to"] != "replica":
        assert time.monotonic() < deadline, "the restarted standby was not taken back"
        time.sleep(0.3)


def test_no_replica_means_every_read_on_the_primary():
    from config.common import replica

    assert "replica" not in settings.DATABASES or os.environ.get("DATABASE_REPLICA_URL")
    with replica.replica_reads() as alias:
        assert alias == "default"
    assert replica.ReplicaRouter().allow_migrate("replica", "cim") is False
