"""OpenAPI hooks (drf-spectacular), wired from ``SPECTACULAR_SETTINGS``.

:func:`register_extensions` is a preprocessing hook whose only job is to be
imported before the schema is built, so that the extensions below register
themselves (no app's ``ready()`` has to import an API module).
:func:`document_errors` adds the ``Error`` component and says, on every
operation, that a 4xx answer has that body.
"""

from __future__ import annotations

from drf_spectacular.authentication import BasicScheme

from config.common.errors import ERROR_REF, ERROR_SCHEMA

__all__ = ["CimBasicScheme", "document_errors", "register_extensions"]


class CimBasicScheme(BasicScheme):
    target_class = "cim.authentication.BasicAuthentication"


def register_extensions(endpoints):
    """Preprocessing hook: importing this module registered the extensions."""
    return endpoints


def document_errors(result, generator, request, public):
    """Postprocessing hook: the ``Error`` component on every 4xx response."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, response in responses.items():
                if str(code).startswith("4") and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
            responses.setdefault("4XX", {
                "description": "refused: the error code, the reason and the field at fault",
                "content": {"application/json": {"schema": ERROR_REF}},
            })
    return result
