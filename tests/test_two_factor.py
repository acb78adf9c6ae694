"""Second factor (TOTP) for staff, required for administrators; password policy;
idle sessions end (issue 12, security fix 12)."""

from __future__ import annotations

import base64
import time

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cim.models import AuditLog

PASSWORD = "Tianshui-2026-admin"


@pytest.fixture
def admin_user(db, django_user_model, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ("admin",)
    user = django_user_model.objects.create_user("chief", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def test_admin_must_enrol_then_signs_in_with_code(admin_user):
    client = Client()
    resp = client.post("/accounts/login/", {"username": "chief", "password": PASSWORD})
    assert resp.status_code == 302
    # Nothing but enrolment until a second factor is set up.
    assert client.get("/dashboard/").url.startswith("/accounts/two-factor/")
    api = client.get("/api/cim/admin-areas/")
    assert api.status_code == 403 and api.json()["error"] == "second_factor_required"
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert client.post("/accounts/two-factor/", {"otp_token": "000000" if _code(device) != "000000"
                                                 else "111111"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code holds the next try back for a second
    assert client.post("/accounts/two-factor/", {"otp_token": _code(device)}).status_code == 302
    assert client.get("/api/cim/admin-areas/").status_code == 200
    assert AuditLog.objects.filter(action="auth.two_factor_enrol", actor=admin_user).exists()

    # Next time: the password alone is not enough.
    fresh = Client()
    resp = fresh.post("/accounts/login/", {"username": "chief", "password": PASSWORD})
    assert resp.status_code == 200 and "6 位动态口令" in resp.content.decode()
    device.refresh_from_db()
    resp = fresh.post("/accounts/login/", {"username": "chief", "password": PASSWORD,
                                           "otp_token": _code(device, offset=1)})
    assert resp.status_code == 302
    assert fresh.get("/api/cim/admin-areas/").status_code == 200


def test_http_basic_refused_for_accounts_that_need_a_second_factor(admin_user):
    token = base64.b64encode(f"chief:{PASSWORD}".encode()).decode()
    resp = Client().get("/api/cim/admin-areas/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert resp.status_code in (401, 403) and "second factor" in resp.content.decode()


def test_other_roles_may_sign_in_without_a_second_factor(admin_user, django_user_model):
    user = django_user_model.objects.create_user("planner1", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="planner")[0])
    client = Client()
    assert client.post("/accounts/login/", {"username": "planner1", "password": PASSWORD}).status_code == 302
    assert client.get("/api/cim/admin-areas/").status_code == 200


def test_password_policy():
    for weak in ("short1A", "tianshui2026", "12345678901", "abcdefghijk"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Tianshui-2026x")


def test_idle_session_ends(db, django_user_model, settings):
    settings.SESSION_IDLE_TIMEOUT_S = 60
    user = django_user_model.objects.create_user("desk", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="dispatcher")[0])
    client = Client()
    client.post("/accounts/login/", {"username": "desk", "password": PASSWORD})
    assert client.get("/api/emergency/incidents/").status_code == 200
    session = client.session
    session["cim_last_seen"] = int(time.time()) - 120
    session.save()
    resp = client.get("/console/")
    assert resp.status_code == 302 and "idle=1" in resp.url
    assert client.get("/api/emergency/incidents/").status_code in (401, 403)
