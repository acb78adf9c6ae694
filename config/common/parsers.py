"""The JSON parser of every API endpoint: size and depth limits, and a 400
(never a 500) for any malformed body."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.common.jsonlimits import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, JSONLimitError, loads_limited


class LimitedJSONParser(JSONParser):
    """``application/json`` bodies through :func:`loads_limited`.

    Limits: ``API_JSON_MAX_BYTES`` and ``API_JSON_MAX_DEPTH`` (settings),
    defaults 4 MiB and 64 levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        max_bytes = getattr(settings, "API_JSON_MAX_BYTES", DEFAULT_MAX_BYTES)
        body = stream.read(max_bytes + 1) if stream is not None else b""
        try:
            return loads_limited(body, max_bytes=max_bytes,
                                 max_depth=getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))
        except JSONLimitError as exc:
            raise ParseError(exc.detail, code=exc.code) from None
