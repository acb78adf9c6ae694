"""Reads of jobs: who sees which."""

from __future__ import annotations

from django.db.models import QuerySet

from cim import roles
from cim.models import Job

__all__ = ["jobs_visible_to"]


def jobs_visible_to(user) -> QuerySet[Job]:
    """Every job for an administrator; one's own jobs for other staff;
    nothing for anyone else."""
    jobs = Job.objects.select_related("created_by").order_by("-created_at", "-id")
    if roles.has_role(user, roles.ADMIN):
        return jobs
    if roles.has_role(user, *roles.STAFF_ROLES):
        return jobs.filter(created_by=user)
    return jobs.none()
