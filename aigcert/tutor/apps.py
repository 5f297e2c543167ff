from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TutorConfig(AppConfig):
    name = "aigcert.tutor"
    verbose_name = _("AI tutor")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aigcert.tutor import handlers

        handlers.register()
