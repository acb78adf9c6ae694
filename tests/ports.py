"""Ports for the servers a test starts (nginx, gunicorn, daphne, Redis, PostgreSQL, SMTP).

``bind(("127.0.0.1", 0))`` then ``close()`` hands out an *ephemeral* port: until the
server binds it, the kernel may give the same number to another xdist worker's
``bind(0)`` or use it as the source port of an outgoing connection, and the server
then fails to listen while something else answers on that port (a TLS handshake
that times out against a plain-HTTP server, seen in CI).  Here each test process
takes ports from its own block *below* the ephemeral range (which starts at 32768),
never hands the same port out twice, and checks that the port can be bound.
"""

from __future__ import annotations

import os
import random
import socket
import threading

FIRST, LAST = 20_000, 32_000  # below /proc/sys/net/ipv4/ip_local_port_range
BLOCK = 500

_lock = threading.Lock()
_given: set[int] = set()
_next: int | None = None


def _block_start() -> int:
    """This process's block: by xdist worker (gw0, gw1…), offset by the test run's
    database name so that two suites run side by side on one machine differ too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    run = sum(os.environ.get("TEST_DATABASE_NAME", "").encode()) % 3
    blocks = (LAST - FIRST) // BLOCK
    return FIRST + ((index * 3 + run) % blocks) * BLOCK


def free_port() -> int:
    """A loopback port nobody listens on, not handed out before in this process."""
    global _next
    with _lock:
        start = _block_start()
        if _next is None:
            _next = start + random.randrange(BLOCK)
        for _ in range(BLOCK):
            port = start + (_next - start) % BLOCK
            _next = port + 1
            if port in _given:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _given.add(port)
            return port
    raise RuntimeError(f"no free port left in {start}–{start + BLOCK - 1}")
