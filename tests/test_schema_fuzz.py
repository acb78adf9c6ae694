"""Fuzz the whole OpenAPI schema with schemathesis: no request may produce a 5xx.

Runs in-process against the WSGI application, as the anonymous public and as an
admin (HTTP Basic), on the real test database.
"""

from __future__ import annotations

import base64

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from config.wsgi import application


def _load_schema():
    """The schema as /api/schema/ serves it to staff (the endpoint is not public),
    fuzzed against the WSGI application."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    document = json.loads(OpenApiJsonRenderer().render(generated))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    loaded.location = "/api/schema/"
    return loaded


schema = _load_schema()

FUZZ_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def wsgi_db(django_db_setup, django_db_blocker, db):
    """Keep the test's transaction open across in-process WSGI calls."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_auth(wsgi_db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("fuzz-admin", password="fuzz-pass-123")
    user.groups.add(Group.objects.get(name="admin"))
    token = base64.b64encode(b"fuzz-admin:fuzz-pass-123").decode()
    return {"Authorization": f"Basic {token}"}


def _assert_no_server_error(case, headers=None):
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:500]}"
    )


@schema.parametrize()
@FUZZ_SETTINGS
def test_public_requests_never_5xx(case, wsgi_db):
    _assert_no_server_error(case)


@schema.parametrize()
@FUZZ_SETTINGS
def test_admin_requests_never_5xx(case, admin_auth):
    _assert_no_server_error(case, headers=admin_auth)
