"""Demo and developer settings: production-like by default.

DEBUG is off unless ``DJANGO_DEBUG=1`` is set explicitly (a debug page shows
settings values, so it is never on by accident).  The secret key and the
client-hash salt come from the environment or from ``var/secrets.env``, which
``scripts/setup.sh`` generates on first run; there is no built-in key.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.DEBUG
# The demo's own commands (create_demo_users) run only under these settings.
DEMO_MODE = True
_local = env.local_secrets()
SECRET_KEY = env.SECRET_KEY or _local.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set: run scripts/setup.sh once (it writes var/secrets.env) "
        "or set the environment variable"
    )
CIM["CLIENT_HASH_SALT"] = (  # noqa: F405
    env.CLIENT_HASH_SALT or _local.get("CIM_CLIENT_HASH_SALT") or SECRET_KEY
)
if DEBUG:
    # Development by explicit choice: static files (CesiumJS from node_modules
    # included) straight from the finders, reloaded on change, uncompressed.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    STORAGES["staticfiles"] = {  # noqa: F405
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
# Otherwise, as in production: ``scripts/demo.sh`` runs ``collectstatic`` into
# STATIC_ROOT and the base settings' storage writes a gzip copy of every text
# file beside it, which WhiteNoise sends to clients that accept gzip.
