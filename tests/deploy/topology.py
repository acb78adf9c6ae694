"""The production topology as local processes (no container runtime needed).

Debian's nginx with the repository's configuration (``docker/nginx/``, rendered
by its own entrypoint for loopback ports and a temporary directory), N gunicorn
and N ASGI (daphne) instances with the production settings, on the test
database and the real Redis under this test run's prefix.  Every process is a
named :class:`Service`, so a test can kill or restart one (fault tests) and more
can be added (``topology.add("worker-1", [...])`` for Celery workers).

Use it as a context manager, or through the ``topology`` fixture of
``tests/deploy/conftest.py``.
"""

from __future__ import annotations

import functools
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import ClientConnection

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENTRYPOINT = ROOT / "docker" / "nginx" / "entrypoint.sh"
GUNICORN_CONF = ROOT / "docker" / "gunicorn.conf.py"


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited ({proc.returncode}); see {log}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s; see {log}")


def wait_for_200(url: str, service: Service, *, timeout: float, context=None) -> None:
    """Until ``url`` answers 200; an error as soon as ``service`` (the process
    behind it) has exited, with the end of its log."""
    import urllib.request

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        if not service.running:
            code = service.proc.returncode if service.proc else None
            raise RuntimeError(f"{service.name} exited ({code}); see {service.log}:\n"
                               f"{service.log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=10, context=context) as r:
                if r.status == 200:
                    return
        except OSError as exc:  # refused, an HTTP error, a TLS error, a timeout
            last = exc
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service.name}: {url} did not answer 200 within {timeout:.0f} s ({last!r}); "
                               f"see {service.log}")
        time.sleep(0.3)


@dataclass
class Service:
    """One process of the topology."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    health: str | None = None  # a plain-HTTP path answered 200 once the process serves
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = 90.0) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until the port is open and, for a server with a ``health`` path, that path
        answers 200: gunicorn opens its port before its worker has imported Django, and
        on a busy machine that takes longer than a client's timeout."""
        if self.port is None:
            return
        deadline = time.monotonic() + timeout
        wait_for_port(self.port, self.proc, self.log, timeout)
        if self.health:
            wait_for_200(f"http://127.0.0.1:{self.port}{self.health}", self,
                         timeout=max(deadline - time.monotonic(), 1.0))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process group, as a crash would (no graceful goodbye)."""
        if self.running:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.running:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


class Topology:
    """nginx → ``web`` × gunicorn, ``asgi`` × daphne, on ``database`` (a Django
    settings dict) and ``redis_url`` with ``redis_prefix``."""

    def __init__(
        self,
        *,
        database: dict,
        redis_url: str,
        redis_prefix: str,
        secret_key: str,
        hash_salt: str,
        web: int = 2,
        asgi: int = 2,
        workdir: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        # nginx's workers run as an unprivileged user when started by root: they
        # must be able to read the static and media folders, hence mode 755.
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="cim-topology-"))
        self.dir.chmod(0o755)
        self.static_root = self.dir / "static"
        self.media_root = self.dir / "media"
        self.cert_dir = self.dir / "certs"
        self.logs = self.dir / "logs"
        for folder in (self.static_root, self.media_root, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o755)
        user = database.get("USER") or "postgres"
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        self.http_port, self.https_port = free_port(), free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CIM_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "DJANGO_SECRET_KEY": secret_key,
            "CIM_CLIENT_HASH_SALT": hash_salt,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CIM_TRUSTED_PROXIES": "127.0.0.1",
            "DATABASE_URL": f"postgis://{user}{password}@{host}:{port}/{database['NAME']}",
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": redis_prefix,
            "CIM_MEDIA_ROOT": str(self.media_root),
            "CIM_STATIC_ROOT": str(self.static_root),
            "CIM_SHARED_DATA": os.environ.get("CIM_SHARED_DATA", ""),
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        self.services: dict[str, Service] = {}
        for k in range(1, web + 1):
            port = free_port()
            self.add(
                f"web-{k}",
                [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "config.wsgi:application"],
                port=port,
                health="/healthz",
                extra_env={"CIM_BIND": f"127.0.0.1:{port}", "CIM_WEB_WORKERS": "1", "CIM_WEB_THREADS": "4"},
            )
        for k in range(1, asgi + 1):
            port = free_port()
            self.add(
                f"asgi-{k}",
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "--proxy-headers",
                    "config.asgi:application",
                ],
                port=port,
                health="/healthz",
            )
        nginx_env = {
            "CIM_WEB_SERVERS": " ".join(f"127.0.0.1:{s.port}" for s in self.group("web")),
            "CIM_ASGI_SERVERS": " ".join(f"127.0.0.1:{s.port}" for s in self.group("asgi")),
            "CIM_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "CIM_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "CIM_HTTPS_PORT": str(self.https_port),
            "CIM_CERT_DIR": str(self.cert_dir),
            "CIM_TLS_HOSTNAME": "127.0.0.1",
            "CIM_NGINX_RUN_DIR": str(self.dir / "nginx"),
            "CIM_NGINX_CONF": str(self.dir / "nginx" / "nginx.conf"),
            "CIM_NGINX_WORKERS": "1",
            "CIM_NGINX_ACCESS_LOG": str(self.logs / "nginx-access.log"),
            "CIM_NGINX_ERROR_LOG": str(self.logs / "nginx-error.log"),
        }
        self.add("nginx", ["sh", str(ENTRYPOINT)], port=self.https_port, extra_env=nginx_env)

    # --- processes -------------------------------------------------------------------------

    def add(
        self,
        name: str,
        argv: list[str],
        *,
        port: int | None = None,
        health: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Service:
        """Declare one more process (started by :meth:`start`, or by ``.start()`` later)."""
        env = {**self.env, **(extra_env or {})}
        service = Service(name, argv, env, self.logs / f"{name}.log", port, health)
        self.services[name] = service
        return service

    def add_workers(self, count: int = 2) -> list[Service]:
        """``count`` Celery workers (``worker-1``…), as compose's ``worker`` service runs
        them; call before :meth:`start`, or ``.start()`` each.  (Celery comes with issue
        15 §2: until it is installed this is only declared, never used by a test.)"""
        return [
            self.add(
                f"worker-{k}",
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    "1",
                    "--hostname",
                    f"worker-{k}@%h",
                    "--loglevel",
                    "INFO",
                ],
            )
            for k in range(1, count + 1)
        ]

    def group(self, prefix: str) -> list[Service]:
        return [s for name, s in self.services.items() if name.startswith(f"{prefix}-")]

    def collectstatic(self) -> None:
        """The collected static files nginx serves (the vendor libraries left out: the
        journeys tested here need none and compressing them takes a minute)."""
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "tests.deploy.collect_settings"}
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )

    def start(self) -> Topology:
        # Servers first (in parallel: each imports Django for a few seconds, meanwhile the
        # static files are collected), nginx last.
        for service in self.services.values():
            if service.name != "nginx":
                handle = service.log.open("ab")
                service.proc = subprocess.Popen(
                    service.argv,
                    cwd=ROOT,
                    env=service.env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                handle.close()
        self.collectstatic()
        for service in self.services.values():
            if service.name != "nginx":
                service.wait_ready(timeout=90)
        self.services["nginx"].start()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until ``/healthz`` answers 200 over HTTPS with this topology's certificate:
        an open port alone does not prove that *our* nginx is the one listening."""
        wait_for_200(self.base + "/healthz", self.services["nginx"], timeout=timeout,
                     context=self.ssl_context())

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to every process at once, SIGKILL to those still there after ``timeout``."""
        running = [s for s in self.services.values() if s.running]
        for service in running:
            os.killpg(service.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in running:
            try:
                service.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.kill()

    def log_tails(self, lines: int = 40) -> list[tuple[str, str]]:
        """(log name, its last ``lines`` lines) of every process and of nginx's two logs."""
        tails = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            tails.append((path.name, "\n".join(text)))
        return tails

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Topology:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- clients ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def certificate(self) -> Path:
        return self.cert_dir / "tls.crt"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))

    def access_log(self) -> list[dict]:
        """nginx's JSON access log, one dict per request."""
        import json

        path = self.logs / "nginx-access.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def browser_session(topology: Topology, cookie: str, *, cookie_name: str, csrf_cookie_name: str):
    """A browser-like ``requests`` session through nginx: the session cookie ``cookie``,
    a CSRF cookie and the matching header, the topology's certificate trusted."""
    import secrets

    import requests

    session = requests.Session()
    session.verify = str(topology.certificate)
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace our certificate
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    session.cookies.set(cookie_name, cookie, domain="127.0.0.1")
    session.cookies.set(csrf_cookie_name, csrf, domain="127.0.0.1")
    session.headers.update({"X-CSRFToken": csrf, "Origin": topology.base, "Referer": topology.base + "/"})
    session.base = topology.base
    return session


