"""Deployment files: the Dockerfile lints clean, the compose file is valid,
production settings refuse to start without secrets, set-up scripts parse."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import compose
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_BIN = Path(compose.__file__).parent / "docker-compose"


@pytest.mark.parametrize("dockerfile", ["docker/Dockerfile", "docker/nginx/Dockerfile"])
def test_dockerfiles_lint_clean(dockerfile):
    result = subprocess.run([Path(sys.executable).parent / "hadolint", dockerfile],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _stages(dockerfile: str) -> dict[str, str]:
    """The stages of a multi-stage Dockerfile by name, comments left out."""
    stages, name = {}, None
    for line in (ROOT / dockerfile).read_text().splitlines():
        if line.startswith("FROM "):
            name = line.split(" AS ")[-1].strip() if " AS " in line else line
            stages[name] = ""
        elif name and not line.lstrip().startswith("#"):
            stages[name] += line + "\n"
    return stages


def test_image_installs_the_runtime_lock_only_and_runs_unprivileged():
    stages = _stages("docker/Dockerfile")
    assert list(stages) == ["build", "runtime"]  # the last stage is the image
    build, runtime = stages["build"], stages["runtime"]
    assert "pip install --no-cache-dir -r requirements.lock" in build
    assert "requirements-dev" not in build + runtime and "pytest" not in build + runtime
    # the runtime stage installs nothing from PyPI or npm: it copies the built venv and code
    assert "pip install" not in runtime and "npm" not in runtime
    for tool in ("nodejs", "gettext", "python3-venv", "build-essential", "gcc"):
        assert tool not in runtime, tool
    assert "COPY --from=build /srv/venv /srv/venv" in runtime
    assert "USER 10001" in runtime and "useradd --system --uid 10001" in runtime
    ignored = (ROOT / "docker" / "Dockerfile.dockerignore").read_text().split()
    assert {"tests", ".venv", "viewer/node_modules", "var"} <= set(ignored)


def _compose_config() -> dict:
    env = {**os.environ, "POSTGRES_PASSWORD": "pw", "DJANGO_SECRET_KEY": "k" * 40,
           "CIM_CLIENT_HASH_SALT": "salt"}
    out = subprocess.run([COMPOSE_BIN, "-f", "docker/compose.yaml", "config", "--format", "json"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_compose_topology():
    services = _compose_config()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "asgi", "worker", "nginx"}
    # migrations run once, in the one-shot service everything else waits for
    migrate = services["migrate"]
    assert migrate["command"] == ["sh", "docker/release.sh"] and migrate["restart"] == "no"
    assert "manage.py migrate" in (ROOT / "docker" / "release.sh").read_text()
    for name in ("web", "asgi", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["db"]["condition"] == "service_healthy", name
        assert "migrate" not in " ".join(services[name]["command"]), name
    for name, port in (("web", 8000), ("asgi", 8001)):
        assert services[name]["deploy"]["replicas"] == 2, name
        assert f"http://localhost:{port}/readyz" in " ".join(services[name]["healthcheck"]["test"]), name
    assert services["web"]["command"][0] == "gunicorn" and services["asgi"]["command"][0] == "daphne"
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    nginx = services["nginx"]
    assert {v["target"] for v in nginx["volumes"]} == {"/etc/nginx/certs", "/srv/static", "/srv/media"}
    assert {p["target"] for p in nginx["ports"]} == {80, 443}
    assert all(nginx["depends_on"][s]["condition"] == "service_healthy" for s in ("web", "asgi"))
    # the application trusts X-Forwarded-For from the deployment's own network only
    assert services["web"]["environment"]["CIM_TRUSTED_PROXIES"] == "172.28.0.0/16"


def _size(text: str) -> int:
    number, unit = re.fullmatch(r"([0-9]+)([km]?)", text).groups()
    return int(number) * {"": 1, "k": 2**10, "m": 2**20}[unit]


def test_nginx_upload_limits_match_the_application():
    from django.conf import settings

    from cim.conf import cim_settings
    from emergency.conf import emergency_settings

    template = (ROOT / "docker" / "nginx" / "nginx.conf.template").read_text()
    default = _size(re.search(r"^    client_max_body_size (\S+);", template, re.M).group(1))
    attachments = template.split("location ~ ^/api/emergency/incidents/[0-9]+/attachments/$", 1)[1]
    largest = _size(re.search(r"client_max_body_size (\S+);", attachments).group(1))
    assert largest >= max(emergency_settings.ATTACHMENT_MAX_BYTES.values()) + 2**20  # + multipart envelope
    assert default >= max(settings.API_JSON_MAX_BYTES, cim_settings.REPORT_PHOTO_MAX_BYTES,
                          settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    assert default < largest


def test_nginx_entrypoint_makes_a_certificate_and_a_valid_configuration(tmp_path):
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed (scripts/setup.sh installs Debian's nginx)")
    env = {**os.environ, "CIM_WEB_SERVERS": "127.0.0.1:9001 127.0.0.1:9002",
           "CIM_ASGI_SERVERS": "127.0.0.1:9003 127.0.0.1:9004", "CIM_HTTP_LISTEN": "127.0.0.1:9080",
           "CIM_HTTPS_LISTEN": "127.0.0.1:9443", "CIM_HTTPS_PORT": "9443",
           "CIM_CERT_DIR": str(tmp_path / "certs"), "CIM_NGINX_RUN_DIR": str(tmp_path / "run"),
           "CIM_NGINX_CONF": str(tmp_path / "nginx.conf"),
           "CIM_NGINX_ERROR_LOG": str(tmp_path / "error.log")}
    result = subprocess.run(["sh", "docker/nginx/entrypoint.sh", "-t", "-q"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "generating a self-signed one" in result.stderr
    assert (tmp_path / "certs" / "tls.key").stat().st_mode & 0o077 == 0  # the key is private
    conf = (tmp_path / "nginx.conf").read_text()
    assert "${" not in conf  # every placeholder rendered, nginx's own $variables kept
    assert conf.count("server 127.0.0.1:900") == 4 and "$proxy_add_x_forwarded_for" in conf
    assert "return 301 https://$host:9443$request_uri;" in conf
    # a mounted certificate is kept
    before = (tmp_path / "certs" / "tls.crt").read_bytes()
    again = subprocess.run(["sh", "docker/nginx/entrypoint.sh", "-t", "-q"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and (tmp_path / "certs" / "tls.crt").read_bytes() == before


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
