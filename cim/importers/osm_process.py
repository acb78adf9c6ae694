"""Reading a PBF in a child process, so that reading and loading use both cores.

The reader (:class:`~.osm_reader.OsmReader`) is pure Python over pyosmium
and holds the interpreter lock while it works; :func:`~.osm.load_osm` needs
the same lock to check buildings, build its COPY data and hear back from
PostgreSQL.  In one process the two take turns (a building batch took two
to four times as long while the file was being read); with the reader in a
forked child they run side by side, and the rows come through a pipe
(pickled batches of a few hundred kilobytes).  In this process a receiving
thread takes them off the pipe as they come (so that the child never waits
for the loading), into a queue that the caller's thread, the only one that
uses the database, works through.

The child is forked before any thread starts and never touches the
database: it inherits the parent's connection socket but leaves it alone,
and ends with ``os._exit`` (multiprocessing's way), so nothing is sent on
it.  Where ``fork`` is not available, or ``CIM["OSM_READ_IN_CHILD"]``
is False, the reader runs in the caller's thread.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from .osm_reader import OsmReader, OsmReadError
from .report import ImportReport

__all__ = ["ChildReader", "fork_available"]


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(conn, path: str, options: dict[str, Any]) -> None:
    # Many small tuples, no reference cycles: the cyclic collector's passes
    # would only cost time (see load_osm).
    gc.disable()
    report = ImportReport()

    def send(kind: str, payload: Any) -> None:
        conn.send((kind, payload))

    try:
        reader = OsmReader(path, **options, report=report,
                           on_buildings=lambda rows: send("buildings", rows),
                           on_relation_buildings=lambda rows: send("relation_buildings", rows),
                           on_roads=lambda graph: send("roads", graph),
                           progress=lambda n: send("progress", n))
        rest = reader.read()
        send("done", (rest, report))
    except OsmReadError as exc:
        send("unreadable", str(exc))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        send("crashed", traceback.format_exc(limit=20))
    finally:
        conn.close()


_LAST = ("done", "unreadable", "crashed")
_ENDED = ("ended", None)  # the pipe closed without a last message


class ChildReader:
    """A reader forked at once (it reads while the caller prepares the
    database), whose messages are taken later with :meth:`messages`; always
    :meth:`close` it."""

    def __init__(self, path: str, **options) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._child = context.Process(target=_child, args=(send, str(path), options), name="cim-osm-reader",
                                      daemon=True)
        self._child.start()
        send.close()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._receiver: threading.Thread | None = None

    def _receive_all(self) -> None:
        # Touches nothing but the pipe and the queue (no database, no Django).
        while True:
            try:
                message = self._receive.recv()
            except (EOFError, OSError):
                self._queue.put(_ENDED)
                return
            except BaseException:  # noqa: BLE001 - e.g. a message that does not unpickle: the caller raises
                self._queue.put(("crashed", traceback.format_exc(limit=20)))
                return
            self._queue.put(message)
            if message[0] in _LAST:
                return

    def messages(self) -> Iterator[tuple[str, Any]]:
        """In order: ``("buildings", rows)`` … ``("progress", n)`` …
        ``("relation_buildings", rows)``, ``("roads", RoadGraph)`` and
        last ``("done", (OsmRest, ImportReport))``.  Raises :class:`OsmReadError` for a file that
        cannot be read, RuntimeError when the child fails otherwise."""
        if self._receiver is None:
            self._receiver = threading.Thread(target=self._receive_all, name="cim-osm-receiver", daemon=True)
            self._receiver.start()
        while True:
            kind, payload = self._queue.get()
            if kind == "ended":
                self._child.join(5)
                raise RuntimeError(f"the OSM reading process ended without a result "
                                   f"(exit code {self._child.exitcode})")
            if kind == "unreadable":
                raise OsmReadError(payload)
            if kind == "crashed":
                raise RuntimeError(f"the OSM reading process failed:\n{payload}")
            yield kind, payload
            if kind == "done":
                return

    def close(self) -> None:
        """End and reap the child (one still reading is stopped: its work is
        no longer wanted), then the receiving thread, which ends when the
        pipe closes."""
        self._child.join(0 if self._receiver is None or self._receiver.is_alive() else 5)
        if self._child.is_alive():
            self._child.kill()
            self._child.join(5)
        if self._receiver is not None:
            self._receiver.join(5)
        self._receive.close()
