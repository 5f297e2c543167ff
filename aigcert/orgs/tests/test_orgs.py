"""Partner organizations: their own price lists (validated, audited with before/after) and their admins."""

import pytest

from aigcert.accounts.api import Role
from aigcert.core.api import DomainError, NotFound, audit_events
from aigcert.orgs import api, services
from aigcert.orgs.models import Membership, Organization, Price

MAX = services.MAX_PRICE_FEN


@pytest.fixture
def org(staff_user):
    return api.org_create(slug="bj-edu", name="北京某教育", actor=staff_user, contact_name="王老师",
                          contact_phone="13800000000")


def set_price(org, actor, deposit=40000, balance=25000, retake=15000, program="aigc-general"):
    return api.org_price_set(org_pk=org.pk, program_code=program, deposit_fen=deposit, balance_fen=balance,
                             retake_fee_fen=retake, actor=actor)


def test_org_create(org, staff_user):
    assert (org.slug, org.name, org.active) == ("bj-edu", "北京某教育", True)
    stored = Organization.objects.get(pk=org.pk)
    assert (stored.contact_name, stored.contact_phone, str(stored.code)) == ("王老师", "13800000000", org.code)
    [event] = audit_events(action="org.create")
    assert event.actor_id == staff_user.pk and event.data == {"slug": "bj-edu", "name": "北京某教育"}
    assert api.org_by_code(org.code) == api.org_by_pk(org.pk) == org


def test_org_ensure_creates_once(staff_user):
    first = api.org_ensure(slug="demo", name="演示机构", actor=staff_user)
    again = api.org_ensure(slug="demo", name="另一个名字", actor=staff_user)
    assert first == again and again.name == "演示机构"
    assert Organization.objects.count() == 1 and len(audit_events(action="org.create")) == 1


def test_org_price_set_first_time_and_update_audited(org, staff_user):
    price = set_price(org, staff_user)
    assert (price.program_code, price.deposit_fen, price.balance_fen, price.retake_fee_fen) == (
        "aigc-general", 40000, 25000, 15000)
    assert api.org_price(org.pk, "aigc-general") == price
    [created] = audit_events(action="org.price_set")
    assert created.actor_id == staff_user.pk and created.target_id == str(org.pk)
    assert created.data == {"program": "aigc-general", "before": None,
                            "after": {"deposit_fen": 40000, "balance_fen": 25000, "retake_fee_fen": 15000}}

    set_price(org, staff_user, deposit=42000, balance=26000, retake=0)
    assert Price.objects.count() == 1
    updated, _ = audit_events(action="org.price_set")
    assert updated.data == {
        "program": "aigc-general",
        "before": {"deposit_fen": 40000, "balance_fen": 25000, "retake_fee_fen": 15000},
        "after": {"deposit_fen": 42000, "balance_fen": 26000, "retake_fee_fen": 0},
    }
    assert api.org_price(org.pk, "aigc-general").deposit_fen == 42000


def test_org_prices_per_program(org, staff_user):
    set_price(org, staff_user, program="aigc-general")
    set_price(org, staff_user, deposit=300000, balance=60000, retake=19900, program="aigc-design-pro")
    prices = api.org_prices(org.pk)
    assert set(prices) == {"aigc-general", "aigc-design-pro"}
    assert prices["aigc-design-pro"].deposit_fen == 300000
    assert api.org_price(org.pk, "aigc-mentor") is None
    other = api.org_create(slug="sh-edu", name="上海某教育", actor=staff_user)
    assert api.org_prices(other.pk) == {} and api.org_price(other.pk, "aigc-general") is None


@pytest.mark.parametrize(("field", "value"), [
    ("deposit", -1), ("balance", -1), ("retake", -19900),
    ("deposit", MAX + 1), ("balance", MAX + 1), ("retake", 10**12),
    ("deposit", 498.0), ("balance", "30000"), ("retake", None), ("deposit", True),
])
def test_org_price_set_refuses_bad_amounts_and_changes_nothing(org, staff_user, field, value):
    set_price(org, staff_user)
    with pytest.raises(DomainError):
        set_price(org, staff_user, **{field: value})
    assert api.org_price(org.pk, "aigc-general").deposit_fen == 40000
    assert api.org_price(org.pk, "aigc-general").retake_fee_fen == 15000
    assert len(audit_events(action="org.price_set")) == 1


def test_org_price_set_refuses_a_bad_first_price_and_stores_nothing(org, staff_user):
    with pytest.raises(DomainError):
        set_price(org, staff_user, deposit=-100)
    assert Price.objects.count() == 0 and audit_events(action="org.price_set") == []


@pytest.mark.parametrize("value", [0, MAX])
def test_org_price_set_accepts_the_bounds(org, staff_user, value):
    price = set_price(org, staff_user, deposit=value, balance=value, retake=value)
    assert (price.deposit_fen, price.balance_fen, price.retake_fee_fen) == (value, value, value)


def test_org_admins(org, staff_user, make_user):
    admin, stranger = make_user(Role.ORG_ADMIN), make_user(Role.ORG_ADMIN)
    api.org_admin_add(org_pk=org.pk, user=admin, actor=staff_user)
    api.org_admin_add(org_pk=org.pk, user=admin, actor=staff_user)  # once is enough
    assert Membership.objects.count() == 1 and len(audit_events(action="org.admin_add")) == 1
    assert api.orgs_of_admin(admin) == [org]
    assert api.org_for_admin(admin, org.code) == org
    assert api.orgs_of_admin(stranger) == []
    with pytest.raises(NotFound):
        api.org_for_admin(stranger, org.code)
    Organization.objects.filter(pk=org.pk).update(active=False)
    assert api.orgs_of_admin(admin) == []
    with pytest.raises(NotFound):
        api.org_for_admin(admin, org.code)


def test_lookups_of_missing_orgs(db):
    with pytest.raises(NotFound):
        api.org_by_pk(999_999)
    with pytest.raises(NotFound):
        api.org_by_code("00000000-0000-0000-0000-000000000000")
