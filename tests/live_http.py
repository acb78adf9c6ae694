"""A threaded HTTP server over the WSGI application for browser tests whose
fixtures commit data themselves (module-scoped sites), the one way to start it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread


@contextmanager
def live_http_server() -> Iterator[str]:
    """Serve the application (static files included) on a free loopback port;
    yields its base URL and stops the server on exit."""
    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