class SerialTLS:
    """A client TLS socket whose reads and writes never overlap.

    websockets' threaded client reads in a background thread (``recv``) while the
    caller's thread writes (the upgrade request, pings, the closing frame) on the
    same :class:`ssl.SSLSocket`.  OpenSSL forbids two calls on one connection at
    once, and Python 3.11 does not serialise them (3.13.6 added a lock).  With
    TLS 1.3 the server's session tickets arrive right after the handshake, exactly
    while the request is written, and the two calls then corrupt the record layer:
    the request never reaches nginx (the handshake times out after 20 s and nginx
    logs nothing until its 60 s header timeout; seen in CI) or nginx drops the
    connection (EOF on the status line): 7 of 17 runs of the two deploy modules here.  Here
    one lock covers every OpenSSL call, the socket is non-blocking, and waits for
    the network (``select``) hold no lock."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._timeout: float | None = None
        sock.setblocking(False)

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout

    def _wait(self, *, write: bool, deadline: float | None) -> None:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError("timed out")
        rlist, wlist = ([], [self._sock]) if write else ([self._sock], [])
        # short waits: a close from the other thread is seen within 0.1 s
        select.select(rlist, wlist, [], 0.1 if left is None else min(left, 0.1))

    def _call(self, call):
        """``call()`` (one non-blocking OpenSSL call) under the lock, again after
        waiting for the socket while OpenSSL wants to read or write."""
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            with self._lock:
                try:
                    return call()
                except ssl.SSLWantReadError:
                    write = False
                except ssl.SSLWantWriteError:
                    write = True
            self._wait(write=write, deadline=deadline)

    def recv(self, size: int) -> bytes:
        return self._call(functools.partial(self._sock.recv, size))

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._call(functools.partial(self._sock.send, view)):]

    def shutdown(self, how: int) -> None:
        with self._lock:
            self._sock.shutdown(how)

    def close(self) -> None:
        with self._lock:
            self._sock.close()

    def __getattr__(self, name: str):  # fileno, family, getpeername, setsockopt …
        return getattr(self._sock, name)


class SerialTLSConnection(ClientConnection):
    """websockets' threaded client connection over :class:`SerialTLS` (pass as
    ``connect(..., create_connection=SerialTLSConnection)``)."""

    def __init__(self, sock, protocol, **kwargs) -> None:
        if isinstance(sock, ssl.SSLSocket):
            sock = SerialTLS(sock)
        super().__init__(sock, protocol, **kwargs)
