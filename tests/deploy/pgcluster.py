"""Private PostgreSQL clusters for the replication tests: a primary made with
``initdb`` and a hot standby made from it with ``pg_basebackup`` (streaming
replication), each on its own loopback port and folder, removed afterwards.

The machine's own server is left alone (its configuration allows no replication
connections, and a base backup of it would copy every database on it).  The
server refuses to run as root: under root (CI) the clusters run as ``postgres``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.ports import free_port


def _bindir() -> Path:
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout
        path = Path(found.strip())
        if (path / "initdb").exists():
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed")
    return candidates[-1].parent


class Cluster:
    """One PostgreSQL cluster in ``folder`` listening on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.bin = _bindir()
        self.as_postgres = os.geteuid() == 0

    # --- running commands as the cluster's owner --------------------------------------------
    def _run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=True, **kwargs)

    def _own(self, path: Path) -> None:
        if self.as_postgres:
            pg = pwd.getpwnam("postgres")
            os.chown(path, pg.pw_uid, pg.pw_gid)

    def url(self, dbname: str) -> str:
        return f"postgis://postgres@127.0.0.1:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=5"

    def query(self, sql: str, params: tuple = (), dbname: str = "postgres"):
        """The rows of ``sql`` (empty for a statement that returns none)."""
        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    # --- life cycle ----------------------------------------------------------------------------
    def init_primary(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._own(self.folder)
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8"])
        settings = (
            "listen_addresses = '127.0.0.1'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.folder}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            # a test cluster: nothing to keep across a crash of the machine
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 64MB\n"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings)
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
        )
        return self

    def init_standby(self, primary: Cluster) -> Cluster:
        """A hot standby streaming from ``primary`` (``pg_basebackup -R``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._own(self.folder)
        self._run([str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                   "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream", "-c", "fast"])
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nunix_socket_directories = '{self.folder}'\n")
        return self

    def start(self, timeout: float = 30.0) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                   "-t", str(int(timeout)), "start"])

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
            except subprocess.CalledProcessError:
                pass

    def wait_until(self, sql: str, params: tuple = (), dbname: str = "postgres", timeout: float = 20.0):
        """Poll ``sql`` until its first column is true; the last row."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.query(sql, params, dbname)[0]
            if row[0] or time.monotonic() > deadline:
                return row
            time.sleep(0.1)


class ReplicatedPair:
    """A primary and its streaming standby, with ``dbname`` copied from the
    machine's server (``source_dsn``) before the standby is made."""

    def __init__(self, *, source_dsn: str, dbname: str = "cim") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cim-pg-"))
        self.dir.chmod(0o755)
        self.dbname = dbname
        self.primary = Cluster(self.dir / "primary", free_port())
        self.replica = Cluster(self.dir / "replica", free_port())
        self.source_dsn = source_dsn

    def __enter__(self) -> ReplicatedPair:
        try:
            self.primary.init_primary().start()
            self.primary.query(f'CREATE DATABASE "{self.dbname}"')
            dump = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-d", self.source_dsn],
                                  capture_output=True, check=True).stdout
            subprocess.run(["pg_restore", "--no-owner", "-d", self.primary.dsn(self.dbname)],
                           input=dump, capture_output=True, check=True)
            self.replica.init_standby(self.primary).start()
            self.wait_replayed()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.replica.stop("immediate")
        self.primary.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_replayed(self, timeout: float = 20.0) -> bool:
        """Wait until the standby has replayed everything the primary has written now."""
        (lsn,) = self.primary.query("SELECT pg_current_wal_lsn()::text")[0]
        row = self.replica.wait_until("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,),
                                      timeout=timeout)
        return bool(row[0])
