"""The services packages import one way: no module of ``emergency.services``
or ``cim.services`` reaches itself again through its imports (also those
inside functions, which would only hide a cycle), and cim never
imports emergency (emergency builds on cim)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("emergency.services", "cim.services")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, anywhere in its body, absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # A package's __init__ re-exports its modules; the edges that matter
        # are between the modules themselves.
        if path.name == "__init__.py":
            graph[name] = set()
            continue
        graph[name] = {m for m in _imports(name, path) if m in modules and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_walk_sees_the_imports_it_must_see():
    graph = _graph()
    assert "emergency.services.transitions" in graph["emergency.services.assignments"]
    assert "emergency.services.assignments" in graph["emergency.services.units"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle_in_the_services():
    assert _cycle(_graph()) is None


def test_cim_does_not_import_emergency():
    offenders = []
    for path in sorted((ROOT / "cim").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        if any(m == "emergency" or m.startswith("emergency.") for m in _imports(_module_name(path), path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

