"""Permissions of the city-model API beyond the shared ones of :mod:`cim.permissions`."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from cim import roles
from cim.permissions import RolePermission

__all__ = ["PublicSubmit", "ReportQueue"]


class ReportQueue(RolePermission):
    """The report queue: admins, commanders and dispatchers read and work it."""

    read_roles = roles.CONTROL_ROLES
    write_roles = roles.CONTROL_ROLES


class PublicSubmit(BasePermission):
    """Anyone, signed in or not: public endpoints (always with a throttle)."""

    def has_permission(self, request, view) -> bool:
        return True
