"""The demo seed: units at the city's stations, depots with stock, plans,
cameras; idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from emergency.models import Agency, Camera, Depot, Plan, Stock, Unit
from emergency.recommend import recommend_units
from emergency.services import incident_create, incident_transition, plan_activate
from tests import factories as f
from tests.emergency.conftest import build_grid, node

pytestmark = pytest.mark.django_db


def snapshot():
    return {m.__name__: sorted(m.objects.values_list("pk", flat=True))
            for m in (Agency, Unit, Depot, Stock, Plan, Camera)}


def test_seed_is_idempotent_and_usable(db):
    from django.contrib.gis.geos import Point

    with pytest.raises(CommandError, match="no fire stations"):
        call_command("seed_emergency_demo", stdout=io.StringIO())
    build_grid()
    f.service_point(*node(0, 0), "fire_station", "西关消防站")
    f.service_point(*node(5, 5), "fire_station", "东关消防站")
    f.service_point(*node(5, 0), "hospital", "市第一人民医院")
    f.service_point(*node(0, 5), "police_station", "大城派出所")
    call_command("seed_emergency_demo", stdout=io.StringIO())
    first = snapshot()
    assert Unit.objects.filter(unit_type="fire_engine").count() == 4
    assert Unit.objects.filter(unit_type="hazmat").count() == 1
    assert Unit.objects.filter(unit_type="ambulance", home_station__name="市第一人民医院").count() == 2
    assert len(first["Depot"]) == 3 and len(first["Camera"]) == 24 and len(first["Plan"]) == 12
    assert Stock.objects.filter(depot__code="DEPOT-1", item__code="TENT").get().quantity == 300
    assert all(u.synthetic for u in Unit.objects.all())
    out = io.StringIO()
    call_command("seed_emergency_demo", stdout=out)
    assert snapshot() == first
    assert "new: 0 agencies, 0 units, 0 items, 0 depots, 0 stock, 0 plans, 0 cameras" in out.getvalue()
    # and it is enough to run an incident through its plan
    incident = incident_create(title="居民楼火灾", incident_type="fire", level="III", source="119", by="t",
                               location=Point(*node(3, 2), srid=4326))
    incident = incident_transition(incident=incident, to="verified", by="t")
    plan_activate(incident=incident, by="t")
    groups = {g["unit_type"]: g for g in recommend_units(incident=incident)["groups"]}
    assert groups["fire_engine"]["needed"] == 4 and len(groups["fire_engine"]["candidates"]) == 4
    assert groups["aerial_ladder"]["shortfall"] == 0
