"""Talent test helpers: the shipped catalog once per module, certificates made through the app registry
(credentials' services are their own journey), a holder with every kind of contact data, a verified employer."""

import io
from datetime import date
from uuid import uuid4

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from aigcert.accounts.api import Role
from aigcert.conftest import SHIPPED_CATALOG, UserFactory
from aigcert.core.api import outbox_publish
from aigcert.credentials.api import CERTIFICATE_CHANGED
from aigcert.talent import services
from aigcert.talent.models import Employer

GENERAL = "aigc-general"
PROFESSIONAL = "aigc-professional"
DESIGN = "aigc-design-pro"

# The holder's contact and identity data: none of it may ever reach an employer's page.
PHONE = "13912345678"
EMAIL = "zhang.xiaosan@example.com"
ID_NUMBER = "11010519491231002X"
LEGAL_NAME = "张小三"
MASKED = "张*三"
ADDRESS = "朝阳区建国路88号"
RECIPIENT_PHONE = "13700001111"
POSTAL_CODE = "100022"
CREDIT_CODE = "91110108551385082Q"
SECRETS = (PHONE, EMAIL, ID_NUMBER, LEGAL_NAME, ADDRESS, RECIPIENT_PHONE, POSTAL_CODE)


@pytest.fixture(scope="module")
def _catalog_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", str(SHIPPED_CATALOG), stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def catalog(_catalog_once, db):
    """Overrides the root fixture: the module's catalog is already loaded."""


def certify(user, program_code=GENERAL, *, state="issued", number=None, publish=True):
    """A certificate row for `user`, and credentials' event about it."""
    certificate = apps.get_model("credentials", "Certificate").objects.create(
        candidate=user, enrolment_code=str(uuid4()), program_code=program_code, state=state,
        number=number or f"AG2026{uuid4().int % 10**6:06d}", legal_name=LEGAL_NAME,
        pass_notice_on=date(2026, 1, 10), issued_on=date(2026, 2, 1))
    if publish:
        outbox_publish(topic=CERTIFICATE_CHANGED, payload={"user_id": user.pk, "certificate": certificate.number,
                                                           "program_code": program_code, "state": state})
    return certificate


def revoke(certificate):
    certificate.state = "revoked"
    certificate.save(update_fields=["state"])
    outbox_publish(topic=CERTIFICATE_CHANGED, payload={"user_id": certificate.candidate_id,
                                                       "certificate": certificate.number,
                                                       "program_code": certificate.program_code, "state": "revoked"})


@pytest.fixture
def make_holder(catalog, db, make_profile):
    """A candidate with a real-name profile full of contact data and a certificate of `program_code`."""
    def make(program_code=GENERAL, *, legal_name=LEGAL_NAME, phone=None, email=None):
        contact = {k: v for k, v in {"phone": phone, "email": email}.items() if v}
        user = UserFactory(roles=[Role.CANDIDATE], **contact)
        make_profile(user, legal_name=legal_name, id_number=ID_NUMBER, recipient_name=legal_name,
                     recipient_phone=RECIPIENT_PHONE, province="北京市", city="北京市", district="朝阳区",
                     address_line=ADDRESS, postal_code=POSTAL_CODE)
        certify(user, program_code)
        return user
    return make


@pytest.fixture
def holder(make_holder):
    return make_holder(phone=PHONE, email=EMAIL)


def join(user, *, skills=(), region="11", bio="擅长AIGC海报设计。", links=("https://works.example.com/me",),
         name_shown="masked"):
    return services.profile_save(user=user, region=region, bio=bio, links=list(links), skills=list(skills),
                                 name_shown=name_shown, consent=True)


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF)


@pytest.fixture
def make_employer(db, staff):
    def make(name="星河科技有限公司"):
        user = UserFactory(roles=[Role.CANDIDATE], email=f"hr-{uuid4().hex[:8]}@example.com", phone=None)
        employer = services.employer_apply(user=user, organization_name=name, credit_code=CREDIT_CODE,
                                           contact_person="王经理")
        services.employer_review(employer=employer, actor=staff, verify=True)
        return Employer.objects.get(pk=employer.pk)
    return make


@pytest.fixture
def employer(make_employer):
    return make_employer()


@pytest.fixture
def employer_client(client, employer):
    client.force_login(employer.user)
    return client


@pytest.fixture
def english(client, settings):
    """The client reads the English pages (the language switch's cookie), whatever the translations say."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
