"""Helpers shared by the emergency API views (the error responses, ``ERRORS``,
are the project-wide ones of :mod:`config.common.errors`; query strings are
checked by the serializers of :mod:`emergency.api.queries`)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from config.common.errors import ERRORS
from emergency.errors import DomainError

__all__ = ["ERRORS", "get_or_400", "incident_or_400", "reveal_asked", "reveal_parameter"]


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



def reveal_parameter(what: str, description: str) -> OpenApiParameter:
    """The ``?reveal=<what>`` query parameter of a detail view (for the schema)."""
    return OpenApiParameter("reveal", OpenApiTypes.STR, enum=[what], description=description)


def reveal_asked(request, what: str) -> bool:
    """Whether the request asks ``?reveal=<what>`` (a masked value shown whole,
    which the view audits); any other value is a 400 naming ``reveal``."""
    reveal = request.query_params.get("reveal")
    if reveal not in (None, "", what):
        raise DomainError(f"reveal must be {what!r}", field="reveal")
    return reveal == what
