from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = _("应急指挥")
    default_auto_field = "django.db.models.BigAutoField"
