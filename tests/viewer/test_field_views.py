"""The field app's page, manifest and service worker, and the console's acknowledgement
setting."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cim import roles
from tests.viewer.pages import json_script
from tests.viewer.test_console_views import _config

pytestmark = pytest.mark.django_db


def _login(make_user, role):
    client = Client()
    client.force_login(make_user(role, f"{role}_field"))
    return client


def test_the_page_is_for_responders_in_both_languages(make_user):
    page = _login(make_user, roles.RESPONDER).get("/field/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'rel="manifest" href="/field/manifest.webmanifest"' in html
    config = json_script(html, "field-config")
    assert config["api"]["ops"] == "/api/emergency/field/ops/" and config["serviceWorker"] == "/field/sw.js"
    assert json_script(html, "field-i18n")["acknowledge"] == "确认接收"
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(make_user(roles.RESPONDER, "responder_en"))
    strings = json_script(english.get("/field/").content.decode(), "field-i18n")
    assert strings["acknowledge"] == "Acknowledge" and strings["status:on_scene"] == "On scene"
    assert _login(make_user, roles.DISPATCHER).get("/field/").status_code == 403
    assert Client().get("/field/").status_code == 302  # to the sign-in page


def test_manifest_and_worker_are_public_and_cache_the_apps_own_files():
    manifest = Client().get("/field/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    body = json.loads(manifest.content)
    assert body["start_url"] == "/field/" and body["display"] == "standalone" and body["icons"]
    worker = Client().get("/field/sw.js")
    assert worker.status_code == 200 and worker["Service-Worker-Allowed"] == "/field/"
    text = worker.content.decode()
    assert "/static/viewer/field/main.js" in text and '"/field/"' in text
    for line in text.splitlines():  # nothing from another host
        assert "http://" not in line and "https://" not in line


def test_console_gets_the_acknowledgement_timeout(make_user, settings):
    settings.EMERGENCY = {**settings.EMERGENCY, "FIELD_ACK_TIMEOUT_S": 45}
    config = _config(_login(make_user, roles.DISPATCHER).get("/console/"))
    assert config["fieldAckTimeoutS"] == 45 and config["voiceMaxS"] == 60.0
