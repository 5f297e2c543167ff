from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "aigcert.delivery"
    verbose_name = _("Exam delivery")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Courses and practice close while a formal exam is open; learning sits below delivery and asks through this.
        from aigcert.delivery import api
        from aigcert.learning import api as learning

        learning.exam_lock_register(api.has_open_formal_attempt)
