"""Small helpers the page views share: URLs that may not be routed, and JSON-ready text."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


def url_or_none(name: str, *args) -> str | None:
    """The URL of a route, or None where that route is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def url_prefix(name: str) -> str | None:
    """``/api/emergency/tasks/`` from the detail route (a viewset without a list)."""
    url = url_or_none(name, 0)
    return url[: -len("0/")] if url and url.endswith("/0/") else None


def as_text(value):
    """Lazy translations → the active language's strings (for json_script)."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_text(v) for v in value]
    if isinstance(value, Promise):
        return str(value)
    return value


def basemap_urls() -> dict:
    """The addresses the shared basemap module (static/viewer/common/basemap.js) reads: each
    page that draws the basemap passes them to it from its own configuration."""
    return {
        "roadsUrl": url_or_none("road-list"),
        "adminBoundariesUrl": url_or_none("map-admin-boundaries"),
        "waterwaysUrl": url_or_none("waterway-list"),
    }


__all__ = ["as_text", "basemap_urls", "url_or_none", "url_prefix"]
