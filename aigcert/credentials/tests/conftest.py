"""Candidates who passed and paid the balance, through the real enrolment and billing APIs."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import translation

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.enrolment import api as enrolment


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    """Services' messages are asserted in English (pages choose their language per request)."""
    with translation.override("en"):
        yield


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE)


@pytest.fixture
def office(make_user):
    return make_user(Role.CERT_OFFICE)


@pytest.fixture
def passed(catalog, make_user, make_profile, finance):
    """passed(name=…, score=…, pay=True) → (holder, enrolment code): a sitting recorded as passed, the balance paid
    unless pay=False. The balance payment is what prepares the pending certificate."""
    Enrolment = apps.get_model("enrolment", "Enrolment")

    def make(name: str = "张小三", *, program: str = "aigc-general", score: int = 85, pay: bool = True,
             address: bool = True):
        holder = make_user(Role.CANDIDATE)
        fields = {"legal_name": name}
        if address:
            fields.update(recipient_name=name, recipient_phone="13900001111", province="北京市", city="北京市",
                          district="海淀区", address_line="中关村大街1号", postal_code="100080")
        make_profile(holder, **fields)
        row = Enrolment.objects.create(candidate=holder, program_code=program, state="sat")
        code = str(row.code)
        enrolment.enrolment_record_result(enrolment_code=code, passed=True, score=score)
        if pay:
            order = billing.order_for_subject(code, billing.BALANCE)
            billing.offline_payment_confirm(order_code=order.code, bank_ref=f"B-{code[:8]}",
                                            amount_fen=order.total_fen, actor=finance)
        return holder, code

    return make


@pytest.fixture
def issued(passed, office):
    """issued(name=…) → an issued Certificate (through the office's service)."""
    from aigcert.credentials import services
    from aigcert.credentials.models import Certificate

    def make(name: str = "张小三", **kwargs):
        _holder, code = passed(name, **kwargs)
        pending = Certificate.objects.get(enrolment_code=code)
        return services.certificates_issue(codes=[pending.code], actor=office)[0]

    return make
