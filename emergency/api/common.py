"""Helpers shared by the emergency API views (the error responses, ``ERRORS``,
are the project-wide ones of :mod:`config.common.errors`; query strings are
checked by the serializers of :mod:`emergency.api.queries`)."""

from __future__ import annotations

from config.common.errors import ERRORS
from emergency.errors import DomainError

__all__ = ["ERRORS", "get_or_400"]


def get_or_400(model, pk, field: str):
    """A referenced record by id, or a 400 naming the field."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise DomainError(f"{field} must be an id", field=field) from None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise DomainError(f"{model._meta.model_name} {pk} does not exist", field=field, code="not_found")
    return obj
