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


def test_a_certificate_signed_while_its_key_is_withdrawn_is_signed_again(passed, office):
    """An office issuing with the old key when the withdrawal starts: the withdrawal waits for it to commit, so its
    re-signing pass doesn't miss the new certificate."""
    from django.db import transaction

    from aigcert.credentials import keys, verification
    from aigcert.credentials.models import IssuerKey

    pending = Certificate.objects.get(enrolment_code=passed("签发中")[1])
    old_key = keys.issuer_key_active()
    signed, finish = threading.Event(), threading.Event()
    outcomes: dict = {}

    def issue():
        try:
            with transaction.atomic():
                services.certificates_issue(codes=[pending.code], actor=office)
                signed.set()
                finish.wait(timeout=30)  # the transaction stays open while the withdrawal starts
        except Exception as exc:
            outcomes["issue"] = exc
        finally:
            signed.set()
            connection.close()

    def withdraw():
        try:
            signed.wait(timeout=30)
            outcomes["withdraw"] = services.issuer_key_withdraw(did=old_key.did, reason="并发撤回", actor=None)[1]
        except Exception as exc:
            outcomes["withdraw"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=issue), threading.Thread(target=withdraw)]
    for t in threads:
        t.start()
    signed.wait(timeout=30)
    threads[1].join(timeout=2)
    waited = threads[1].is_alive()  # blocked on the key the open issue holds
    finish.set()
    for t in threads:
        t.join(timeout=60)
    assert "issue" not in outcomes and waited, outcomes
    assert outcomes["withdraw"].certificates == 1 and outcomes["withdraw"].failed == ()
    pending.refresh_from_db()
    new_key = IssuerKey.objects.get(active=True)
    assert pending.credential["issuer"]["id"] == new_key.did != old_key.did
    assert verification.verify_document(pending.credential).outcome == "valid"
