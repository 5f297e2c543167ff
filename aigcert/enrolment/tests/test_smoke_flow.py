from datetime import timedelta

import pytest

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.core.api import now
from aigcert.enrolment import services
from aigcert.enrolment.models import Enrolment
from aigcert.exams import api as exams


@pytest.fixture
def sessions(catalog, exam_admin):
    day = (now() + timedelta(days=20)).date()
    return exams.sessions_generate(program_code="aigc-general", days=[day], actor=exam_admin)


def test_flow(sessions, make_user):
    cand = make_user(Role.CANDIDATE)
    fin = make_user(Role.FINANCE)
    e = services.enrolment_register(candidate=cand, program_code="aigc-general")
    assert e.state == "registered"
    order = billing.order_for_subject(str(e.code), billing.DEPOSIT)
    assert order.total_fen == 49800
    billing.offline_payment_confirm(order_code=order.code, bank_ref="B1", amount_fen=49800, actor=fin)
    e.refresh_from_db()
    assert e.state == "deposit_paid"
    am, pm = sessions
    services.booking_create(enrolment=e, session_code=am.code, actor=cand)
    e.refresh_from_db()
    assert e.state == "booked"
    b2 = services.booking_change(enrolment=e, session_code=pm.code, actor=cand)
    assert b2.session_id == pm.pk and b2.status == "confirmed"
    services.enrolment_mark_sat(enrolment=e)
    services.enrolment_record_result(enrolment=Enrolment.objects.get(pk=e.pk), passed=False, score=40)
    e.refresh_from_db()
    assert e.state == "failed"
    services.booking_create(enrolment=e, session_code=am.code, actor=cand)
    e.refresh_from_db()
    assert e.state == "booked" and e.retakes_used == 1
    services.enrolment_mark_sat(enrolment=e)
    services.enrolment_record_result(enrolment=e, passed=False, score=50)
    b3 = services.booking_create(enrolment=Enrolment.objects.get(pk=e.pk), session_code=pm.code, actor=cand)
    assert b3.status == "held"
    retake = billing.order_for_subject(str(e.code), billing.RETAKE)
    assert retake.total_fen == 19900
    billing.offline_payment_confirm(order_code=retake.code, bank_ref="B2", amount_fen=19900, actor=fin)
    e.refresh_from_db()
    assert e.state == "booked" and e.retakes_used == 2
    services.enrolment_mark_sat(enrolment=e)
    services.enrolment_record_result(enrolment=e, passed=True, score=80)
    bal = billing.order_for_subject(str(e.code), billing.BALANCE)
    assert bal.total_fen == 30000
    billing.offline_payment_confirm(order_code=bal.code, bank_ref="B3", amount_fen=30000, actor=fin)
    e.refresh_from_db()
    assert e.state == "balance_paid"
    assert billing.ledger_check().balanced
