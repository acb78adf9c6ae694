"""The error vocabulary every app raises (pure: no Django): a refusal a user
can act on, with a code, a message, maybe a field.  The API answers it as
``{"error", "detail", "field"}`` (:mod:`config.common.errors`)."""

from __future__ import annotations

__all__ = ["Conflict", "DomainError", "NotFound"]


class DomainError(Exception):
    """A refusal a user can act on: a code, a message, maybe a field, and
    maybe some context for the answer (``extra``, e.g. suggestions).  The API
    answers it as ``{"error": code, "detail": message, "field": field, **extra}``
    (:mod:`config.common.errors`)."""

    code = "invalid"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
