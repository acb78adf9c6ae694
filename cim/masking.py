"""Masking of personal data for roles that do not need it (pure).

The one place the platform hides residents' and callers' names and phone
numbers; every serializer, export and audit snapshot calls these.
"""

from __future__ import annotations

__all__ = ["mask_name", "mask_phone"]

# Fewer digits than this (an extension, a short service number) leaves
# nothing safe to show: the whole number is hidden.
_SHORTEST_PARTLY_SHOWN = 7


def mask_name(name: str) -> str:
    """张三丰 → 张**; keeps the first character only."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678: enough to recognise, not to call.

    Numbers shorter than seven digits are hidden whole."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) < _SHORTEST_PARTLY_SHOWN:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
