"""JSON from outside, with limits: every request body and WebSocket message
that the platform parses goes through :func:`loads_limited`.

Python's ``json`` recurses once per nesting level, so ``[`` × 100,000 raises
``RecursionError`` (a 500, not a 400).  orjson stops at 1,024 levels with a
``JSONDecodeError``; on top of that the nesting is capped far lower (no
document of the platform, GeoJSON MultiPolygons in a FeatureCollection
included, comes near it) and the size is capped before parsing.
"""

from __future__ import annotations

import orjson

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "JSONLimitError", "json_depth", "loads_limited"]

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


class JSONLimitError(ValueError):
    """The text is not acceptable JSON; ``code`` says why (``invalid_json``,
    ``too_deep``, ``too_large``) and ``detail`` says it for a person."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def json_depth(value) -> int:
    """Nesting depth of a parsed value (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return deepest


def loads_limited(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH,
                  max_bytes: int = DEFAULT_MAX_BYTES):
    """Parse ``data`` or raise :class:`JSONLimitError` (never RecursionError)."""
    size = len(data)
    if isinstance(data, str) and size * 4 > max_bytes:  # UTF-8 takes at most 4 bytes a character
        size = len(data.encode())
    if size > max_bytes:
        raise JSONLimitError("too_large", f"the JSON body has {size} bytes; at most {max_bytes} are accepted")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise JSONLimitError("too_deep", f"JSON nested deeper than {max_depth} levels") from None
        raise JSONLimitError("invalid_json", f"not valid JSON: {exc}") from None
    if json_depth(value) > max_depth:
        raise JSONLimitError("too_deep", f"JSON nested deeper than {max_depth} levels")
    return value
