"""Issuing and revoking at the same moment, on PostgreSQL with real threads (one connection each)."""

import threading

import pytest
from django.db import connection

from aigcert.credentials import openbadges, services
from aigcert.credentials.models import Certificate, StatusList

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="concurrent writers need PostgreSQL (SQLite serializes every writer)"),
    pytest.mark.django_db(transaction=True),
]


def together(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=20)
            outcomes[i] = call()
        except Exception as exc:  # a failure is an outcome the test looks at
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_numbers_stay_unique_and_gapless_when_offices_issue_at_once(passed, office):
    codes = [passed(f"并发{i}")[1] for i in range(8)]
    pending = list(Certificate.objects.filter(enrolment_code__in=codes).values_list("code", flat=True))
    outcomes = together([lambda c=c: services.certificates_issue(codes=[c], actor=office)[0].number
                         for c in pending])
    assert all(isinstance(o, str) for o in outcomes), outcomes
    assert len(set(outcomes)) == 8
    serials = sorted(int(n[6:12]) for n in outcomes)
    assert serials == list(range(serials[0], serials[0] + 8))
    indexes = list(Certificate.objects.filter(code__in=pending).values_list("status_index", flat=True))
    assert len(set(indexes)) == 8


def test_two_revocations_at_once_both_reach_the_list(issued, office):
    first, second = issued("撤一"), issued("撤二")
    outcomes = together([
        lambda: services.certificate_revoke(code=first.code, reason="并发撤销一", actor=office).state,
        lambda: services.certificate_revoke(code=second.code, reason="并发撤销二", actor=office).state])
    assert outcomes == ["revoked", "revoked"]
    encoded = StatusList.objects.get().credential["credentialSubject"]["encodedList"]
    assert openbadges.status_list_is_set(encoded, first.status_index)
    assert openbadges.status_list_is_set(encoded, second.status_index)
