"""DRF permission classes of the emergency API, by role (built like
:mod:`cim.permissions`).  Every emergency view names one of these; the
public (no role) and planners get nothing here.

| class                 | read (GET)                               | write                          |
|-----------------------|------------------------------------------|--------------------------------|
| IncidentAccess        | admin, commander, dispatcher, responder* | admin, commander, dispatcher   |
| DispatcherWrite       | admin, commander, dispatcher             | admin, commander, dispatcher   |
| CommanderWrite        | admin, commander, dispatcher             | admin, commander               |
| RegistryWrite         | admin, commander, dispatcher             | admin                          |
| UnitRegistry          | admin, commander, dispatcher, responder* | admin                          |
| UnitReport            | —                                        | control room; responder: own unit |

\\* responders see only their own units and the incidents those units were sent to.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from cim import roles

__all__ = [
    "CALLER_READERS",
    "CommanderWrite",
    "DispatcherWrite",
    "IncidentAccess",
    "RegistryWrite",
    "UnitRegistry",
    "UnitReport",
]

_CONTROL = (roles.ADMIN, roles.COMMANDER, roles.DISPATCHER)
# Roles that may read a caller's name and phone unmasked (audited).
CALLER_READERS = _CONTROL


class _EmergencyRolePermission(BasePermission):
    read_roles: tuple[str, ...] = ()
    write_roles: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return roles.has_role(request.user, *self.read_roles)
        return roles.has_role(request.user, *self.write_roles)


class IncidentAccess(_EmergencyRolePermission):
    """Incidents: the control room reads and writes; responders read theirs."""

    read_roles = (*_CONTROL, roles.RESPONDER)
    write_roles = _CONTROL


class DispatcherWrite(_EmergencyRolePermission):
    """Dispatch work: dispatchers, commanders and admins."""

    read_roles = _CONTROL
    write_roles = _CONTROL


class CommanderWrite(_EmergencyRolePermission):
    """Command decisions (levels, plans, zones, alerts, stock): commanders and
    admins write; dispatchers read."""

    read_roles = _CONTROL
    write_roles = (roles.ADMIN, roles.COMMANDER)


class RegistryWrite(_EmergencyRolePermission):
    """Registries (agencies, cameras, depots, items): admins write."""

    read_roles = _CONTROL
    write_roles = (roles.ADMIN,)


class UnitRegistry(_EmergencyRolePermission):
    """Units: everyone in emergency reads (responders their own); admins
    edit the registry data."""

    read_roles = (*_CONTROL, roles.RESPONDER)
    write_roles = (roles.ADMIN,)


class UnitReport(BasePermission):
    """A unit's status and position: the control room for any unit, a
    responder only for a unit they are a member of."""

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, *_CONTROL, roles.RESPONDER)

    def has_object_permission(self, request, view, obj) -> bool:
        if roles.has_role(request.user, *_CONTROL):
            return True
        return obj.members.filter(pk=request.user.pk).exists()
