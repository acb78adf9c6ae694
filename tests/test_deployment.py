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
