from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cim import tiles_views
from viewer import auth_views as auth_pages

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/cim/", include("cim.api.urls")),
    path("api/emergency/", include("emergency.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tiles/<path:path>", tiles_views.tiles, name="tiles"),
    path("terrain/<path:path>", tiles_views.terrain, name="terrain"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_pages.SignInView.as_view(), name="login"),
    path("accounts/two-factor/", auth_pages.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("viewer.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("tiles-check/", tiles_views.tiles_check, name="tiles-check"))
