"""What every import command shares: the ImportRun lifecycle, the progress
switch, the summary table and clear errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from cim.errors import ImportFailed
from cim.importers.report import ImportReport
from cim.models import ImportRun
from cim.services.imports import import_execute


class ImportCommand(BaseCommand):
    """Base class: subclasses set ``kind`` and implement ``add_import_arguments``
    and ``loader(path, options)`` returning ``load(run, report)``."""

    kind = ""

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the file to import")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        known = len(parser._actions)
        self.add_import_arguments(parser)
        self.import_options = [action.dest for action in parser._actions[known:]]

    def add_import_arguments(self, parser) -> None:
        pass

    def loader(self, path: Path, options: dict) -> Callable[[ImportRun, ImportReport], None]:
        raise NotImplementedError

    def recorded_options(self, options: dict) -> dict:
        """The importer's own options, as the ImportRun keeps them."""
        return {k: options[k] for k in self.import_options if options.get(k) not in (None, [], False)}

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        self.progress = not options["no_progress"] and options.get("verbosity", 1) > 0
        started = time.perf_counter()
        try:
            load = self.loader(path, options)
            run, report = import_execute(kind=self.kind, path=path, options=self.recorded_options(options),
                                         by=f"command:import_{self.kind}", load=load)
        except ImportFailed as exc:
            raise CommandError(f"import failed: {exc.message}") from None
        except (DatabaseError, psycopg.Error) as exc:  # the run is recorded as failed; nothing kept
            raise CommandError(f"import failed: {path.name}: the database refused the data: "
                               f"{str(exc).strip()}") from None
        elapsed = time.perf_counter() - started
        if options.get("verbosity", 1) > 0:
            self.stdout.write(f"import #{run.pk} ({self.kind}) of {path.name}: {run.status} "
                              f"in {elapsed:.1f} s (sha256 {run.checksum[:12]}…)")
            self.stdout.write(report.table())
            if options.get("verbosity", 1) > 1 and report.timings:
                self.stdout.write("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in report.timings.items()))
