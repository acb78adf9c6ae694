"""Helpers shared by the emergency API views (the error responses, ``ERRORS``,
are the project-wide ones of :mod:`config.common.errors`)."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError

from config.common.errors import ERRORS
from emergency.errors import DomainError

__all__ = ["ERRORS", "get_or_400", "query_bool", "query_choice", "query_float", "query_int"]


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


def query_float(params, name: str, *, lo: float, hi: float) -> float:
    """A required finite number from the query string, within [lo, hi]."""
    import math

    value = params.get(name)
    if value in (None, ""):
        raise ValidationError({name: "this parameter is required"})
    try:
        number = float(value)
    except ValueError:
        raise ValidationError({name: "must be a number"}) from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise ValidationError({name: f"must lie between {lo} and {hi}"})
    return number
