"""Structured logs (config/logs.py): the request id from nginx is kept, a
forged one is replaced, and every record of the request carries it as JSON."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.logs import JsonFormatter, RequestIdFilter, RequestIdMiddleware, current_request_id


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.deploy.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def _serve(header: str | None, logger) -> HttpResponse:
    def view(request):
        logger.info("serving", extra={"unit": 7})
        return HttpResponse("ok")

    headers = {"HTTP_X_REQUEST_ID": header} if header is not None else {}
    return RequestIdMiddleware(view)(RequestFactory().get("/x", **headers))


def test_nginx_request_id_is_kept_and_logged(captured):
    logger, stream = captured
    resp = _serve("0f" * 16, logger)
    assert resp["X-Request-ID"] == "0f" * 16
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "0f" * 16 and line["message"] == "serving" and line["unit"] == 7
    assert line["level"] == "INFO" and line["logger"] == "tests.deploy.logs"
    assert current_request_id() == "-"  # nothing leaks past the request


@pytest.mark.parametrize("forged", ["", "short", "a" * 65, 'x"}\n{"level": "ERROR', "../../etc"])
def test_a_missing_or_odd_request_id_is_replaced(captured, forged):
    logger, stream = captured
    resp = _serve(forged or None, logger)
    made = resp["X-Request-ID"]
    assert made != forged and len(made) == 32 and int(made, 16) >= 0
    assert json.loads(stream.getvalue())["request_id"] == made  # one line, valid JSON


def test_exceptions_are_one_json_line(captured):
    logger, stream = captured
    try:
        raise ValueError("bad thing")
    except ValueError:
        logger.exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    body = json.loads(lines[0])
    assert body["level"] == "ERROR" and "ValueError: bad thing" in body["exc"] and body["request_id"] == "-"
