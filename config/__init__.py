"""The Django project package: settings, URLs, ASGI/WSGI and the Celery app.

The Celery app is loaded with Django so that ``task.delay()`` in a web process
uses the configured broker."""

from .celery import app as celery_app

__all__ = ["celery_app"]
