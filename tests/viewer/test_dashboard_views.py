"""The operations dashboard page (/dashboard/): who may open it and the configuration it gets
(the statistics endpoints it draws from, the WebSocket base, the synthetic badge)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from cim import roles
from emergency.models import Agency
from tests.viewer.pages import json_script, page_and_api, signed_in_client

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def _login(make_user, role: str | None) -> Client:
    return signed_in_client(make_user(role, f"{role or 'norole'}_dash"))


def _config(response) -> dict:
    return json_script(response.content.decode(), "dashboard-config")


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
    page, api = page_and_api(make_user(roles.DISPATCHER, "duty"))
    config = _config(page.get(DASHBOARD))
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
    basemap = json_script(html, "dashboard-config")["basemap"]
    assert basemap["roadsUrl"] == reverse("road-list")
    assert basemap["adminBoundariesUrl"] == reverse("map-admin-boundaries")
    strings = json_script(html, "dashboard-i18n")
    assert strings["layerRoads"] == "Roads" and strings["loadingLayer"]
