"""Errors of the city model, raised by services and importers."""

from __future__ import annotations


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


class ImportFailed(DomainError):
    """An import that cannot go on (corrupt file, unknown format, no CRS…).
    The import's transaction is rolled back; nothing stored changes."""

    code = "import_failed"
