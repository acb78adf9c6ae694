"""scripts/backup.sh and scripts/restore.sh: the test database and a media
folder are backed up, restored into a fresh database and an empty folder, and
the copy holds the same rows, the same files, and serves the same plate page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.deploy, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _url(database: dict, name: str) -> str:
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    return f"postgis://{user}{password}@{host}:{port}/{name}"


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(_libpq(url)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _run(script: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", f"scripts/{script}", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def fresh_database(django_db_blocker):
    """An empty database next to the test database (dropped afterwards)."""
    with django_db_blocker.unblock():
        database = dict(connection.settings_dict)
    name = f"{database['NAME']}_restore"
    admin = _libpq(_url(database, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _url(database, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_into_an_empty_database(site, django_db_blocker, fresh_database, tmp_path):
    with django_db_blocker.unblock():
        source = _url(dict(connection.settings_dict), connection.settings_dict["NAME"])
    media = tmp_path / "media"
    (media / "tiles" / "t").mkdir(parents=True)
    (media / "tiles" / "t" / "r0.glb").write_bytes(b"glTF" + os.urandom(4096))
    (media / "private" / "emergency").mkdir(parents=True)
    (media / "private" / "emergency" / "call.wav").write_bytes(os.urandom(1000))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CIM_MEDIA"))}

    made = _run(
        "backup.sh",
        str(tmp_path / "backups"),
        env={**base, "DATABASE_URL": source, "CIM_MEDIA_ROOT": str(media)},
    )
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("cim-") and folder.name.endswith("Z")
    assert {p.name for p in folder.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS", "MANIFEST"}
    assert (folder / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    restored_media = tmp_path / "restored-media"
    target = {**base, "DATABASE_URL": fresh_database, "CIM_MEDIA_ROOT": str(restored_media)}
    done = _run("restore.sh", str(folder), env=target)
    assert done.returncode == 0, done.stderr

    expected = _counts(source)
    assert expected["cim_plate"] == 1 and expected["cim_address"] > 0
    assert _counts(fresh_database) == expected
    for path in media.rglob("*"):
        if path.is_file():
            assert (restored_media / path.relative_to(media)).read_bytes() == path.read_bytes()

    # the restored database serves the plate page (a Django process of its own on it)
    code = (
        "import django; django.setup(); from django.test import Client; "
        f"r = Client().get('/P/{site.plate_code}'); "
        f"print(r.status_code, {site.door_name!r} in r.content.decode())"
    )
    page = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **target,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "REDIS_PREFIX": "restore-check",
            "PYTHONPATH": str(ROOT),
        },
    )
    assert page.stdout.split() == ["200", "True"], page.stderr[-2000:]

    # (the scan was counted: the restored database is a working one)
    after_scan = _counts(fresh_database)
    assert after_scan["cim_platescanday"] == expected["cim_platescanday"] + 1
    # a second restore onto the now non-empty database is refused, and changes nothing
    again = _run("restore.sh", str(folder), env={**target, "CIM_MEDIA_ROOT": str(tmp_path / "other")})
    assert again.returncode == 2 and "not empty" in again.stderr
    assert _counts(fresh_database) == after_scan


def test_restore_refuses_a_damaged_backup(tmp_path, fresh_database):
    folder = tmp_path / "cim-broken"
    folder.mkdir()
    (folder / "database.dump").write_bytes(b"PGDMP-not-really")
    (folder / "media.tar.gz").write_bytes(b"")
    (folder / "SHA256SUMS").write_text("0" * 64 + "  database.dump\n")
    env = {**os.environ, "DATABASE_URL": fresh_database, "CIM_MEDIA_ROOT": str(tmp_path / "m")}
    done = _run("restore.sh", str(folder), env=env)
    assert done.returncode == 2 and "damaged" in done.stderr
    assert _counts(fresh_database) == {}
