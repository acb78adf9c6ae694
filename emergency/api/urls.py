"""URLs of the emergency API (mounted at ``/api/emergency/``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from emergency.api import live, views
from emergency.api.views import field as field_views
from emergency.api.views import notify as notify_views
from emergency.api.views import personnel as personnel_views
from emergency.api.views.reports import ReportEscalateView

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("units", views.UnitViewSet, basename="unit")
router.register("cameras", views.CameraViewSet, basename="camera")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("mutual-aid", views.MutualAidViewSet, basename="mutual-aid")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("closures", views.ClosureViewSet, basename="closure")
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("events", views.EventViewSet, basename="event")
router.register("items", views.ItemViewSet, basename="item")
router.register("depots", views.DepotViewSet, basename="depot")
router.register("supply-requests", views.SupplyRequestViewSet, basename="supply-request")
router.register("replenishment-alerts", views.ReplenishmentAlertViewSet, basename="replenishment-alert")
# personnel (issue 12): the duty roster, experts, team members
router.register("duty-shifts", personnel_views.DutyShiftViewSet, basename="duty-shift")
router.register("duty", personnel_views.DutyViewSet, basename="duty")
router.register("experts", personnel_views.ExpertViewSet, basename="expert")
router.register("team-members", personnel_views.TeamMemberViewSet, basename="team-member")
router.register("qualifications", personnel_views.QualificationViewSet, basename="qualification")

app_name = "emergency"
urlpatterns = router.urls + [
    path("reports/<str:tracking>/escalate/", ReportEscalateView.as_view(), name="report-escalate"),
    # live operations (issue 6): AVL batches and the dashboard's figures
    path("positions/", live.PositionBatchView.as_view(), name="positions"),
    path("stats/incidents/", live.StatsIncidentsView.as_view(), name="stats-incidents"),
    path("stats/response-times/", live.StatsResponseTimesView.as_view(), name="stats-response-times"),
    path("stats/units/", live.StatsUnitsView.as_view(), name="stats-units"),
    path("stats/supplies/", live.StatsSuppliesView.as_view(), name="stats-supplies"),
    path("stats/plates/", live.StatsPlatesView.as_view(), name="stats-plates"),
    # the responder's field app (issue 14 §1)
    path("field/", field_views.FieldStateView.as_view(), name="field-state"),
    path("field/ops/", field_views.FieldOpView.as_view(), name="field-ops"),
    path("field/media/", field_views.FieldMediaView.as_view(), name="field-media"),
    # joint action and notifications (issue 14)
    path("agency-tasks/", notify_views.AgencyTaskListView.as_view(), name="agency-task-list"),
    path("agency-tasks/<int:pk>/act/", notify_views.AgencyTaskActView.as_view(), name="agency-task-act"),
    path("inbox/", notify_views.InboxView.as_view(), name="inbox"),
    path("alerts/<int:pk>/update/", notify_views.AlertUpdateView.as_view(), name="alert-update"),
    path("notifications/<int:pk>/", notify_views.NotificationLogView.as_view(), name="notification-log"),
]
