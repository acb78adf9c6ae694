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
| FieldDevice           | responder                                | responder (own units only)     |

\\* responders see only their own units and the incidents those units were sent to.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from cim import roles
from cim.permissions import RolePermission

__all__ = [
    "CALLER_READERS",
    "CommanderWrite",
    "DepartmentInbox",
    "DispatcherWrite",
    "FieldDevice",
    "IncidentAccess",
    "RegistryWrite",
    "UnitRegistry",
    "UnitReport",
]


# Roles that may read a caller's name and phone unmasked (audited).
CALLER_READERS = roles.CONTROL_ROLES


class IncidentAccess(RolePermission):
    """Incidents: the control room reads and writes; responders read theirs."""

    read_roles = (*roles.CONTROL_ROLES, roles.RESPONDER)
    write_roles = roles.CONTROL_ROLES


class DispatcherWrite(RolePermission):
    """Dispatch work: dispatchers, commanders and admins."""

    read_roles = roles.CONTROL_ROLES
    write_roles = roles.CONTROL_ROLES


class CommanderWrite(RolePermission):
    """Command decisions (levels, plans, zones, alerts, stock): commanders and
    admins write; dispatchers read."""

    read_roles = roles.CONTROL_ROLES
    write_roles = roles.COMMAND_ROLES


class RegistryWrite(RolePermission):
    """Registries (agencies, cameras, depots, items): admins write."""

    read_roles = roles.CONTROL_ROLES
    write_roles = (roles.ADMIN,)


class UnitRegistry(RolePermission):
    """Units: everyone in emergency reads (responders their own); admins
    edit the registry data."""

    read_roles = (*roles.CONTROL_ROLES, roles.RESPONDER)
    write_roles = (roles.ADMIN,)


class UnitReport(BasePermission):
    """A unit's status and position: the control room for any unit, a
    responder only for a unit they are a member of."""

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, *roles.CONTROL_ROLES, roles.RESPONDER)

    def has_object_permission(self, request, view, obj) -> bool:
        if roles.has_role(request.user, *roles.CONTROL_ROLES):
            return True
        return obj.members.filter(pk=request.user.pk).exists()


class FieldDevice(RolePermission):
    """The responder's field app: crews read and report for their own units
    (the services check membership)."""

    read_roles = (roles.RESPONDER,)
    write_roles = (roles.RESPONDER,)


class DepartmentInbox(RolePermission):
    """A department's inbox: any staff member reads and works the tasks of
    their own department (the selector and the service hold them to it)."""
    read_roles = roles.STAFF_ROLES
    write_roles = roles.STAFF_ROLES
