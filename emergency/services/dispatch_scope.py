"""Who may send which units: a district-limited dispatcher sends their own
scope's units; another district's unit comes only through an approved
mutual-aid request (:mod:`emergency.services.mutual_aid`), which a
city-level commander or dispatcher decides.  Refusals are audited in a
transaction of their own, so the record survives the refused write."""

from __future__ import annotations

from django.db import transaction

from cim import roles
from cim.models import AdminArea
from cim.scope import Scope
from cim.services.audit import audit_record
from emergency.errors import CityLevelRequired, DomainError, MutualAidRequired
from emergency.models import Incident, Unit

__all__ = [
    "approves_mutual_aid",
    "mutual_aid_approver_required",
    "refusal_audit",
    "unit_district_names",
    "units_scope_check",
]


def approves_mutual_aid(user) -> bool:
    """City-level control room: a commander, dispatcher or admin whose scope
    is the whole city."""
    return roles.has_role(user, *roles.CONTROL_ROLES) and Scope.for_user(user).city_wide


def mutual_aid_approver_required(*, by, request) -> None:
    """Refuse (403 ``city_level_required``, audited) anyone but a city-level
    commander or dispatcher deciding on the mutual-aid ``request``."""
    if approves_mutual_aid(roles.acting_user(by)):
        return
    error = CityLevelRequired("only a city-level commander or dispatcher decides on mutual aid",
                              field="approve")
    refusal_audit(by=by, action="mutual_aid.refused", obj=request, error=error)
    raise error


def unit_district_names(unit_ids) -> dict[int, str]:
    """The district each unit belongs to (by its agency's area, else its
    station's), by name; units without one are left out."""
    rows = Unit.objects.filter(pk__in=list(unit_ids)).values_list(
        "pk", "agency__admin_area__code", "home_station__admin_area__code")
    codes = {pk: (a or s or "")[:6] for pk, a, s in rows}
    names = dict(AdminArea.objects.filter(code__in=set(codes.values()) - {""}).values_list("code", "name"))
    return {pk: names[c] for pk, c in codes.items() if c in names}


def refusal_audit(*, by, action: str, obj=None, object_type: str | None = None, object_id=None,
                  error: DomainError) -> None:
    """Record a refused request: kept even though the refused write rolls
    back (its own transaction when the caller holds none)."""
    with transaction.atomic():
        audit_record(actor=by, action=action, obj=obj, object_type=object_type, object_id=object_id,
                     after={"error": error.code, "detail": error.message, "field": error.field})


def units_scope_check(*, by, incident: Incident, units: list[int]) -> None:
    """Refuse (403 ``mutual_aid_required``, audited) units outside ``by``'s
    scope: a district dispatcher gets another district's unit only through
    an approved mutual-aid request."""
    scope = Scope.for_user(roles.acting_user(by))
    outside = list(scope.units_outside(Unit.objects.filter(pk__in=units)).order_by("pk"))
    if not outside:
        return
    districts = unit_district_names(u.pk for u in outside)
    named = ", ".join(f"{u.code}({districts.get(u.pk, '?')})" for u in outside)
    error = MutualAidRequired(
        f"units of another district need an approved mutual-aid request (跨区支援): {named}",
        field="units", units=[u.pk for u in outside])
    refusal_audit(by=by, action="assignment.refused", obj=incident, error=error)
    raise error
