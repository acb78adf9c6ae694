"""Errors of the emergency app (mapped to HTTP 400/404/409 by config.common.errors)."""

from __future__ import annotations

from cim.errors import Conflict, DomainError, NotFound

__all__ = [
    "Conflict",
    "DomainError",
    "CityLevelRequired",
    "InsufficientStock",
    "InvalidTransition",
    "MutualAidRequired",
    "NotFound",
    "PermissionDeniedError",
    "UnitUnavailable",
    "Unroutable",
]


class InvalidTransition(Conflict):
    """A state change the state machine does not allow from the current state."""

    code = "invalid_transition"

    def __init__(self, what: str, current: str, target: str, allowed: frozenset[str] | set[str],
                 *, field: str = "status"):
        options = ", ".join(sorted(allowed)) or "none (final state)"
        super().__init__(f"{what} cannot go from {current!r} to {target!r}; allowed: {options}",
                         field=field)
        self.current = current
        self.target = target


class UnitUnavailable(Conflict):
    """The unit is already serving an incident (or out of service)."""

    code = "unit_unavailable"


class InsufficientStock(Conflict):
    """The depots cannot supply what a request asks for."""

    code = "insufficient_stock"


class Unroutable(DomainError):
    """No road route: no road network loaded, or the point is too far from it."""

    code = "unroutable"


class PermissionDeniedError(DomainError):
    """The user may not do this to this record (another department's task)."""

    code = "forbidden"


class MutualAidRequired(DomainError):
    """A district-limited user named a unit of another district: such a unit
    comes only through an approved mutual-aid request (跨区支援)."""

    code = "mutual_aid_required"
    http_status = 403


class CityLevelRequired(DomainError):
    """Only a city-level commander or dispatcher (no district limit) decides
    on a mutual-aid request."""

    code = "city_level_required"
    http_status = 403
