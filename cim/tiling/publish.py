"""Publishing a built folder atomically.

A build goes into a fresh folder ``<parent>/.<name>-builds/<build id>/``; when
it is complete, the served path ``<parent>/<name>`` (a symbolic link) is
switched to it with one ``rename``, so a reader sees either the old tileset or
the new one, never half of one.  The previous build is kept (a client may be
fetching from it), older ones are removed.
"""

from __future__ import annotations

import gzip
import os
import shutil
import time
import uuid
from pathlib import Path


def builds_root(served: Path) -> Path:
    return served.parent / f".{served.name}-builds"


def new_build_dir(served: Path) -> tuple[str, Path]:
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    path = builds_root(served) / build_id
    path.mkdir(parents=True)
    return build_id, path


def current_build(served: Path) -> Path | None:
    """The folder the served path points at now, if any."""
    if served.is_symlink() or served.is_dir():
        resolved = served.resolve()
        return resolved if resolved.is_dir() else None
    return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file under a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_with_gzip(path: Path, data: bytes, *, level: int = 1) -> int:
    """The file and a ``.gz`` sibling (served when the client accepts gzip);
    returns the gzipped size.  Level 1: on glb tiles it is 3 % larger than
    level 6 and takes half the time."""
    packed = gzip.compress(data, compresslevel=level, mtime=0)
    write_atomic(path, data)
    write_atomic(path.with_name(path.name + ".gz"), packed)
    return len(packed)


def publish(served: Path, build_dir: Path) -> None:
    """Point ``served`` at ``build_dir`` atomically and tidy old builds."""
    served.parent.mkdir(parents=True, exist_ok=True)
    previous = current_build(served)
    if served.exists() and not served.is_symlink():
        # A plain folder from an earlier layout: move it aside once.
        served.rename(builds_root(served) / f"legacy-{uuid.uuid4().hex[:6]}")
        previous = None
    link = served.with_name(f".{served.name}.{uuid.uuid4().hex[:8]}.link")
    os.symlink(os.path.relpath(build_dir, served.parent), link)
    os.replace(link, served)
    keep = {build_dir.resolve()}
    if previous is not None:
        keep.add(previous.resolve())
    for old in builds_root(served).iterdir():
        if old.resolve() not in keep:
            shutil.rmtree(old, ignore_errors=True)


def discard(build_dir: Path) -> None:
    shutil.rmtree(build_dir, ignore_errors=True)


def unpublish(served: Path) -> None:
    """Remove a published path (its link or legacy folder) and its builds."""
    if served.is_symlink():
        served.unlink()
    else:
        shutil.rmtree(served, ignore_errors=True)
    shutil.rmtree(builds_root(served), ignore_errors=True)
