"""Settings for collecting the static files of the topology test: production's,
without the vendor libraries (Cesium, ECharts: 74 MB the journeys tested there
do not load, and a minute of compression)."""

from config.settings.prod import *  # noqa: F401,F403

STATICFILES_DIRS: list = []
