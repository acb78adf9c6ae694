"""Writes of supplies: requests from incidents through commit → ship →
receive (or cancel), stock changes at depots, replenishment alerts.

Stock is only ever changed here, under row locks taken in pk order
(:func:`emergency.locks.lock_stock`), with ``F()`` updates; the check
constraint ``stock_quantity_nonnegative`` is the last line of defence.
"""

from __future__ import annotations

import math

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.allocation import Offer, allocate
from emergency.choices import StockMovementReason, SupplyRequestStatus, TimelineKind
from emergency.errors import Conflict, DomainError, InsufficientStock, InvalidTransition, NotFound, Unroutable
from emergency.events import emit
from emergency.models import (
    Depot,
    Incident,
    Item,
    ReplenishmentAlert,
    Stock,
    StockMovement,
    SupplyAllocation,
    SupplyRequest,
    SupplyRequestLine,
)
from emergency.routing import drive_graph, snap_point
from emergency.services._common import timeline_add
from emergency.states import INCIDENT_TERMINAL, SUPPLY_TRANSITIONS, allowed

__all__ = [
    "stock_set",
    "supply_request_cancel",
    "supply_request_commit",
    "supply_request_create",
    "supply_request_receive",
    "supply_request_ship",
]


def _user(by):
    return roles.acting_user(by)


def _move_stock(*, stock: Stock, delta: int, reason: str, by, request: SupplyRequest | None = None) -> Stock:
    """Change a locked stock row by ``delta`` and keep the stock card and the
    replenishment alert in step."""
    if stock.quantity + delta < 0:
        raise InsufficientStock(f"{stock.depot.name} holds {stock.quantity} {stock.item.name}; "
                                f"cannot take {-delta}", field="quantity")
    Stock.objects.filter(pk=stock.pk).update(quantity=F("quantity") + delta, updated_at=timezone.now())
    stock.refresh_from_db(fields=["quantity", "updated_at"])
    StockMovement.objects.create(depot_id=stock.depot_id, item_id=stock.item_id, delta=delta,
                                 quantity_after=stock.quantity, reason=reason, request=request, by=_user(by))
    _check_minimum(stock)
    emit("stock.changed", {"depot": stock.depot_id, "item": stock.item_id, "quantity": stock.quantity,
                           "delta": delta, "minimum": stock.minimum})
    return stock


def _check_minimum(stock: Stock) -> None:
    """Raise a replenishment alert below the minimum; resolve it when back."""
    open_alert = ReplenishmentAlert.objects.filter(stock=stock, resolved_at__isnull=True).first()
    if stock.quantity < stock.minimum and open_alert is None:
        alert = ReplenishmentAlert.objects.create(stock=stock, quantity_at_alert=stock.quantity,
                                                  minimum=stock.minimum)
        emit("stock.replenishment_alert", {"alert": alert.pk, "depot": stock.depot_id,
                                           "item": stock.item_id, "quantity": stock.quantity,
                                           "minimum": stock.minimum})
    elif stock.quantity >= stock.minimum and open_alert is not None:
        open_alert.resolved_at = timezone.now()
        open_alert.save(update_fields=["resolved_at"])
        emit("stock.replenished", {"alert": open_alert.pk, "depot": stock.depot_id, "item": stock.item_id})


@transaction.atomic
def stock_set(*, depot: Depot, item: Item, by, delta: int | None = None, quantity: int | None = None,
              minimum: int | None = None, reason: str = StockMovementReason.RESTOCK) -> Stock:
    """Restock or correct a depot's stock of an item (by ``delta`` or to an
    absolute ``quantity``), and/or set its minimum level."""
    if (delta is None) == (quantity is None) and minimum is None:
        raise DomainError("give either delta or quantity (and/or minimum)", field="delta")
    if delta is not None and quantity is not None:
        raise DomainError("give delta or quantity, not both", field="delta")
    if quantity is not None and quantity < 0:
        raise DomainError("quantity cannot be negative", field="quantity")
    if minimum is not None and minimum < 0:
        raise DomainError("minimum cannot be negative", field="minimum")
    if reason not in (StockMovementReason.RESTOCK, StockMovementReason.ADJUST):
        raise DomainError("reason must be restock or adjust", field="reason")
    Stock.objects.get_or_create(depot=depot, item=item, defaults={"quantity": 0})
    stock = locks.lock_stock_row(Stock.objects.get(depot=depot, item=item).pk)
    before = {"quantity": stock.quantity, "minimum": stock.minimum}
    if minimum is not None and minimum != stock.minimum:
        stock.minimum = minimum
        stock.save(update_fields=["minimum", "updated_at"])
    change = delta if delta is not None else (quantity - stock.quantity if quantity is not None else 0)
    if change:
        _move_stock(stock=stock, delta=change, reason=reason, by=by)
    else:
        _check_minimum(stock)
    audit_record(actor=by, action="stock.set", obj=stock, before=before,
                 after={"quantity": stock.quantity, "minimum": stock.minimum})
    return stock


