from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarkingConfig(AppConfig):
    name = "aigcert.marking"
    verbose_name = _("Marking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aigcert.marking import handlers

        handlers.register()
