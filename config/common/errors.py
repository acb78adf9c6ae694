"""One exception handler for every API of the project.

Every 4xx answer has the same body::

    {"error": "<machine code>", "detail": "<human text>", "field": "<field>" | null}

``error`` is a domain error's code (``invalid_transition``, ``claimed``…), the
code of the failed validation rule (``required``, ``invalid_choice``…) or of
the HTTP refusal (``not_authenticated``, ``permission_denied``, ``throttled``,
``not_found``…).  When a request has several invalid fields, the first one is
named and ``errors`` lists them all in the same three-key form.  A domain
error may add context of its own (e.g. ``suggestions`` for a mistyped plate
code).  The schema component is :data:`ERROR_SCHEMA` (``Error``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from config.common.domain_errors import DomainError

__all__ = ["ERRORS", "ERROR_REF", "ERROR_SCHEMA", "error_body", "exception_handler"]

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every 4xx answer.",
    "properties": {
        "error": {"type": "string", "description": "machine-readable code, e.g. invalid_transition, "
                                                    "required, permission_denied, not_found"},
        "detail": {"type": "string", "description": "what went wrong, for a person"},
        "field": {"type": "string", "nullable": True,
                  "description": "the input at fault (dotted path for nested input), or null"},
        "errors": {"type": "array", "description": "every invalid field, when there are several",
                   "items": {"type": "object", "properties": {
                       "error": {"type": "string"}, "detail": {"type": "string"},
                       "field": {"type": "string", "nullable": True}}}},
    },
    "required": ["error", "detail", "field"],
    "additionalProperties": True,
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: Typical refusals, for ``@extend_schema(responses={**ERRORS, …})``.
ERRORS = {
    400: OpenApiResponse(ERROR_REF, description="bad input: the field and the reason"),
    403: OpenApiResponse(ERROR_REF, description="your role may not do this"),
    404: OpenApiResponse(ERROR_REF, description="not found"),
    409: OpenApiResponse(ERROR_REF, description="conflicts with the current state (e.g. unit taken)"),
}


def error_body(code: str, detail: str, field: str | None = None, **extra) -> dict:
    """The error body, in the one shape."""
    return {"error": code, "detail": detail, "field": field, **extra}


def _flatten(detail, path: str | None) -> list[dict]:
    """DRF's nested validation detail → a flat list of error bodies, in order."""
    if isinstance(detail, dict):
        out: list[dict] = []
        for key, value in detail.items():
            key = str(key)
            sub = None if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__") and path is None \
                else (f"{path}.{key}" if path else key)
            out += _flatten(value, sub)
        return out
    if isinstance(detail, list):
        if all(isinstance(d, str) for d in detail):
            return [error_body(getattr(d, "code", None) or "invalid", str(d), path) for d in detail]
        out = []
        for i, value in enumerate(detail):
            out += _flatten(value, f"{path}.{i}" if path else str(i))
        return out
    return [error_body(getattr(detail, "code", None) or "invalid", str(detail), path)]


def _body(exc: exceptions.APIException, detail) -> dict:
    if isinstance(exc, exceptions.ValidationError) or isinstance(detail, (dict, list)):
        errors = _flatten(detail, None) or [error_body("invalid", "invalid input")]
        body = dict(errors[0])
        if len(errors) > 1:
            body["errors"] = errors
        return body
    return error_body(getattr(detail, "code", None) or exc.default_code, str(detail))


def exception_handler(exc, context):
    """DRF ``EXCEPTION_HANDLER``: domain errors and every 4xx in the one shape."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, str(exc.message), exc.field, **exc.extra),
                        status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is not None and status.is_client_error(response.status_code):
        response.data = _body(exc, exc.detail)
    return response