@transaction.atomic
def supply_request_create(*, incident: Incident, lines: list[tuple[int, int]], by,
                          note: str = "") -> SupplyRequest:
    """Request supplies (item id, quantity) for an incident."""
    if not lines:
        raise DomainError("a request needs at least one line", field="lines")
    item_ids = [i for i, _ in lines]
    if len(set(item_ids)) != len(item_ids):
        raise DomainError("an item appears twice", field="lines")
    if any(q < 1 for _, q in lines):
        raise DomainError("quantities must be at least 1", field="lines")
    items = Item.objects.in_bulk(item_ids)
    if missing := set(item_ids) - set(items):
        raise NotFound(f"item {min(missing)} does not exist", field="lines")
    locked = locks.lock_incident(incident.pk)
    if locked.status in INCIDENT_TERMINAL:
        raise Conflict(f"incident {locked.number} is {locked.status}", field="incident")
    request = SupplyRequest.objects.create(incident=locked, requested_by=_user(by),
                                           note=clip(SupplyRequest, "note", note))
    SupplyRequestLine.objects.bulk_create(
        [SupplyRequestLine(request=request, item=items[i], quantity=q) for i, q in lines])
    text = "、".join(f"{items[i].name}×{q}" for i, q in lines)
    timeline_add(incident=locked, kind=TimelineKind.SUPPLY, by=by, text=f"申请物资: {text}",
                 data={"supply_request": request.pk})
    audit_record(actor=by, action="supply_request.create", obj=request,
                 after={"incident": locked.pk, "lines": [[i, q] for i, q in lines]})
    emit("supply_request.created", {"request": request.pk, "incident": locked.pk})
    return request


def _depot_times(incident: Incident, depots: list[Depot]) -> dict[int, float]:
    """Road time from each depot to the incident (one reverse search);
    without a road network, geodesic distance at 30 km/h stands in."""
    if not depots:
        return {}
    try:
        graph, closed = drive_graph()
        target = snap_point(graph, incident.location)
        snaps = graph.snap_many([d.geom.x for d in depots], [d.geom.y for d in depots])
        secs = graph.point_travel_times(target, snaps, reverse=True, closed=closed)
        return {d.pk: float(s) for d, s in zip(depots, secs, strict=True)}
    except Unroutable:
        from pyproj import Geod

        geod = Geod(ellps="GRS80")
        lon = np.array([d.geom.x for d in depots])
        lat = np.array([d.geom.y for d in depots])
        _, _, dist = geod.inv(lon, lat, np.full_like(lon, incident.location.x),
                              np.full_like(lat, incident.location.y))
        return {d.pk: float(m) / (30 / 3.6) for d, m in zip(depots, dist, strict=True)}


def _transition(request: SupplyRequest, to: str) -> str:
    if not allowed(SUPPLY_TRANSITIONS, request.status, to):
        raise InvalidTransition("supply request", request.status, to,
                                SUPPLY_TRANSITIONS.get(request.status, frozenset()))
    current = request.status
    request.status = to
    setattr(request, f"{to}_at", timezone.now())
    request.save(update_fields=["status", f"{to}_at"])
    return current


