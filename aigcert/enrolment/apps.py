from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrolmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aigcert.enrolment"
    verbose_name = _("Enrolment")

    def ready(self) -> None:
        # Billing reports paid orders upward through the outbox; enrolment is the listener.
        from aigcert.enrolment import handlers

        handlers.register()
