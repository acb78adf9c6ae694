"""Helpers shared by the emergency API views (the error responses, ``ERRORS``,
are the project-wide ones of :mod:`config.common.errors`; query strings are
checked by the serializers of :mod:`emergency.api.queries`)."""

from __future__ import annotations

from django.db.models import QuerySet

from config.common.errors import ERRORS
from emergency.errors import DomainError

__all__ = ["ERRORS", "get_or_400", "incident_or_400"]


def get_or_400(model, pk, field: str):
    """A referenced record by id, or a 400 naming the field.  ``model`` may
    be a queryset (the records the user may see: :mod:`cim.scope`)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise DomainError(f"{field} must be an id", field=field) from None
    qs = model if isinstance(model, QuerySet) else model.objects
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise DomainError(f"{qs.model._meta.model_name} {pk} does not exist", field=field, code="not_found")
    return obj


def incident_or_400(user, pk, field: str = "incident"):
    """An incident the user may see (:mod:`cim.scope`) by id, or a 400
    naming the field: one out of scope does not exist for this user."""
    from emergency.selectors import incidents_visible_to

    return get_or_400(incidents_visible_to(user), pk, field)

