"""Query strings of the emergency API are checked by the serializers of
``emergency.api.queries``: a bad value is a 400 in the one error shape
naming the parameter; absent or empty parameters filter nothing; good
values filter as before."""

from __future__ import annotations

import pytest

from emergency.api.queries import AssignmentQuery, IncidentQuery, RecommendationQuery, UnitQuery
from tests.emergency.conftest import node

BASE = "/api/emergency"


@pytest.mark.django_db
@pytest.mark.parametrize("path,field", [
    ("incidents/?status=bogus", "status"),
    ("incidents/?active=maybe", "active"),
    ("incidents/?level=VI", "level"),
    ("incidents/?incident_type=meteor", "incident_type"),
    ("incidents/?bbox=1,2,3", "bbox"),
    ("incidents/geojson/?bbox=3,2,1,4", "bbox"),
    ("units/?status=asleep", "status"),
    ("units/?unit_type=zeppelin", "unit_type"),
    ("units/?agency=x", "agency"),
    ("units/?agency=0", "agency"),
    ("units/geojson/?bbox=a,b,c,d", "bbox"),
    ("assignments/?active=2", "active"),
    ("closures/?in_force=perhaps", "in_force"),
    ("zones/?incident=-3", "incident"),
    ("zones/?active=x", "active"),
    ("events/?after=-1", "after"),
    ("events/?after=1.5", "after"),
    ("supply-requests/?status=lost", "status"),
])
def test_a_bad_query_parameter_is_a_400_naming_it(api, path, field):
    client, _ = api("admin")
    resp = client.get(f"{BASE}/{path}")
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["field"] == field and body["error"] and body["detail"]


@pytest.mark.django_db
def test_recommendation_parameters_are_checked(api, incident_at, grid_city):
    client, _ = api("dispatcher")
    incident = incident_at(*node(2, 2))
    url = f"{BASE}/incidents/{incident.pk}/recommendations/"
    for query, field in (("?unit_type=zeppelin", "unit_type"), ("?unit_type=ambulance&count=0", "count"),
                         ("?unit_type=ambulance&count=101", "count")):
        resp = client.get(url + query)
        assert resp.status_code == 400 and resp.json()["field"] == field
    assert client.get(url + "?unit_type=ambulance&count=2").status_code == 200
    resp = client.get(f"{BASE}/incidents/{incident.pk}/assignments/?active=sometimes")
    assert resp.status_code == 400 and resp.json()["field"] == "active"


class _Request:
    def __init__(self, query: str):
        from django.http import QueryDict

        self.query_params = QueryDict(query)


def test_absent_or_empty_parameters_filter_nothing_and_values_are_typed():
    assert IncidentQuery.read(_Request("")) == {"status": None, "active": None, "level": None,
                                                "incident_type": None, "bbox": None}
    assert IncidentQuery.read(_Request("status=&active=&bbox=")) == IncidentQuery.read(_Request(""))
    assert AssignmentQuery.read(_Request("active=FALSE"))["active"] is False
    assert AssignmentQuery.read(_Request("active=yes"))["active"] is True
    assert RecommendationQuery.read(_Request("unit_type=ambulance")) == {"unit_type": "ambulance", "count": 1}
    unit = UnitQuery.read(_Request("agency=7&bbox=105.6,34.5,105.8,34.6&status=available&status=en_route"))
    assert unit["agency"] == 7 and unit["status"] == "en_route"  # the last value, as QueryDict.get gives
    assert unit["bbox"].extent == (105.6, 34.5, 105.8, 34.6)
