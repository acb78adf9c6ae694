from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cim import tiles_views
from cim.permissions import StaffRead
from config import health
from emergency import video_files
from viewer.views import auth as auth_pages

# The API's schema and its documentation pages are for staff (any platform
# role): the public reaches only the public endpoints, which need no manual.
_STAFF = [StaffRead]

urlpatterns = [
    # probes of the process manager and nginx (config/health.py)
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("edge/tiles-access", health.tiles_access, name="edge-tiles-access"),
    path("edge/video-access", video_files.video_access, name="edge-video-access"),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=_STAFF), name="schema"),
    path("api/docs/", login_required(
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=_STAFF)), name="api-docs"),
    path("api/redoc/", login_required(
        SpectacularRedocView.as_view(url_name="schema", permission_classes=_STAFF)), name="api-redoc"),
    path("api/cim/", include("cim.api.urls")),
    path("api/emergency/", include("emergency.api.urls")),
    path("api/jobs/", include("cim.api.jobs_urls")),
    path("ogc/", include("cim.api.ogc_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tiles/<path:path>", tiles_views.tiles, name="tiles"),
    path("terrain/<path:path>", tiles_views.terrain, name="terrain"),
    path("basemap/<path:path>", tiles_views.basemap, name="basemap"),
    path("video/<path:path>", video_files.video, name="video"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_pages.SignInView.as_view(), name="login"),
    path("accounts/two-factor/", auth_pages.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("viewer.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("tiles-check/", tiles_views.tiles_check, name="tiles-check"))
