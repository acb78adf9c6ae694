"""Deployment files: the Dockerfile lints clean, the compose file is valid,
production settings refuse to start without secrets, set-up scripts parse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import compose
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_BIN = Path(compose.__file__).parent / "docker-compose"


def test_dockerfile_lints_clean():
    result = subprocess.run([Path(sys.executable).parent / "hadolint", "docker/Dockerfile"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_is_valid_and_requires_secrets():
    env = {**os.environ, "POSTGRES_PASSWORD": "pw", "DJANGO_SECRET_KEY": "k" * 40,
           "CIM_CLIENT_HASH_SALT": "salt"}
    ok = subprocess.run([COMPOSE_BIN, "-f", "docker/compose.yaml", "config", "-q"], cwd=ROOT,
                        env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    env.pop("DJANGO_SECRET_KEY")
    missing = subprocess.run([COMPOSE_BIN, "-f", "docker/compose.yaml", "config", "-q"], cwd=ROOT,
                             env=env, capture_output=True, text=True)
    assert missing.returncode != 0 and "DJANGO_SECRET_KEY" in missing.stderr


def _prod_settings(env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CIM_CLIENT"))}
    env.update(env_extra, DJANGO_SETTINGS_MODULE="config.settings.prod")
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True)


def test_production_settings_need_secrets():
    refused = _prod_settings({})
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY must be set" in refused.stderr
    ok = _prod_settings({"DJANGO_SECRET_KEY": "s" * 50, "CIM_CLIENT_HASH_SALT": "salt"})
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == ["False", "True", "True"]


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "scripts").glob("*.sh")))
def test_shell_scripts_parse(script):
    result = subprocess.run(["bash", "-n", f"scripts/{script}"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_make_test_only():
    body = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert body[-1].strip() == "exec make test"


def _dev_settings(env_extra: dict, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CIM_CLIENT"))}
    env.update(env_extra, DJANGO_SETTINGS_MODULE="config.settings.dev")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_demo_settings_run_with_debug_off_unless_asked():
    # The demo's settings are production-like: DEBUG only by explicit choice.
    assert _dev_settings({"DJANGO_SECRET_KEY": "s" * 50}).stdout.split() == ["False"]
    assert _dev_settings({"DJANGO_SECRET_KEY": "s" * 50, "DJANGO_DEBUG": "1"}).stdout.split() == ["True"]


def test_demo_secrets_are_generated_locally_and_ignored_by_git():
    # scripts/setup.sh wrote them on first run; git must never see them.
    secrets_file = ROOT / "var" / "secrets.env"
    assert secrets_file.exists(), "scripts/setup.sh generates var/secrets.env"
    assert "DJANGO_SECRET_KEY=" in secrets_file.read_text()
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secrets.env"], cwd=ROOT)
    assert ignored.returncode == 0
    assert "dev-insecure" not in (ROOT / "config" / "settings" / "dev.py").read_text()


def test_runtime_lock_ships_no_test_tools():
    # The image installs requirements.lock only: no test runner, browser driver or fuzzer.
    runtime = {line.split("==")[0].lower() for line in (ROOT / "requirements.lock").read_text().splitlines()
               if line and not line.startswith("#")}
    for tool in ("pytest", "pytest-django", "playwright", "schemathesis", "networkx", "ruff", "svglib"):
        assert tool not in runtime, tool
    dev = (ROOT / "requirements-dev.lock").read_text()
    assert "-r requirements.lock" in dev and "pytest==" in dev


def test_make_test_runs_the_linters_first():
    body = (ROOT / "scripts" / "test.sh").read_text()
    assert body.index("scripts/lint.sh") < body.index("pytest")
    lint = (ROOT / "scripts" / "lint.sh").read_text()
    assert "ruff check" in lint and "eslint" in lint
