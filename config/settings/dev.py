"""Developer / demo settings: DEBUG on, an insecure key if none is given."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.DEBUG or True
SECRET_KEY = env.SECRET_KEY or "dev-insecure-key-change-me-for-anything-public"
CIM["CLIENT_HASH_SALT"] = env.CLIENT_HASH_SALT or SECRET_KEY  # noqa: F405
# Serve static files (CesiumJS from node_modules included) straight from the
# finders under gunicorn, without a collectstatic step in the demo.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
