"""The probes (/healthz, /readyz) and nginx's access check for the 3D tiles,
through Django's whole middleware stack."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cim import roles


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-cache" in resp["Cache-Control"]
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_checks_database_redis_and_migrations(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}


@pytest.mark.django_db
def test_readyz_names_what_failed_and_nothing_secret(client, settings):
    unreachable = "redis://:s3cret-password@127.0.0.1:1/0"
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": unreachable}}
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable" and body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ConnectionError"
    assert "s3cret" not in resp.content.decode() and "127.0.0.1" not in resp.content.decode()


@pytest.mark.django_db
def test_tiles_access_is_the_rule_of_the_tiles_view(client, make_user):
    anonymous = client.get("/edge/tiles-access")
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "not_authenticated"
    client.force_login(make_user(None, "no_role"))
    refused = client.get("/edge/tiles-access")
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"
    for role in (roles.PLANNER, roles.DISPATCHER):
        client.force_login(make_user(role, f"tiles_{role}"))
        assert client.get("/edge/tiles-access").status_code == 204, role


@pytest.mark.django_db
def test_readyz_refuses_while_a_migration_is_unapplied(client, monkeypatch):
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    from config import health

    monkeypatch.setattr(health, "_migrated", False)  # this process had seen them all applied
    graph = MigrationLoader(connection).graph
    # the last migration of an app (not a squash: the migrations it replaces would still count)
    leaf = next(n for n in sorted(graph.leaf_nodes()) if not graph.nodes[n].replaces)
    latest = MigrationRecorder.Migration.objects.get(app=leaf[0], name=leaf[1])
    latest.delete()  # as if the migrate step had not run yet (rolled back with the test)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["failed"] == ["migrations"] and resp.json()["checks"]["migrations"] == "1 unapplied"
    latest.save()
    assert client.get("/readyz").status_code == 200
