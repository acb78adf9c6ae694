"""Test settings: real PostGIS and Redis, fast password hashing."""

import os

from .base import *  # noqa: F401,F403
from .base import env

# One namespace in Redis per test run, and per pytest-xdist worker within a run
# (the servers and workers a test starts inherit both variables, so they share
# their test's namespace).
_RUN = env.TEST_DATABASE_NAME + (f":{os.environ['PYTEST_XDIST_WORKER']}"
                                 if os.environ.get("PYTEST_XDIST_WORKER") else "")

DEBUG = False
WHITENOISE_AUTOREFRESH = True
SECRET_KEY = "test-only-key-not-secret-0123456789abcdef0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CIM["CLIENT_HASH_SALT"] = "test-salt"  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"{env.REDIS_PREFIX}:test:{_RUN}"  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = (  # noqa: F405
    f"{env.REDIS_PREFIX}:test:{_RUN}:asgi"
)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
CIM["SCAN_BATCH_S"] = 0  # noqa: F405  (one Redis round trip per scan; the batched scans have tests of their own)
CIM["ROUTING_CHECK_INTERVAL_S"] = 0  # noqa: F405  (tests change roads between queries: check every time)
# Recommendations read the database on every call, as before the in-memory
# picture: tests write with plain ORM calls and recommend at once, faster than
# PostgreSQL's change notice reaches the listener thread.  The picture has
# its own tests (tests/emergency/test_dispatch_state.py), which switch it on.
EMERGENCY = {"DISPATCH_STATE_CACHE": False}
# Django's test client logs in without a request, which the lockout backend
# refuses; the lockout has its own tests (tests/test_login_lockout.py), which
# switch it on.
AXES_ENABLED = False
# Most tests sign in administrators without an authenticator; the second
# factor has its own tests (tests/test_two_factor.py), which require it.
TWO_FACTOR_REQUIRED_ROLES = ()
# Each test run has its own Celery queue (and key prefix), so parallel runs on one
# Redis never take each other's tasks; the worker a test starts reads the same.
CELERY_TASK_DEFAULT_QUEUE = f"{env.REDIS_PREFIX}:test:{_RUN}:jobs"  # noqa: F405
CELERY_TASK_ROUTES = {"emergency.notify_*": {"queue": f"{CELERY_TASK_DEFAULT_QUEUE}:notify"}}
CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405
    "visibility_timeout": 3600,
    "global_keyprefix": f"{env.REDIS_PREFIX}:test:{_RUN}:celery:",
}
