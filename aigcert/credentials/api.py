"""What other apps may ask credentials (talent and the portal, above it)."""

from __future__ import annotations

from aigcert.credentials import selectors, services
from aigcert.credentials.data import CertificateData, HoldingData
from aigcert.credentials.rules import CERTIFICATE_CHANGED

__all__ = ["CERTIFICATE_CHANGED", "CertificateData", "HoldingData", "certificate_revoke", "certificates_of",
           "certificates_prepare_due", "demo_certificates_load", "holdings_of", "holdings_of_users"]

holdings_of = selectors.holdings_of
holdings_of_users = selectors.holdings_of_users
certificates_of = selectors.certificates_of
certificates_prepare_due = services.certificates_prepare_due


def certificate_revoke(*, number: str, reason: str, actor) -> str:
    """Revoke a certificate by its number (the office's action, for the apps above); returns its new state."""
    from aigcert.core.api import NotFound
    from aigcert.credentials.models import Certificate

    certificate = Certificate.objects.filter(number=number).first()
    if certificate is None:
        raise NotFound()
    return services.certificate_revoke(code=certificate.code, reason=reason, actor=actor).state


def demo_certificates_load(*, office, finance) -> int:
    from aigcert.credentials.demo import demo_certificates_load as load

    return load(office=office, finance=finance)
