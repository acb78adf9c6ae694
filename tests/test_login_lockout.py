"""Brute-force protection on login (issue 12, security fix 4): after five
wrong passwords the right one no longer works, on the login form and on HTTP
Basic; a forged X-Forwarded-For does not reset the count; the lockout is
audited; an administrator can unlock."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.test import Client

from cim.models import AuditLog

LOGIN = "/accounts/login/"


@pytest.fixture
def lockout_on(settings, db, django_user_model):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    return django_user_model.objects.create_user("disp", password="right-pass-123")


def _login(client: Client, password: str, username: str = "disp"):
    return client.post(LOGIN, {"username": username, "password": password})


def _basic(client: Client, password: str, username: str = "disp"):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get("/api/cim/admin-areas/", HTTP_AUTHORIZATION=f"Basic {token}")


def test_login_form_locks_after_failures_and_admin_unlocks(lockout_on):
    client = Client(REMOTE_ADDR="10.20.0.1")
    for _ in range(25):
        _login(client, "wrong")
    resp = _login(client, "right-pass-123")
    assert resp.status_code == 429 and "_auth_user_id" not in client.session
    assert "登录已暂时锁定" in resp.content.decode()
    assert AuditLog.objects.filter(action="auth.lockout", object_id="disp").exists()
    call_command("axes_reset_username", "disp", verbosity=0)
    call_command("axes_reset_ip", "10.20.0.1", verbosity=0)
    resp = _login(Client(REMOTE_ADDR="10.20.0.1"), "right-pass-123")
    assert resp.status_code == 302


def test_http_basic_is_locked_too(lockout_on):
    client = Client(REMOTE_ADDR="10.20.0.2")
    assert _basic(client, "right-pass-123").status_code == 200
    for _ in range(6):
        assert _basic(client, "wrong").status_code in (401, 403)
    assert _basic(client, "right-pass-123").status_code in (401, 403)


def test_forwarded_for_does_not_reset_the_count(lockout_on):
    # No proxy is trusted by default: a client that invents a new
    # X-Forwarded-For on every try is still the same client.
    for i in range(6):
        _login(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"), "wrong",
               username=f"someone{i}")
    resp = _login(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.99"), "right-pass-123")
    assert resp.status_code == 429


def test_client_ip_trusts_only_named_proxies(settings):
    from config.common.clientip import client_ip_from_meta

    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.2"}
    settings.TRUSTED_PROXIES = []
    assert client_ip_from_meta(meta) == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip_from_meta(meta) == "10.0.0.2"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_ip_from_meta(meta) == "203.0.113.7"
    assert client_ip_from_meta({**meta, "HTTP_X_FORWARDED_FOR": "not-an-ip"}) == "127.0.0.1"
    assert client_ip_from_meta({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}) == "192.0.2.1"
