"""Production settings: DEBUG off, secrets required, secure cookies."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
if not env.SECRET_KEY or len(env.SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (at least 32 characters).")
if not env.CLIENT_HASH_SALT:
    raise ImproperlyConfigured("CIM_CLIENT_HASH_SALT must be set in production.")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True  # the resident's language choice: sent over HTTPS only, like the others
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# The probes and the metrics answer on plain HTTP inside the deployment (compose health checks, Prometheus
# call the process directly, not through nginx), from the container itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if "localhost" not in ALLOWED_HOSTS:  # noqa: F405
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "localhost"]  # noqa: F405

# One JSON object per log line, with the request id nginx made (config/logs.py);
# Prometheus metrics of every request (django-prometheus: /metrics, not through nginx).
INSTALLED_APPS = [*INSTALLED_APPS, "django_prometheus"]  # noqa: F405
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.logs.RequestIdMiddleware",
    *MIDDLEWARE,  # noqa: F405
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "cim": {"level": "INFO"},
        "emergency": {"level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
