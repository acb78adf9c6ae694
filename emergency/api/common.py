"""Helpers shared by the emergency API views (the error responses, ``ERRORS``,
are the project-wide ones of :mod:`config.common.errors`)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from config.common.errors import ERRORS
from emergency.errors import DomainError

__all__ = ["ERRORS", "get_or_400", "incident_or_400", "query_bool", "query_choice", "query_int"]


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


def query_choice(params, name: str, choices) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if value not in choices.values:
        raise ValidationError({name: f"unknown value {value!r}; one of {', '.join(choices.values)}"})
    return value


def query_bool(params, name: str) -> bool | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValidationError({name: "must be true or false"})


def query_int(params, name: str, *, lo: int, hi: int, default: int | None = None) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({name: "must be an integer"}) from None
    if not lo <= number <= hi:
        raise ValidationError({name: f"must lie between {lo} and {hi}"})
    return number
