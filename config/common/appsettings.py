"""Declared settings of an app: one dict setting per app (``settings.CIM``,
``settings.EMERGENCY``), every key declared once with its default and what it
means, read through one object.

    from cim.conf import cim_settings
    cim_settings.PLATE_HOST

A deployment sets only the keys it changes.  Reading an undeclared key is an
error (a typo cannot silently fall back to a default), and so is setting one:
the system check ``config.E001`` names it at start-up.  Values are read at
each access, so ``override_settings`` and the tests' ``settings`` fixture
work as for any Django setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks

__all__ = ["AppSettings", "Key"]


@dataclass(frozen=True)
class Key:
    """One declared setting: its default and a sentence on what it does."""

    default: Any
    doc: str


class AppSettings:
    def __init__(self, namespace: str, keys: dict[str, Key]):
        self._namespace = namespace
        self._keys = keys

        def check_declared(app_configs=None, **kwargs):
            return self._check()

        checks.register(check_declared, checks.Tags.compatibility)

    def _values(self) -> dict:
        return getattr(settings, self._namespace, None) or {}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            key = self._keys[name]
        except KeyError:
            raise AttributeError(f"settings.{self._namespace}[{name!r}] is not a declared setting") from None
        return self._values().get(name, key.default)

    def __getitem__(self, name: str):
        return getattr(self, name)

    def declared(self) -> dict[str, Key]:
        return dict(self._keys)

    def _check(self) -> list[checks.CheckMessage]:
        unknown = sorted(set(self._values()) - set(self._keys))
        return [checks.Error(f"settings.{self._namespace}[{name!r}] is not a declared setting",
                             hint=f"declared keys: {', '.join(sorted(self._keys))}", id="config.E001")
                for name in unknown]
