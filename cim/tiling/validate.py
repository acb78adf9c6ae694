"""Checking the output against the official validators.

* ``tileset.json`` against the OGC 3D Tiles JSON schemas (draft 2020-12) with
  ``jsonschema``; the schemas' ``$id``s are bare file names spread over
  sub-folders, so references are resolved by file name inside the schema
  folder, never over the network.
* glb files with the Khronos glTF validator through ``scripts/validate_glb.js``
  (node, ``viewer/node_modules/gltf-validator``).
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VALIDATE_GLB_JS = REPO / "scripts" / "validate_glb.js"


@functools.lru_cache(maxsize=4)
def _tileset_validator(schema_dir: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    files = {p.name: p for p in Path(schema_dir).rglob("*.schema.json")}
    if "tileset.schema.json" not in files:
        raise FileNotFoundError(f"no tileset.schema.json under {schema_dir}")

    def retrieve(uri: str) -> Resource:
        name = uri.rsplit("/", 1)[-1].split("#", 1)[0]
        if name not in files:
            raise LookupError(f"schema {uri!r} is not in {schema_dir}")
        return Resource.from_contents(json.loads(files[name].read_text()))

    root = json.loads(files["tileset.schema.json"].read_text())
    return Draft202012Validator(root, registry=Registry(retrieve=retrieve))


def tileset_errors(doc: dict, schema_dir: Path) -> list[str]:
    """Schema violations of a tileset document ("path: message"), empty when valid."""
    validator = _tileset_validator(str(schema_dir))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))]


def glb_reports(paths: list[Path], *, node: str = "node") -> list[dict]:
    """One report per file from the Khronos validator: file, errors, warnings,
    infos, hints, messages."""
    if not paths:
        return []
    proc = subprocess.run([node, str(VALIDATE_GLB_JS), *map(str, paths)], capture_output=True,
                          text=True, timeout=600)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    reports = [r for r in lines if "file" in r]
    if proc.returncode not in (0, 1) or len(reports) != len(paths):
        raise RuntimeError(f"glTF validator failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return reports
