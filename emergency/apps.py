from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = _("应急指挥")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cim.routing.service import register_closure_provider
        from emergency import conf  # noqa: F401  (the declared settings' system check)
        from emergency.routing import active_closed_segment_ids

        # Road closures take effect on the next routing query, wherever it is made.
        register_closure_provider(active_closed_segment_ids)

        # Residents' reports (filed in cim) appear on the operations feed.
        from cim import hooks
        from emergency.services.reports import announce_report

        hooks.subscribe(hooks.REPORT_CREATED, announce_report("report.created"))
        hooks.subscribe(hooks.REPORT_UPDATED, announce_report("report.updated"))
