"""DRF permission classes by role.  Every API view names one of these."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from cim import roles


class RolePermission(BasePermission):
    """Role check by method: ``read_roles`` for GET/HEAD/OPTIONS,
    ``write_roles`` for the rest; ``public_read`` opens reads to everyone.
    The one base class of every role permission of both apps."""

    read_roles: tuple[str, ...] = ()
    write_roles: tuple[str, ...] = ()
    public_read = False

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return self.public_read or roles.has_role(request.user, *self.read_roles)
        return roles.has_role(request.user, *self.write_roles)


class PublicRead(RolePermission):
    """Anyone may read (public information); admins write."""

    public_read = True
    write_roles = (roles.ADMIN,)


class StaffRead(RolePermission):
    """Any platform role may read; admins write."""

    read_roles = roles.STAFF_ROLES
    write_roles = (roles.ADMIN,)


class PlannerWrite(RolePermission):
    """Any platform role may read; planners and admins write."""

    read_roles = roles.STAFF_ROLES
    write_roles = (roles.ADMIN, roles.PLANNER)


class AnalysisAccess(RolePermission):
    """Planning analyses: planners run and save them; commanders read the
    results (they decide with them); everyone else, the public included, nothing."""

    read_roles = (roles.ADMIN, roles.PLANNER, roles.COMMANDER)
    write_roles = (roles.ADMIN, roles.PLANNER)


class AdminOnly(RolePermission):
    """Admins only, for reading and writing."""

    read_roles = (roles.ADMIN,)
    write_roles = (roles.ADMIN,)
