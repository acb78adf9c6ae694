"""A real ASGI server (daphne in a subprocess, on the test database and the
test Redis prefix) and WebSocket clients for the live tests.

Import the fixture into a test module: ``from tests.emergency.live_support
import asgi_server  # noqa: F401``.  Tests that talk to it must commit
(``django_db(transaction=True)``): the server is another process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from websockets.sync.client import ClientConnection, connect

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class AsgiServer:
    """daphne serving ``config.asgi:application`` with the live test settings."""

    def __init__(self, database: dict) -> None:
        self.port = free_port()
        user = database.get("USER") or "postgres"
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.emergency.live_settings",
                    "DATABASE_URL": f"postgis://{user}{password}@{host}:{port}/{database['NAME']}",
                    "PYTHONPATH": str(ROOT)}
        self.log_path = ROOT / "var" / "test-logs" / f"asgi-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "config.asgi:application"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not listen on {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # as a crash would; no graceful goodbye
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, path: str = "/ws/ops/") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def asgi_server(test_database, django_db_blocker):
    """A fresh ASGI server for each module that uses it, stopped after the module (its
    process holds caches and buffers that another module's data would make stale)."""
    with django_db_blocker.unblock():
        database = dict(connection.settings_dict)
    server = AsgiServer(database)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def session_cookie(user) -> str:
    """A signed-in session for ``user`` (written to the database)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Socket:
    """A WebSocket client that decodes JSON and waits with deadlines."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        message = json.loads(self.ws.recv(timeout=timeout))
        self.seen.append(message)
        return message

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def until(self, predicate, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Messages up to and including the first that satisfies ``predicate``."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message within {timeout} s; got {got[-10:]}")
            message = self.recv(timeout=left)
            got.append(message)
            if predicate(message):
                return got

    def collect(self, seconds: float) -> list[dict[str, Any]]:
        """Every message that arrives in the next ``seconds``."""
        got = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got.append(self.recv(timeout=left))
            except TimeoutError:
                break
        return got

    def close(self) -> None:
        self.ws.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_socket(server: AsgiServer, *, cookie: str | None = None, after: int | None = None,
                origin: bool = True) -> Socket:
    headers = {}
    if cookie:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    if origin:
        headers["Origin"] = f"http://127.0.0.1:{server.port}"
    url = server.url() + (f"?after={after}" if after is not None else "")
    ws = connect(url, additional_headers=headers, open_timeout=20, max_size=2**24)
    return Socket(ws.__enter__())  # closed by Socket.close()


def console(server: AsgiServer, user, *, after: int | None = None) -> tuple[Socket, list[dict], dict]:
    """A signed-in console: (socket, messages up to ``synced``, the positions snapshot)."""
    sock = open_socket(server, cookie=session_cookie(user), after=after)
    before = sock.until(lambda m: m["type"] == "synced", timeout=20)
    snapshot = sock.recv(timeout=20)
    assert snapshot["type"] == "positions" and snapshot.get("snapshot") is True, snapshot
    return sock, before, snapshot
