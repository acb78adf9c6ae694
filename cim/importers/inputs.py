"""The file an importer is given: there, and of a format it reads."""

from __future__ import annotations

from pathlib import Path

from cim.errors import ImportFailed


def input_file(path, *, suffixes: tuple[str, ...], reads: str) -> Path:
    """``path`` as a Path, or :class:`ImportFailed` (field ``file``) when it is missing or
    its name does not end in one of ``suffixes``; ``reads`` says what the importer reads."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: file not found", field="file")
    if not path.name.lower().endswith(suffixes):
        raise ImportFailed(f"{path.name}: unknown format {path.suffix or '(no extension)'!r}; {reads}",
                           field="file")
    return path
