"""The operations dashboard page (/dashboard/): who may open it and the configuration it gets
(the statistics endpoints it draws from, the WebSocket base, the synthetic badge)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cim import roles
from emergency.models import Agency

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def _login(make_user, role: str | None) -> Client:
    client = Client()
    client.force_login(make_user(role, f"{role or 'norole'}_dash"))
    return client


def _config(response) -> dict:
    match = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    assert match
    return json.loads(match.group(1))


def test_anonymous_visitor_is_sent_to_login():
    response = Client().get(DASHBOARD)
    assert response.status_code == 302 and "next=/dashboard/" in response["Location"]


@pytest.mark.parametrize("role, status", [
    (roles.ADMIN, 200), (roles.COMMANDER, 200), (roles.DISPATCHER, 200),
    (roles.RESPONDER, 403), (roles.PLANNER, 403), (None, 403),
])
def test_operations_centre_roles_only(make_user, role, status):
    assert _login(make_user, role).get(DASHBOARD).status_code == status


def test_every_statistics_endpoint_is_configured_and_answers(make_user):
    user = make_user(roles.DISPATCHER, "duty")
    page = Client()
    page.force_login(user)
    config = _config(page.get(DASHBOARD))
    api = APIClient()
    api.force_authenticate(user)
    for name in ("statsIncidents", "statsResponse", "statsUnits", "statsSupplies", "statsPlates",
                 "incidents", "unitsGeo", "zones", "cityInfo"):
        url = config["api"][name]
        assert url, f"{name} is not routed"
        assert api.get(url).status_code == 200, name
    assert config["api"]["statsIncidents"] == reverse("emergency:stats-incidents")


def test_dashboard_page_context(make_user, settings):
    settings.CIM = {**settings.CIM, "WS_URL": "ws://127.0.0.1:8766"}
    client = _login(make_user, roles.COMMANDER)
    response = client.get(DASHBOARD)
    config = _config(response)
    assert config["wsUrl"] == "ws://127.0.0.1:8766"
    assert config["lastEventId"] == 0
    html = response.content.decode()
    assert "一屏观天下" in html
    for chart in ("chart-category", "chart-level", "chart-hour", "chart-response", "chart-units",
                  "chart-supplies", "chart-plates"):
        assert f'id="{chart}"' in html
    assert 'id="synthetic-badge"' not in html
    Agency.objects.create(code="X", name="演示机构", kind="fire", synthetic=True)
    assert 'id="synthetic-badge"' in client.get(DASHBOARD).content.decode()


def test_dashboard_in_english(make_user):
    response = _login(make_user, roles.COMMANDER).get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "One screen for the whole city" in html
    assert "一屏观天下" not in html


def test_dashboard_embeds_only_its_own_configuration(make_user):
    """The shared map draws the basemap from the dashboard's own config and strings; no other
    page's configuration is in the page."""
    html = _login(make_user, roles.DISPATCHER).get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    ids = set(re.findall(r'<script id="([\w-]+)" type="application/json">', html))
    assert ids == {"dashboard-config", "dashboard-i18n"}
    basemap = _config_of(html)["basemap"]
    assert basemap["roadsUrl"] == reverse("road-list")
    assert basemap["adminBoundariesUrl"] == reverse("map-admin-boundaries")
    strings = json.loads(re.search(r'<script id="dashboard-i18n" type="application/json">(.*?)</script>',
                                   html, re.S).group(1))
    assert strings["layerRoads"] == "Roads" and strings["loadingLayer"]


def _config_of(html: str) -> dict:
    match = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))
