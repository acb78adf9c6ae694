"""Structured logs: one JSON object per line, each carrying the id of the
request it belongs to.

nginx makes the id (``$request_id``, in its own access log) and sends it as
``X-Request-ID``; :class:`RequestIdMiddleware` keeps it for the request (or
makes one when a request did not come through nginx), returns it in the
answer's ``X-Request-ID`` and :class:`RequestIdFilter` puts it on every log
record written meanwhile, so one grep finds a request in nginx's, gunicorn's
and Django's logs.  Production settings switch this on (``config/settings/prod.py``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "RequestIdFilter", "RequestIdMiddleware", "current_request_id"]

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# nginx's $request_id is 32 hex digits; accept other proxies' ids of a sane shape only.
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Keep the request's id (``X-Request-ID`` from nginx, or a new one) while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's id on the record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs an error answer after the middleware returned:
            # its record carries the request itself.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", …extra, "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", _request_id.get()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in body:
                body[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)
