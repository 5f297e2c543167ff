from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItembankConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aigcert.itembank"
    verbose_name = _("Item bank")
