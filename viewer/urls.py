from django.urls import path

from viewer import views
from viewer.views import audit, field, plates_admin, reports_queue, schemes, units_admin
from viewer.views import catalogue as catalogue_views
from viewer.views import jobs as job_pages
from viewer.views import notify as notify_pages
from viewer.views import personnel as personnel_views
from viewer.views import plates as plate_views

app_name = "viewer"

urlpatterns = [
    path("", views.home, name="home"),
    path("viewer/", views.planner, name="planner"),
    path("viewer/schemes/", schemes.schemes_page, name="schemes"),
    path("console/", views.console, name="console"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("field/", field.field_app, name="field"),
    path("field/manifest.webmanifest", field.field_manifest, name="field-manifest"),
    path("field/sw.js", field.field_service_worker, name="field-sw"),
    path("backoffice/units/", units_admin.units_admin, name="units-admin"),
    path("audit/", audit.audit_log, name="audit"),
    path("backoffice/jobs/", job_pages.jobs_page, name="jobs"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("backoffice/reports/", reports_queue.reports_queue, name="reports-queue"),
    path("backoffice/reports/<int:pk>/", reports_queue.report_page, name="report-page"),
    path("backoffice/duty/", personnel_views.duty_roster, name="duty"),
    path("backoffice/experts/", personnel_views.experts, name="experts"),
    path("backoffice/teams/", personnel_views.teams, name="teams"),
    path("backoffice/plates/", plates_admin.plate_admin, name="plate-admin"),
    path("backoffice/plates/issue/", plates_admin.plate_issue_view, name="plate-admin-issue"),
    path("backoffice/plates/sheet/", plates_admin.plate_sheet, name="plate-admin-sheet"),
    path("backoffice/plates/<str:code>/", plates_admin.plate_admin_detail, name="plate-admin-detail"),
    path("backoffice/plates/<str:code>/action/", plates_admin.plate_action, name="plate-admin-action"),
    path("backoffice/catalogue/", catalogue_views.catalogue_editor, name="catalogue"),
    path("backoffice/catalogue/items/<slug:code>/", catalogue_views.catalogue_item_edit,
         name="catalogue-item"),
    path("backoffice/catalogue/halls/", catalogue_views.catalogue_halls, name="catalogue-halls"),
    path("backoffice/catalogue/questions/<slug:code>/", catalogue_views.catalogue_question_edit,
         name="catalogue-question"),
    path("backoffice/catalogue/versions/<int:number>/preview/", catalogue_views.catalogue_preview,
         name="catalogue-preview"),
    path("backoffice/catalogue/versions/<int:number>/preview/<str:code>", catalogue_views.catalogue_preview,
         name="catalogue-preview-plate"),
    path("backoffice/catalogue/versions/<int:number>/<str:action>/",
         catalogue_views.catalogue_version_action, name="catalogue-version-action"),
    path("P/", plate_views.plate_lookup, name="plate-lookup"),
    path("P/<str:code>", plate_views.plate_scan, name="plate-scan"),
    path("p/<str:code>", plate_views.plate_scan, name="plate-scan-lower"),
    path("P/<str:code>/report/", plate_views.plate_report, name="plate-report"),
    path("P/<str:code>/flag/", plate_views.plate_flag_view, name="plate-flag"),
    path("P/<str:code>/subscribe/", notify_pages.plate_subscribe, name="plate-subscribe"),
    path("alerts/unsubscribe/<str:token>/", notify_pages.alert_unsubscribe, name="alert-unsubscribe"),
    path("cap/feed.atom", notify_pages.cap_feed, name="cap-feed"),
    path("cap/<str:identifier>.xml", notify_pages.cap_alert, name="cap-alert"),
    path("inbox/", notify_pages.inbox, name="inbox"),
    path("track/", plate_views.report_track, name="report-track-form"),
    path("track/<str:tracking>/", plate_views.report_track, name="report-track"),
]
