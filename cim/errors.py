"""Errors of the city model, raised by services and importers."""

from __future__ import annotations

from config.common.domain_errors import Conflict, DomainError, NotFound

__all__ = ["Conflict", "DomainError", "ImportFailed", "NotFound"]


class ImportFailed(DomainError):
    """An import that cannot go on (corrupt file, unknown format, no CRS…).
    The import's transaction is rolled back; nothing stored changes."""

    code = "import_failed"
