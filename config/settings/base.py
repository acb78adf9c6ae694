"""Settings shared by every environment (dev, test, prod)."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR
SECRET_KEY = env.SECRET_KEY
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

if env.GDAL_LIBRARY_PATH:
    GDAL_LIBRARY_PATH = env.GDAL_LIBRARY_PATH
if env.GEOS_LIBRARY_PATH:
    GEOS_LIBRARY_PATH = env.GEOS_LIBRARY_PATH

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "cim",
    "emergency",
    "viewer",
]

MIDDLEWARE = [
    # First, so that every answer, static files and the scan fast path
    # included, carries the Content-Security-Policy.
    "config.common.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cim.middleware.RejectNulBytesMiddleware",
    # Clickjacking protection comes before the plate-scan fast path so that its
    # answers get the same headers as through the full chain (the fast path
    # chooses the language as LocaleMiddleware does).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewer.middleware.ScanPageFastPath",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cim.security.IdleSessionTimeoutMiddleware",
    "cim.security.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, so that it sees the answer of the login view (lockout page).
    "axes.middleware.AxesMiddleware",
]

# Brute-force protection (django-axes): after AXES_FAILURE_LIMIT wrong
# passwords for one username, or from one client address, further attempts
# are refused for the cool-off time, on the login form and on HTTP Basic
# alike; lockouts are audited; an admin unlocks with `manage.py axes_reset_username`
# (or `axes_reset_ip`) or by deleting the attempt in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.common.clientip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
TRUSTED_PROXIES = env.TRUSTED_PROXIES

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=60),
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["TEST"] = {"NAME": env.TEST_DATABASE_NAME}
if env.DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(env.DATABASE_REPLICA_URL, conn_max_age=60)
    DATABASES["replica"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.common.replica.ReplicaRouter"]
REPLICA_MAX_LAG_S = env.REPLICA_MAX_LAG_S
REPLICA_CHECK_S = env.REPLICA_CHECK_S
REPLICA_WAIT_S = env.REPLICA_WAIT_S
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.REDIS_URL,
        "KEY_PREFIX": env.REDIS_PREFIX,
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py ≥ 6 times socket reads out after 5 s, the same as channels_redis'
        # blocking receive (BZPOPMIN, 5 s): every idle receive then failed.  Allow longer.
        "CONFIG": {"hosts": [{"address": env.REDIS_URL, "socket_timeout": 30}],
                   "prefix": f"{env.REDIS_PREFIX}:asgi"},
    }
}

# Celery (long jobs, see cim/services/jobs.py): JSON messages only; one task
# at a time per worker process (a build holds a CPU for minutes); a task is
# acknowledged after it ran only where it is declared idempotent (acks_late
# on the task itself); results live a day (the job row keeps what matters).
CELERY_BROKER_URL = env.CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env.CELERY_RESULT_BACKEND
CELERY_TASK_DEFAULT_QUEUE = env.CELERY_QUEUE
CELERY_TASK_ALWAYS_EAGER = env.CELERY_TASK_ALWAYS_EAGER
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A late-acknowledged task whose worker died is delivered again after this
# long (Redis has no other way to know); longer than the longest build.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600,
                                   "global_keyprefix": f"{env.REDIS_PREFIX}:celery:"}
CELERY_TIMEZONE = "Asia/Shanghai"
# Notifications have a queue (and worker) of their own: a tile build holding the
# jobs worker for minutes must not hold back an alert's SMS.  The sweep (retries
# that came due, escalation of unacknowledged agency tasks) runs every minute
# from beat (scripts/serve.sh starts the notify worker with an embedded beat).
CELERY_TASK_ROUTES = {
    "emergency.notify_*": {"queue": f"{env.CELERY_QUEUE}:notify"},
    "emergency.alerts_expire": {"queue": f"{env.CELERY_QUEUE}:notify"},
}
CELERY_BEAT_SCHEDULE = {
    "notify-sweep": {"task": "emergency.notify_sweep", "schedule": 60.0},
    # expired alerts leave the scan pages of their area within this many seconds
    "alerts-expire": {"task": "emergency.alerts_expire", "schedule": 15.0},
}

# Password policy: at least 10 characters of three kinds (lower, upper,
# digits, others), not like the user's name, not a common or all-digit one.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cim.passwords.CharacterKindsValidator", "OPTIONS": {"min_kinds": 3}},
]
# Sign-in with an authenticator app (TOTP): available to every user, required
# for these roles; and the idle time after which a session ends (0: never).
TWO_FACTOR_REQUIRED_ROLES = ("admin",)
OTP_TOTP_ISSUER = "天水CIM"
SESSION_IDLE_TIMEOUT_S = env.SESSION_IDLE_TIMEOUT_S
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.STATIC_ROOT
STATICFILES_DIRS = [
    ("vendor/cesium", BASE_DIR / "viewer" / "node_modules" / "cesium" / "Build" / "Cesium"),
    ("vendor/echarts", BASE_DIR / "viewer" / "node_modules" / "echarts" / "dist"),
    ("vendor/hls", BASE_DIR / "viewer" / "node_modules" / "hls.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = env.MEDIA_ROOT
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# JSON bodies of the API (config.common.parsers): no document of the platform
# comes near these; a larger or deeper one is refused with a 400.
API_JSON_MAX_BYTES = 4 * 1024 * 1024
API_JSON_MAX_DEPTH = 64
# Image hosts the pages may load besides their own (e.g. the province's basemap
# service on the closed network); the Content-Security-Policy allows them.
CSP_EXTRA_IMG_SRC: tuple[str, ...] = ()

SILENCED_SYSTEM_CHECKS = ["gis.W001"]  # Debian 12 ships GDAL 3.6; it works.

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "cim.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cim.permissions.StaffRead"],
    "DEFAULT_PAGINATION_CLASS": "config.common.pagination.StandardPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "config.common.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "config.common.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Reads of the public endpoints; a resident's actions (report, tracking
    # look-up, flag) have their own limits in cim/conf.py, one per action.
    "DEFAULT_THROTTLE_RATES": {"public": "120/min"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tianshui CIM & Emergency Command API",
    "DESCRIPTION": "City Information Model, door plates and emergency command.",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": False,
    # config.common.schema: registers our extensions, documents the one error body
    "PREPROCESSING_HOOKS": ["config.common.schema.register_extensions"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.common.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {  # emergency enums sharing field names with others
        "IncidentStatusEnum": "emergency.choices.IncidentStatus",
        "IncidentLevelEnum": "emergency.choices.IncidentLevel",
        "IncidentCategoryEnum": "emergency.choices.IncidentCategory",
        "UnitStatusEnum": "emergency.choices.UnitStatus",
        "ReportableUnitStatusEnum": "emergency.choices.ReportableUnitStatus",
        "SupplyRequestStatusEnum": "emergency.choices.SupplyRequestStatus",
        "ZoneStatusEnum": "emergency.choices.ZoneStatus",
        "CapStatusEnum": "emergency.choices.CapStatus",
        "CapCategoryEnum": "emergency.choices.CapCategory",
        "ClosureReasonEnum": "emergency.choices.ClosureReason",
        "StockSetReasonEnum": "emergency.choices.StockSetReason",
        "ReportCategoryEnum": "cim.choices.ReportCategory",  # residents' reports (plates)
        "AnalysisKindEnum": "cim.models.analyses.AnalysisKind",
        "ReportStatusEnum": "cim.choices.ReportStatus",
    },
}

# Platform settings (see docs in README).
# The city-model app's settings: every key is declared, with its default and
# meaning, in cim/conf.py; set here only what a deployment changes.
CIM = {
    "CLIENT_HASH_SALT": env.CLIENT_HASH_SALT or SECRET_KEY,
    "JOB_LOST_AFTER_S": env.JOB_LOST_AFTER_S,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"cim": {"level": "INFO"}, "emergency": {"level": "INFO"}},
}
