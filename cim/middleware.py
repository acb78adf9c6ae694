"""Request hygiene shared by every endpoint."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.http import JsonResponse

from config.common.errors import error_body

_TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/")


class RejectNulBytesMiddleware:
    """Refuse requests carrying NUL characters in the path, the query string, a
    cookie (e.g. a forged session id) or a text body with HTTP 400.

    PostgreSQL text cannot hold NUL, so such input would otherwise surface as a
    database error (HTTP 500) deep inside whichever query first used it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._nul_in(request)
        if where:
            return JsonResponse(error_body("invalid", "NUL characters are not allowed", where), status=400)
        return self.get_response(request)

    @staticmethod
    def _nul_in(request) -> str | None:
        if "\x00" in request.path:
            return "path"
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return "query"
        for name, value in request.COOKIES.items():
            if "\x00" in name or "\x00" in value:
                return f"cookie:{name.replace(chr(0), '')}"
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(_TEXT_BODIES):
            body = request.body
            if b"\x00" in body or b"\\u0000" in body or b"%00" in body:
                return "body"
        return None
