"""Permissions of the city-model API beyond the shared ones of :mod:`cim.permissions`."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from cim import roles
from cim.permissions import RolePermission

__all__ = ["PublicSubmit", "ReportQueue"]


class ReportQueue(RolePermission):
    """The report queue: admins, dispatchers and 街道/社区 staff read and work
    it; commanders read it."""

    read_roles = roles.REPORT_QUEUE_ROLES
    write_roles = roles.REPORT_WORK_ROLES


class PublicSubmit(BasePermission):
    """Anyone, signed in or not: public endpoints (always with a throttle)."""

    def has_permission(self, request, view) -> bool:
        return True