@transaction.atomic
def supply_request_commit(*, request: SupplyRequest, by) -> SupplyRequest:
    """Allocate a request from the depots nearest by road and take the stock
    (all lines or nothing).  Runs under locks on the request and on every
    stock row of its items, so concurrent commits never oversell."""
    locked = locks.lock_supply_request(request.pk)
    if locked.status != SupplyRequestStatus.REQUESTED:
        raise InvalidTransition("supply request", locked.status, SupplyRequestStatus.COMMITTED,
                                SUPPLY_TRANSITIONS[locked.status])
    lines = list(locked.lines.select_related("item").order_by("pk"))
    stock_rows = locks.lock_stock(item_ids=[ln.item_id for ln in lines])
    depots = {d.pk: d for d in Depot.objects.filter(pk__in={s.depot_id for s in stock_rows})}
    times = _depot_times(locked.incident, list(depots.values()))
    by_item: dict[int, list[Stock]] = {}
    for s in stock_rows:
        s.depot = depots[s.depot_id]
        by_item.setdefault(s.item_id, []).append(s)
    plans = []
    for line in lines:
        rows = {s.depot_id: s for s in by_item.get(line.item_id, [])}
        offers = [Offer(depot=d, available=s.quantity, seconds=times.get(d, math.inf))
                  for d, s in rows.items()]
        picks, shortfall = allocate(line.quantity, offers)
        if shortfall:
            raise InsufficientStock(
                f"the depots hold {line.quantity - shortfall} {line.item.name}; "
                f"{line.quantity} requested (short by {shortfall})", field="lines")
        plans.append((line, [(rows[d], q) for d, q in picks]))
    allocations = []
    for line, picks in plans:
        for stock, qty in picks:
            _move_stock(stock=stock, delta=-qty, reason=StockMovementReason.COMMIT, by=by, request=locked)
            seconds = times.get(stock.depot_id, math.inf)
            allocations.append(SupplyAllocation(line=line, depot_id=stock.depot_id, quantity=qty,
                                                eta_s=round(seconds, 1) if math.isfinite(seconds) else None))
    SupplyAllocation.objects.bulk_create(allocations)
    _transition(locked, SupplyRequestStatus.COMMITTED)
    summary = [{"item": a.line.item_id, "depot": a.depot_id, "quantity": a.quantity, "eta_s": a.eta_s}
               for a in allocations]
    timeline_add(incident=locked.incident, kind=TimelineKind.SUPPLY, by=by,
                 text="物资调拨: " + "、".join(f"{depots[a.depot_id].name} {a.line.item.name}×{a.quantity}"
                                             for a in allocations),
                 data={"supply_request": locked.pk, "allocations": summary})
    audit_record(actor=by, action="supply_request.commit", obj=locked, before={"status": "requested"},
                 after={"status": locked.status, "allocations": summary})
    emit("supply_request.committed", {"request": locked.pk, "incident": locked.incident_id,
                                      "allocations": summary})
    return locked


def _simple_step(request: SupplyRequest, to: str, by) -> SupplyRequest:
    locked = locks.lock_supply_request(request.pk)
    previous = _transition(locked, to)
    timeline_add(incident=locked.incident, kind=TimelineKind.SUPPLY, by=by,
                 text=f"物资申请 {locked.pk}: {SupplyRequestStatus(to).label}",
                 data={"supply_request": locked.pk, "status": to})
    audit_record(actor=by, action=f"supply_request.{to}", obj=locked, before={"status": previous},
                 after={"status": to})
    emit(f"supply_request.{to}", {"request": locked.pk, "incident": locked.incident_id})
    return locked


@transaction.atomic
def supply_request_ship(*, request: SupplyRequest, by) -> SupplyRequest:
    """The committed goods left the depots."""
    return _simple_step(request, SupplyRequestStatus.SHIPPED, by)


@transaction.atomic
def supply_request_receive(*, request: SupplyRequest, by) -> SupplyRequest:
    """The goods arrived at the incident."""
    return _simple_step(request, SupplyRequestStatus.RECEIVED, by)


@transaction.atomic
def supply_request_cancel(*, request: SupplyRequest, by, reason: str = "") -> SupplyRequest:
    """Call a request off before it ships; committed stock goes back."""
    locked = locks.lock_supply_request(request.pk)
    if not allowed(SUPPLY_TRANSITIONS, locked.status, SupplyRequestStatus.CANCELLED):
        raise InvalidTransition("supply request", locked.status, SupplyRequestStatus.CANCELLED,
                                SUPPLY_TRANSITIONS[locked.status])
    if locked.status == SupplyRequestStatus.COMMITTED:
        allocations = list(SupplyAllocation.objects.filter(line__request=locked).select_related("line"))
        rows = {(s.depot_id, s.item_id): s
                for s in locks.lock_stock(item_ids={a.line.item_id for a in allocations})}
        for a in allocations:
            stock = rows[(a.depot_id, a.line.item_id)]
            _move_stock(stock=stock, delta=a.quantity, reason=StockMovementReason.RELEASE, by=by,
                        request=locked)
    previous = _transition(locked, SupplyRequestStatus.CANCELLED)
    locked.note = clip(SupplyRequest, "note", locked.note + f" 取消: {reason}") if reason else locked.note
    locked.save(update_fields=["note"])
    timeline_add(incident=locked.incident, kind=TimelineKind.SUPPLY, by=by,
                 text=f"物资申请 {locked.pk} 已取消" + (f": {reason}" if reason else ""),
                 data={"supply_request": locked.pk})
    audit_record(actor=by, action="supply_request.cancel", obj=locked, before={"status": previous},
                 after={"status": locked.status}, note=reason)
    emit("supply_request.cancelled", {"request": locked.pk, "incident": locked.incident_id})
    return locked
