from django.urls import path

from viewer import views
from viewer.views import audit, units_admin
from viewer.views import plates as plate_views

app_name = "viewer"

urlpatterns = [
    path("", views.home, name="home"),
    path("viewer/", views.planner, name="planner"),
    path("console/", views.console, name="console"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("backoffice/units/", units_admin.units_admin, name="units-admin"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("P/", plate_views.plate_lookup, name="plate-lookup"),
    path("P/<str:code>", plate_views.plate_scan, name="plate-scan"),
    path("p/<str:code>", plate_views.plate_scan, name="plate-scan-lower"),
    path("P/<str:code>/report/", plate_views.plate_report, name="plate-report"),
    path("P/<str:code>/flag/", plate_views.plate_flag_view, name="plate-flag"),
    path("track/", plate_views.report_track, name="report-track-form"),
    path("track/<str:tracking>/", plate_views.report_track, name="report-track"),
]
