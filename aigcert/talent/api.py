"""What other apps may ask talent: the portal shows a person's standing and loads the demo."""

from __future__ import annotations

from django.urls import reverse

from aigcert.credentials import api as credentials
from aigcert.talent import selectors, services
from aigcert.talent.data import TalentSummaryData
from aigcert.talent.models import TalentProfile

__all__ = ["TalentSummaryData", "demo_talent_load", "employer_verified", "talent_summary"]

demo_talent_load = services.demo_talent_load


def talent_summary(user) -> TalentSummaryData | None:
    """The person's talent standing, or None when the talent database isn't for them (no profile and no
    certificate held)."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = TalentProfile.objects.filter(user=user).first()
    url = reverse("talent:me")
    if profile is None:
        if not credentials.holdings_of(user.pk):
            return None
        return TalentSummaryData(opted_in=False, searchable=False, open_requests=0, url=url)
    searchable = selectors.searchable_profiles().filter(pk=profile.pk).exists()
    return TalentSummaryData(opted_in=profile.consent_active, searchable=searchable,
                             open_requests=selectors.open_request_count(user), url=url)


def employer_verified(user) -> bool:
    """Whether the user's organization is verified to search the talent database (for a link in the portal)."""
    return selectors.verified_employer(user) is not None
