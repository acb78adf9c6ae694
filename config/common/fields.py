"""Serializer fields both apps share."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework import serializers

__all__ = ["MaskedField", "MaskedFlag"]


class MaskedField(serializers.CharField):
    """A piece of personal data, read-only: masked with ``mask`` unless the view
    put ``reveal`` (a context key) in the serializer's context, which it does
    only for a role that may see it and after recording the reveal."""

    def __init__(self, *, mask: Callable[[str], str], reveal: str, **kwargs):
        self.mask = mask
        self.reveal = reveal
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        value = "" if value is None else str(value)
        return value if self.context.get(self.reveal) else self.mask(value)


class MaskedFlag(serializers.BooleanField):
    """Whether the :class:`MaskedField` of the same ``reveal`` key are masked."""

    def __init__(self, *, reveal: str, **kwargs):
        self.reveal = reveal
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, value) -> bool:
        return not self.context.get(self.reveal)
