"""What the portal calls: the personal center's summary and the demo loader."""

import pytest

from aigcert.accounts.api import Role, user_has_any_role
from aigcert.talent import api, services
from aigcert.talent.models import Employer, TalentConsent, TalentProfile
from aigcert.talent.tests.conftest import join

pytestmark = pytest.mark.django_db


def test_summary_for_the_personal_center(holder, employer, make_user, catalog):
    assert api.talent_summary(make_user(Role.CANDIDATE)) is None  # no certificate: nothing to show
    assert api.talent_summary(holder) == api.TalentSummaryData(opted_in=False, searchable=False, open_requests=0,
                                                               url="/me/talent/")
    join(holder)
    services.contact_request_send(employer=employer, profile_code=TalentProfile.objects.get(user=holder).code,
                                  position_title="设计师", message="您好")
    assert api.talent_summary(holder) == api.TalentSummaryData(opted_in=True, searchable=True, open_requests=1,
                                                               url="/me/talent/")
    services.consent_withdraw(user=holder)
    summary = api.talent_summary(holder)
    assert (summary.opted_in, summary.searchable, summary.open_requests) == (False, False, 0)
    assert api.employer_verified(employer.user) and not api.employer_verified(holder)


def test_demo_load_is_idempotent(holder, staff, make_user):
    employer_user = make_user()
    for _ in range(2):
        profile = api.demo_talent_load(holder=holder, employer_user=employer_user, staff=staff)
    assert profile is not None and profile.consent_active and profile.skills.count() == 3
    assert TalentConsent.objects.filter(profile=profile).count() == 1
    assert Employer.objects.get(user=employer_user).status == "verified"
    assert user_has_any_role(type(employer_user).objects.get(pk=employer_user.pk), [Role.EMPLOYER])
    # A demo holder without a certificate stays out; the employer is still verified.
    assert api.demo_talent_load(holder=make_user(), employer_user=employer_user, staff=staff) is None
