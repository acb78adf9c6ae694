"""The command console page (/console/): who may open it, what each role may do there, and
the configuration the page gets (WebSocket base, last event id, API addresses, labels, the
synthetic-data badge, the language)."""

from __future__ import annotations

import re

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse

from cim import roles
from emergency import services
from emergency.models import Event
from tests import factories
from tests.viewer.pages import json_script, page_and_api, signed_in_client

pytestmark = pytest.mark.django_db

CONSOLE = "/console/"


def _login(make_user, role: str | None, **headers) -> Client:
    return signed_in_client(make_user(role, f"{role or 'norole'}_console"), **headers)


def _config(response) -> dict:
    return json_script(response.content.decode(), "console-config")


def test_anonymous_visitor_is_sent_to_login():
    response = Client().get(CONSOLE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/console/" in response["Location"]


@pytest.mark.parametrize("role", [roles.PLANNER, None])
def test_roles_outside_emergency_are_refused(make_user, role):
    response = _login(make_user, role).get(CONSOLE)
    assert response.status_code == 403


@pytest.mark.parametrize("role, mode, commands", [
    (roles.COMMANDER, "command", True),
    (roles.ADMIN, "command", True),
    (roles.DISPATCHER, "command", False),
])
def test_control_room_gets_the_full_console(make_user, role, mode, commands):
    response = _login(make_user, role).get(CONSOLE)
    assert response.status_code == 200
    config = _config(response)
    assert config["mode"] == mode
    can = config["can"]
    # dispatch work: everyone in the control room
    for action in ("createIncident", "transition", "assign", "recommend", "requestSupplies", "shipSupplies",
                   "readRegistry", "tasks", "agencyTasks", "revealStream"):
        assert can[action] is True, action
    # command decisions: commanders and admins only (the API refuses the same)
    for action in ("level", "activatePlan", "zones", "alerts", "commitSupplies"):
        assert can[action] is commands, action
    html = response.content.decode()
    assert 'id="new-incident"' in html  # the form is there for the control room
    assert 'data-tab="dispatch"' in html


def test_departments_for_agency_tasks_in_the_page_language(make_user):
    """The agency-task form offers the departments the API takes (by code), named in the page's
    language; a responder's console offers none."""
    factories.departments()
    client = _login(make_user, roles.DISPATCHER)
    zh = _config(client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    en = _config(client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="en"))
    assert {"code": "gaj", "name": "公安局"} in zh["departments"]
    assert {"code": "gaj", "name": "Public Security Bureau"} in en["departments"]
    assert [d["code"] for d in zh["departments"]] == [d["code"] for d in en["departments"]]
    assert zh["api"]["agencyTasks"] == reverse("emergency:agency-task-list")
    assert _config(_login(make_user, roles.RESPONDER).get(CONSOLE))["departments"] == []


@pytest.mark.parametrize("module", ["agency_tasks.js", "alert_followups.js", "detail.js"])
def test_every_string_of_the_new_console_forms_is_in_both_languages(make_user, module):
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "viewer/static/viewer/console" / module).read_text()
    keys = set(re.findall(r"\bt\(\"(\w+)\"", source))
    keys |= {f"msgType_{m}" for m in ("Alert", "Update", "Cancel")}  # t(`msgType_${a.msg_type}`)
    client = _login(make_user, roles.COMMANDER)
    zh = json_script(client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(), "console-i18n")
    en = json_script(client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="en").content.decode(), "console-i18n")
    assert keys - set(zh) == set()
    untranslated = {k for k in keys if en[k] == zh[k] and re.search(r"[\u4e00-\u9fff]", zh[k])}
    assert untranslated == set()


def test_responder_sees_their_assignments_read_only(make_user):
    response = _login(make_user, roles.RESPONDER).get(CONSOLE)
    assert response.status_code == 200
    config = _config(response)
    assert config["mode"] == "responder"
    assert not any(config["can"].values()), config["can"]
    html = response.content.decode()
    assert 'id="new-incident"' not in html
    assert 'data-tab="dispatch"' not in html and 'data-tab="zones"' not in html
    assert "我的任务" in html


def test_page_tells_the_browser_where_the_websocket_is(make_user, settings):
    settings.CIM = {**settings.CIM, "WS_URL": "ws://127.0.0.1:8765/"}
    config = _config(_login(make_user, roles.COMMANDER).get(CONSOLE))
    assert config["wsUrl"] == "ws://127.0.0.1:8765"  # trailing slash trimmed: the client appends /ws/ops/

    settings.CIM = {**settings.CIM, "WS_URL": ""}
    config = _config(_login(make_user, roles.DISPATCHER).get(CONSOLE))
    assert config["wsUrl"] == ""  # same origin (a reverse proxy routes /ws/)


