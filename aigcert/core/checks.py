import os

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs, **kwargs):
    """A generated key lives on one server; several app servers need the same key from the environment."""
    if os.environ.get("DATABASE_URL") and not settings.SECRET_KEY_FROM_ENV:
        return [Warning(
            "SECRET_KEY is not set: a key was generated into the data directory of this server only.",
            hint="Set SECRET_KEY in the environment of every app server.",
            id="aigcert.W001",
        )]
    return []
