"""Text cut to what a model field holds: the field's ``max_length`` is the one
source of the limit, so a widened column never leaves a stale slice behind."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["clip"]


@lru_cache(maxsize=512)
def _max_length(model, field: str) -> int | None:
    return model._meta.get_field(field).max_length


def clip(model, field: str, text, *, ellipsis: str = "") -> str:
    """``text`` (None → "") cut to ``model.field``'s ``max_length``; with
    ``ellipsis``, a cut text ends with it and still fits."""
    text = "" if text is None else str(text)
    limit = _max_length(model, field)
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - len(ellipsis)] + ellipsis if ellipsis else text[:limit]
