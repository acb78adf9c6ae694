from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CimConfig(AppConfig):
    name = "cim"
    verbose_name = _("城市信息模型")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cim import conf, security  # noqa: F401  (declared settings' check; lockout audit)
        from cim.services import admin_audit  # noqa: F401  (Django admin edits are audited)
