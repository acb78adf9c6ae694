"""Every row lock the emergency app takes, in one place.

Rows are always locked ``of=("self",)`` in primary-key order, and by kind
in one order — incident, then units, then stock — so two writers never wait
on each other in a cycle.  Call these inside ``transaction.atomic``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from emergency.errors import NotFound
from emergency.models import (
    Alert,
    Assignment,
    ControlZone,
    DutyAssignment,
    DutyShift,
    Expert,
    Incident,
    MutualAidRequest,
    RoadClosure,
    Stock,
    SupplyRequest,
    Task,
    TeamMember,
    Unit,
)


def _lock_one(model, pk: int, label: str):
    obj = model.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{label} {pk} does not exist")
    return obj


def lock_incident(pk: int) -> Incident:
    return _lock_one(Incident, pk, "incident")


def lock_assignment(pk: int) -> Assignment:
    """An assignment (after its incident and unit, when those are locked too)."""
    return _lock_one(Assignment, pk, "assignment")


def lock_incidents(pks: Iterable[int]) -> list[Incident]:
    """Several incidents (a merge), in pk order."""
    return list(Incident.objects.select_for_update(of=("self",)).filter(pk__in=list(pks)).order_by("pk"))


def lock_units(pks: Iterable[int]) -> list[Unit]:
    """Units in pk order (two commanders assigning overlapping sets never deadlock)."""
    return list(Unit.objects.select_for_update(of=("self",)).filter(pk__in=list(pks)).order_by("pk"))


def lock_unit(pk: int) -> Unit:
    return _lock_one(Unit, pk, "unit")


def lock_stock(*, item_ids: Iterable[int]) -> list[Stock]:
    """Every depot's stock rows of these items, in pk order."""
    return list(
        Stock.objects.select_for_update(of=("self",)).filter(item_id__in=list(item_ids)).order_by("pk")
    )


def lock_stock_row(pk: int) -> Stock:
    return _lock_one(Stock, pk, "stock")


def lock_supply_request(pk: int) -> SupplyRequest:
    return _lock_one(SupplyRequest, pk, "supply request")


def lock_task(pk: int) -> Task:
    return _lock_one(Task, pk, "task")


def lock_zone(pk: int) -> ControlZone:
    return _lock_one(ControlZone, pk, "zone")


def lock_closure(pk: int) -> RoadClosure:
    return _lock_one(RoadClosure, pk, "road closure")


def lock_alert(pk: int) -> Alert:
    return _lock_one(Alert, pk, "alert")


# --- personnel (duty roster, experts, team members) --------------------------------------------
# A person's duties have no row of their own to lock: a transaction-scoped advisory lock on the
# person stands for them ("name:…" first, then "user:…", so two bookings never wait in a cycle).


def lock_duty_person(key: str) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"emergency.duty:{key}"])


def lock_duty_shift(pk: int) -> DutyShift:
    return _lock_one(DutyShift, pk, "shift")


def lock_duties_of_shift(pk: int) -> list[DutyAssignment]:
    return list(DutyAssignment.objects.select_for_update(of=("self",)).filter(shift_id=pk).order_by("pk"))


def lock_duty(pk: int) -> DutyAssignment | None:
    return DutyAssignment.objects.select_for_update(of=("self",)).filter(pk=pk).first()


def lock_expert(pk: int) -> Expert:
    return _lock_one(Expert, pk, "expert")


def lock_team_member(pk: int) -> TeamMember:
    return _lock_one(TeamMember, pk, "team member")


def lock_mutual_aid(pk: int) -> MutualAidRequest:
    return _lock_one(MutualAidRequest, pk, "mutual-aid request")


# --- video ----------------------------------------------------------------------------------------
# Whether a user's opening of a camera stream is already audited in this window is a read-then-write:
# a transaction-scoped advisory lock on the user makes two walls opened at once write one row each.


def lock_stream_audit(user_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"emergency.stream_audit:{user_id}"])
