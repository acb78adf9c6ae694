"""The incident, unit and supply-request state machines (pure: no Django).

Each machine is a table of allowed moves; services consult it and refuse
anything else with a :class:`emergency.errors.InvalidTransition`.
"""

from __future__ import annotations

__all__ = [
    "INCIDENT_ACTIVE",
    "INCIDENT_TERMINAL",
    "INCIDENT_TRANSITIONS",
    "SUPPLY_TRANSITIONS",
    "UNIT_TRANSITIONS",
    "allowed",
]

# received → verified → dispatched → on_scene → contained → closed, or
# cancelled; a duplicate can be merged into another until it is contained
# (its units, timeline and media then move to the survivor).
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"verified", "cancelled", "merged"}),
    "verified": frozenset({"dispatched", "cancelled", "merged"}),
    "dispatched": frozenset({"on_scene", "cancelled", "merged"}),
    "on_scene": frozenset({"contained", "merged"}),
    "contained": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
    "merged": frozenset(),
}
INCIDENT_TERMINAL = frozenset({"closed", "cancelled", "merged"})
INCIDENT_ACTIVE = frozenset(INCIDENT_TRANSITIONS) - INCIDENT_TERMINAL
# Units may be sent while the incident is being worked (not before it is verified).
INCIDENT_DISPATCHABLE = frozenset({"verified", "dispatched", "on_scene", "contained"})

# available ⇄ out_of_service; dispatched → en_route → on_scene → returning →
# available.  "dispatched" is entered only through an assignment.  A unit
# recalled before arriving goes returning (or straight back to available if
# it had not left).
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    "available": frozenset({"dispatched", "out_of_service"}),
    "dispatched": frozenset({"en_route", "available"}),
    "en_route": frozenset({"on_scene", "returning"}),
    "on_scene": frozenset({"returning"}),
    "returning": frozenset({"available", "out_of_service"}),
    "out_of_service": frozenset({"available"}),
}
UNIT_BUSY = frozenset({"dispatched", "en_route", "on_scene"})

# request → commit → ship → receive (EDXL-RM's request / commit / deploy /
# receive); cancelling is possible until the goods leave the depot.
SUPPLY_TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"committed", "cancelled"}),
    "committed": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"received"}),
    "received": frozenset(),
    "cancelled": frozenset(),
}


def allowed(machine: dict[str, frozenset[str]], current: str, target: str) -> bool:
    """Whether ``current → target`` is a move of ``machine``."""
    return target in machine.get(current, frozenset())
