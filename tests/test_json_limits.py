"""Bad JSON of any shape gets a 400, never a 500 (issue 12, security fix 1):
deeply nested bodies, oversized bodies, invalid text — on the public report
API, the incident API and the live WebSocket's message parser."""

from __future__ import annotations

import pytest
from django.test import Client

from cim.models import PublicReport
from config.common.jsonlimits import JSONLimitError, json_depth, loads_limited

DEEP = "[" * 100_000


def test_loads_limited_refuses_deep_large_and_invalid_text():
    assert loads_limited('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for text, code in ((DEEP, "too_deep"), ("[" * 70 + "]" * 70, "too_deep"),
                       ("{'a': 1}", "invalid_json"), ("", "invalid_json")):
        with pytest.raises(JSONLimitError) as caught:
            loads_limited(text)
        assert caught.value.code == code
    with pytest.raises(JSONLimitError) as caught:
        loads_limited("[" + "1," * 600 + "1]", max_bytes=1000)
    assert caught.value.code == "too_large"
    assert json_depth([[[]], {"a": {"b": []}}]) == 4 and json_depth(5) == 0


def test_public_report_api_answers_nested_json_with_400(plate_city):
    url = f"/api/cim/public/plates/{plate_city['plate'].code}/reports/"
    resp = Client(REMOTE_ADDR="10.9.0.1").post(url, DEEP, content_type="application/json")
    assert resp.status_code == 400 and "deeper" in resp.content.decode()
    assert PublicReport.objects.count() == 0


@pytest.mark.django_db
def test_incident_api_answers_nested_and_oversized_json_with_400(client_for, settings):
    client = client_for("dispatcher")
    resp = client.post("/api/emergency/incidents/", DEEP, content_type="application/json")
    assert resp.status_code == 400 and "deeper" in resp.content.decode()
    settings.API_JSON_MAX_BYTES = 1000
    big = '{"title": "' + "火" * 2000 + '"}'
    resp = client.post("/api/emergency/incidents/", big, content_type="application/json")
    assert resp.status_code == 400 and "at most 1000" in resp.content.decode()
    from emergency.models import Incident

    assert not Incident.objects.exists()  # nothing stored by either refused body
