"""Migrations: the models and the migrations agree, and no migration imports
live application code (a data migration must work with the historical models
alone, or it breaks the day that code changes)."""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted(p for app in ("cim", "emergency") for p in (ROOT / app / "migrations").glob("0*.py"))


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_migration_imports_no_app_code(path):
    # Field declarations may name a model module's callable (``upload_to``),
    # as makemigrations writes them; nothing else of the apps may be imported.
    apps = {"cim", "emergency", "viewer", "gis_data", "config"}
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] in apps:
                assert len(parts) > 1 and parts[1] == "models" and isinstance(node, ast.Import), \
                    f"{path.name} imports {name}"
