from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = _("应急指挥")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cim.routing.service import register_closure_provider
        from emergency.routing import active_closed_segment_ids

        # Road closures take effect on the next routing query, wherever it is made.
        register_closure_provider(active_closed_segment_ids)
