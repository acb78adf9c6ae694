"""The Celery application of the platform (long jobs on workers).

Start a worker with ``celery -A config worker -Q <CELERY_QUEUE>`` (``scripts/serve.sh``
does); the broker, result store and queue come from the settings (``CELERY_*``,
read from the environment in :mod:`config.env`).  Tasks live in each app's
``tasks.py``.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

__all__ = ["app"]
