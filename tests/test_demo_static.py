"""The demo serves its static files as production does: collected once, gzip
copies beside them (WhiteNoise sends those to clients that accept gzip); the
finders and uncompressed files only with DEBUG on, by explicit choice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.STORAGES['staticfiles']['BACKEND']); print(getattr(s, 'WHITENOISE_USE_FINDERS', False))"
)


def _demo_static(extra: dict) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CIM_CLIENT"))}
    env.update(extra, DJANGO_SETTINGS_MODULE="config.settings.dev", DJANGO_SECRET_KEY="s" * 50)
    out = subprocess.run(
        [sys.executable, "-c", _PRINT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_demo_static_files_are_collected_and_compressed():
    assert _demo_static({}) == ["whitenoise.storage.CompressedStaticFilesStorage", "False"]
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    assert demo.index("collectstatic --noinput") < demo.index("scripts/serve.sh")


def test_debug_by_choice_serves_from_the_finders():
    assert _demo_static({"DJANGO_DEBUG": "1"}) == [
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        "True",
    ]