def test_page_resumes_the_live_feed_from_the_newest_event(make_user):
    client = _login(make_user, roles.COMMANDER)
    assert _config(client.get(CONSOLE))["lastEventId"] == 0
    dispatcher = make_user(roles.DISPATCHER, "taker")
    services.incident_create(title="测试", incident_type="fire", level="IV", source="119",
                             location=Point(105.72, 34.58, srid=4326), by=dispatcher)
    newest = Event.objects.order_by("-id").first()
    assert newest is not None and newest.kind == "incident.created"
    assert _config(client.get(CONSOLE))["lastEventId"] == newest.id


def test_synthetic_badge_only_with_generated_data(make_user):
    client = _login(make_user, roles.COMMANDER)
    assert 'id="synthetic-badge"' not in client.get(CONSOLE).content.decode()
    factories.building(105.72, 34.58, synthetic=True)
    assert 'id="synthetic-badge"' in client.get(CONSOLE).content.decode()


def test_every_api_address_in_the_config_answers_the_commander(make_user):
    """The page reads only these addresses; each must exist and let a commander read."""
    page, api = page_and_api(make_user(roles.COMMANDER, "reader"))
    config = _config(page.get(CONSOLE))
    checked = 0
    for name, url in config["api"].items():
        if name in ("search",):  # needs ?q=
            continue
        if name == "tasks":  # a prefix for /tasks/<id>/ (no list)
            assert url == "/api/emergency/tasks/"
            continue
        assert url, f"{name} has no address"
        response = api.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        checked += 1
    assert checked >= 15


def test_labels_carry_the_configured_zone_names_and_level_colours(make_user, settings):
    names = {"sealed": "高风险区", "controlled": "中风险区", "prevention": "低风险区"}
    settings.EMERGENCY = {"ZONE_NAMES": names}
    labels = _config(_login(make_user, roles.COMMANDER).get(CONSOLE))["labels"]
    assert labels["zoneTier"] == names
    assert labels["levelColour"] == {"I": "#e8262a", "II": "#ff8a1f", "III": "#ffd21f", "IV": "#2f7bff"}
    assert labels["typeCategory"]["fire"] == "accident"
    assert set(labels["unitStatus"]) == {"available", "dispatched", "en_route", "on_scene", "returning",
                                         "out_of_service"}


def test_console_speaks_english_when_asked(make_user):
    client = _login(make_user, roles.COMMANDER)
    zh = client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="en")
    assert "应急指挥调度台" in zh.content.decode()
    html = en.content.decode()
    assert "Emergency command console" in html and "应急指挥调度台" not in html
    strings = json_script(html, "console-i18n")
    assert strings["actVerify"] == "Verify"
    assert "Commander" in html and "指挥长" in zh.content.decode()  # the role in the status bar
    # the shared basemap is drawn with the console's own strings and configuration
    assert strings["layerRoads"] == "Roads"
    assert json_script(html, "console-config")["basemap"]["roadsUrl"] == reverse("road-list")
    # a page embeds only its own configuration
    assert 'id="planner-config"' not in html and 'id="planner-i18n"' not in html


def test_console_gives_the_basemap_every_address_and_string_it_reads(make_user):
    """The shared basemap module reads ``this.urls.<key>`` and ``this.t("<key>")``: the console
    passes it ``config.basemap`` and its own strings, so each key must be there (and resolve)."""
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "viewer/static/viewer/common/basemap.js").read_text()
    wanted = set(re.findall(r"this\.urls\.(\w+)", source))
    assert wanted, "the basemap reads its addresses from this.urls"
    html = _login(make_user, roles.DISPATCHER).get(CONSOLE).content.decode()
    given = json_script(html, "console-config")["basemap"]
    assert {key for key in wanted if not given.get(key)} == set()
    keys = set(re.findall(r"this\.t\(\"(\w+)\"", source))
    assert keys, "the basemap names its layers with this.t"
    assert keys <= set(json_script(html, "console-i18n"))


def test_shared_modules_read_nothing_from_the_page():
    """Modules under static/viewer/common are given their configuration by the page that uses
    them: none reads a page's JSON (only common/i18n.js defines the reader each page calls)."""
    from pathlib import Path

    common = Path(__file__).resolve().parents[2] / "viewer/static/viewer/common"
    readers = {path.relative_to(common).as_posix() for path in common.rglob("*.js")
               if re.search(r"readJSON\(|getElementById\(\"[\w-]*-(config|i18n)\"", path.read_text())}
    assert readers == {"i18n.js"}
    pages = Path(__file__).resolve().parents[2] / "viewer/static/viewer"
    for page in ("planner", "console", "dashboard"):
        source = (pages / page / "i18n.js").read_text()
        assert set(re.findall(r'readJSON\("([\w-]+)"\)', source)) == {f"{page}-config", f"{page}-i18n"}
