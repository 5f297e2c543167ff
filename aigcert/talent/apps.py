from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "aigcert.talent"
    verbose_name = _("Talent database")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aigcert.core.api import outbox_subscribe
        from aigcert.credentials.api import CERTIFICATE_CHANGED
        from aigcert.talent.services import on_certificate_changed

        # A certificate issued, revoked or replaced changes what the holder's profile shows and whether it is found.
        outbox_subscribe(CERTIFICATE_CHANGED, on_certificate_changed)
