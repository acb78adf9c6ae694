"""Supplies: allocation from the depots nearest by road that hold enough,
request → commit → ship → receive, stock never negative (also under
concurrent commits), replenishment alerts."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from emergency import services
from emergency.allocation import Offer, allocate
from emergency.errors import InsufficientStock, InvalidTransition
from emergency.models import ReplenishmentAlert, Stock, StockMovement, SupplyAllocation, SupplyRequest
from tests.concurrency import race
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def stock_of(depot, item) -> int:
    return Stock.objects.get(depot=depot, item=item).quantity


def put(depot, item, quantity, minimum=0):
    return services.stock_set(depot=depot, item=item, quantity=quantity, minimum=minimum, by="keeper")


def test_allocation_rule():
    offers = [Offer(1, 5, 100.0), Offer(2, 50, 300.0), Offer(3, 8, 200.0), Offer(4, 99, float("inf"))]
    assert allocate(10, offers) == ([(2, 10)], 0)  # nearest depot holding all of it
    assert allocate(4, offers) == ([(1, 4)], 0)
    assert allocate(60, offers[:3]) == ([(1, 5), (3, 8), (2, 47)], 0)  # nearest first when none suffices
    assert allocate(70, offers[:3]) == ([(1, 5), (3, 8), (2, 50)], 7)
    assert allocate(100, offers)[0][-1] == (4, 37)  # unreachable depots last (100 − 5 − 8 − 50)


def test_commit_takes_from_the_nearest_depot_by_road_that_holds_enough(depots, incident_at, api):
    d, tents = depots["depots"], depots["tents"]
    incident = incident_at(*node(4, 3))  # D-C at (3, 2) is nearest, D-NE at (5, 5) next
    put(d["D-C"], tents, 20)
    put(d["D-NE"], tents, 200)
    put(d["D-SW"], tents, 500)
    client, _ = api("dispatcher")
    resp = client.post("/api/emergency/supply-requests/", {
        "incident": incident.pk, "lines": [{"item": tents.pk, "quantity": 50}]}, format="json")
    assert resp.status_code == 201 and resp.json()["status"] == "requested"
    request_id = resp.json()["id"]
    commander, _ = api("commander")
    assert client.post(f"/api/emergency/supply-requests/{request_id}/commit/").status_code == 403
    resp = commander.post(f"/api/emergency/supply-requests/{request_id}/commit/")
    assert resp.status_code == 200, resp.content
    (line,) = resp.json()["lines"]
    assert [(a["depot"], a["quantity"]) for a in line["allocations"]] == [(d["D-NE"].pk, 50)]
    assert line["allocations"][0]["eta_s"] > 0
    assert stock_of(d["D-NE"], tents) == 150 and stock_of(d["D-C"], tents) == 20
    assert StockMovement.objects.filter(reason="commit", delta=-50).count() == 1
    for step in ("ship", "receive"):
        assert client.post(f"/api/emergency/supply-requests/{request_id}/{step}/").status_code == 200
    assert SupplyRequest.objects.get(pk=request_id).status == "received"
    again = client.post(f"/api/emergency/supply-requests/{request_id}/ship/")
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"


def test_split_across_depots_nearest_first(depots, incident_at):
    d, water = depots["depots"], depots["water"]
    incident = incident_at(*node(4, 3))
    put(d["D-C"], water, 30)
    put(d["D-NE"], water, 30)
    put(d["D-SW"], water, 30)
    req = services.supply_request_create(incident=incident, lines=[(water.pk, 70)], by="x")
    services.supply_request_commit(request=req, by="x")
    got = {a.depot_id: a.quantity for a in SupplyAllocation.objects.all()}
    assert got == {d["D-C"].pk: 30, d["D-NE"].pk: 30, d["D-SW"].pk: 10}


def test_shortage_is_409_and_nothing_moves(depots, incident_at, api):
    d, tents, water = depots["depots"], depots["tents"], depots["water"]
    incident = incident_at(*node(4, 3))
    put(d["D-C"], tents, 100)
    put(d["D-C"], water, 5)
    req = services.supply_request_create(incident=incident, lines=[(tents.pk, 10), (water.pk, 9)], by="x")
    client, _ = api("commander")
    resp = client.post(f"/api/emergency/supply-requests/{req.pk}/commit/")
    assert resp.status_code == 409
    assert resp.json()["error"] == "insufficient_stock" and "short by 4" in resp.json()["detail"]
    assert stock_of(d["D-C"], tents) == 100 and stock_of(d["D-C"], water) == 5
    assert not SupplyAllocation.objects.exists()
    assert SupplyRequest.objects.get(pk=req.pk).status == "requested"
    assert not StockMovement.objects.filter(reason="commit").exists()


def test_cancel_after_commit_returns_the_stock(depots, incident_at):
    d, tents = depots["depots"], depots["tents"]
    incident = incident_at(*node(4, 3))
    put(d["D-C"], tents, 40)
    req = services.supply_request_create(incident=incident, lines=[(tents.pk, 15)], by="x")
    services.supply_request_commit(request=req, by="x")
    assert stock_of(d["D-C"], tents) == 25
    services.supply_request_cancel(request=req, by="x", reason="已就地解决")
    assert stock_of(d["D-C"], tents) == 40
    with pytest.raises(InvalidTransition):
        services.supply_request_ship(request=req, by="x")


def test_replenishment_alert_below_minimum_and_resolved_by_restock(depots, incident_at, api):
    d, tents = depots["depots"], depots["tents"]
    incident = incident_at(*node(4, 3))
    put(d["D-C"], tents, 30, minimum=25)
    assert not ReplenishmentAlert.objects.exists()
    req = services.supply_request_create(incident=incident, lines=[(tents.pk, 10)], by="x")
    services.supply_request_commit(request=req, by="x")
    alert = ReplenishmentAlert.objects.get(resolved_at__isnull=True)
    assert (alert.quantity_at_alert, alert.minimum) == (20, 25)
    client, _ = api("dispatcher")
    listed = client.get("/api/emergency/replenishment-alerts/").json()["results"]
    assert [a["item_name"] for a in listed] == ["帐篷"]
    commander, _ = api("commander")
    resp = commander.post(f"/api/emergency/depots/{d['D-C'].pk}/stock/", {"item": tents.pk, "delta": 10},
                          format="json")
    assert resp.status_code == 200 and resp.json()["quantity"] == 30
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_stock_cannot_go_negative_even_bypassing_the_service(depots):
    stock = put(depots["depots"]["D-C"], depots["tents"], 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(quantity=-1)
    with pytest.raises(InsufficientStock):
        services.stock_set(depot=stock.depot, item=stock.item, delta=-4, by="keeper")
    assert stock_of(stock.depot, stock.item) == 3


@pytest.mark.parametrize("body,field", [
    ({"item": 1, "quantity": -1}, "quantity"), ({"item": 1, "delta": "many"}, "delta"),
    ({"item": 999999, "delta": 1}, "item"), ({"delta": 1}, "item"),
])
def test_bad_stock_input(depots, api, body, field):
    client, _ = api("commander")
    if body.get("item") == 1:
        body = {**body, "item": depots["tents"].pk}
    resp = client.post(f"/api/emergency/depots/{depots['depots']['D-C'].pk}/stock/", body, format="json")
    assert resp.status_code == 400
    assert resp.json()["field"] == field
    assert not Stock.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_never_oversell(depots, incident_at, user_with):
    d, tents = depots["depots"], depots["tents"]
    put(d["D-C"], tents, 10)
    incident = incident_at(*node(4, 3))
    requests = [services.supply_request_create(incident=incident, lines=[(tents.pk, 3)], by="x")
                for _ in range(6)]
    commander = user_with("commander")
    codes: list[int] = []

    def commit(req):
        client = APIClient()
        client.force_authenticate(commander)
        codes.append(client.post(f"/api/emergency/supply-requests/{req.pk}/commit/").status_code)

    race(commit, [(r,) for r in requests], 60)
    assert sorted(codes) == [200, 200, 200, 409, 409, 409]
    assert stock_of(d["D-C"], tents) == 1
    assert SupplyRequest.objects.filter(status="committed").count() == 3
    movements = list(StockMovement.objects.filter(reason="commit").order_by("id")
                     .values_list("quantity_after", flat=True))
    assert movements == [7, 4, 1]
