"""Masking of personal data for roles that do not need it (pure)."""

from __future__ import annotations

__all__ = ["mask_name", "mask_phone"]


def mask_name(name: str) -> str:
    """张三丰 → 张**; keeps the first character only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep their last two digits."""
    if not phone:
        return ""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 1) + phone[-2:]
