from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "aigcert.delivery"
    verbose_name = _("Exam delivery")
    default_auto_field = "django.db.models.BigAutoField"
