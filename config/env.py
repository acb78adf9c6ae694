"""Every environment variable the platform reads, in one place.

Settings modules import from here; nothing else calls ``os.environ`` for
configuration.  Defaults are for a developer machine; production sets them.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() and not key.startswith("#"):
                values[key.strip()] = value.strip()
    return values


def _load_runtime_env() -> None:
    """Values the set-up script chose for this checkout (e.g. the URL of a
    project-local PostgreSQL cluster); real environment variables win."""
    for key, value in _read_env_file(BASE_DIR / "var" / "runtime.env").items():
        os.environ.setdefault(key, value)


def local_secrets() -> dict[str, str]:
    """The secret key and salt ``scripts/setup.sh`` generated for this checkout
    (``var/secrets.env``, never committed).  Only the demo/developer settings
    read them; production takes its secrets from the environment alone."""
    return _read_env_file(BASE_DIR / "var" / "secrets.env")


_load_runtime_env()


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = _bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgis://postgres@127.0.0.1:5432/tianshui_cim"
)
# A streaming replica (hot standby) for read-only traffic: dashboards' statistics,
# tile builds, exports (config/common/replica.py).  Empty: everything on the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
# The replica is skipped while it is further behind than this many seconds; its
# health is checked every REPLICA_CHECK_S; work that must see the latest commits
# waits up to REPLICA_WAIT_S for the replica to replay them.
REPLICA_MAX_LAG_S = float(os.environ.get("CIM_REPLICA_MAX_LAG_S", "30"))
REPLICA_CHECK_S = float(os.environ.get("CIM_REPLICA_CHECK_S", "5"))
REPLICA_WAIT_S = float(os.environ.get("CIM_REPLICA_WAIT_S", "5"))
TEST_DATABASE_NAME = os.environ.get("TEST_DATABASE_NAME", "test_tianshui_cim")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "tianshui")

MEDIA_ROOT = Path(os.environ.get("CIM_MEDIA_ROOT", BASE_DIR / "media"))
STATIC_ROOT = Path(os.environ.get("CIM_STATIC_ROOT", BASE_DIR / "staticfiles"))
SHARED_DATA_DIR = Path(
    os.environ.get("CIM_SHARED_DATA", BASE_DIR.parent / "shared" / "data")
)
# Host printed in plate QR codes (https://<host>/P/<CODE>).
PLATE_HOST = os.environ.get("CIM_PLATE_HOST", "TS.GOV.CN")
# Salt for hashing client addresses in scan statistics (never store raw IPs).
CLIENT_HASH_SALT = os.environ.get("CIM_CLIENT_HASH_SALT", "")

# Reverse proxies whose X-Forwarded-For is believed (addresses or networks,
# comma-separated).  Empty: none, so clients cannot choose their own address.
TRUSTED_PROXIES = _list("CIM_TRUSTED_PROXIES", "")

# A signed-in session ends after this many seconds without a request
# (control-room screens on shared desks); 0 keeps sessions until they expire.
SESSION_IDLE_TIMEOUT_S = int(os.environ.get("CIM_SESSION_IDLE_TIMEOUT_S", str(8 * 3600)))

# Where browsers open WebSockets (the ASGI process).  Empty: same origin as the
# page, i.e. behind a reverse proxy that routes /ws/ to the ASGI server.
WS_URL = os.environ.get("CIM_WS_URL", "")

GDAL_LIBRARY_PATH = os.environ.get("GDAL_LIBRARY_PATH")
GEOS_LIBRARY_PATH = os.environ.get("GEOS_LIBRARY_PATH")

# Celery (long jobs on workers): the broker and result store default to the
# Redis server above, database 1, so queued tasks never mix with the cache and
# the channel layer.  The queue name is prefixed with REDIS_PREFIX so that two
# checkouts (or two test runs) on one Redis never take each other's tasks.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL.rsplit("/", 1)[0] + "/1")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_QUEUE = os.environ.get("CELERY_QUEUE", f"{REDIS_PREFIX}:jobs")
# A running job whose worker wrote no heartbeat for this long is marked failed (lost).
JOB_LOST_AFTER_S = float(os.environ.get("CIM_JOB_LOST_AFTER_S", "60"))
# Tasks run in the calling process (no worker): for a developer without Redis only.
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
