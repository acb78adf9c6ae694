"""Layers point one way: the API packages and the pages import the core
(models, selectors, services); the core imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = [p for app in ("cim", "emergency") for p in (ROOT / app).rglob("*.py")
        if "api" not in p.relative_to(ROOT / app).parts[:1]
        and "migrations" not in p.parts]
FORBIDDEN = ("cim.api", "emergency.api", "viewer")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_never_imports_the_api_or_the_pages():
    bad = {str(path.relative_to(ROOT)): sorted(n for n in _imports(path)
                                               if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
           for path in CORE}
    assert len(CORE) > 50 and not {k: v for k, v in bad.items() if v}
