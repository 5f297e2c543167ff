"""The outbox: listeners run with the publisher's change; a failing one rolls back alone and is delivered later."""

import pytest
from django.db import transaction

from aigcert.core import outbox
from aigcert.core.api import audit_events, audit_record, outbox_publish, outbox_retry
from aigcert.core.models import OutboxEvent

TOPIC = "test.something_happened"


@pytest.fixture
def listener(monkeypatch):
    """A listener that writes an audit row, or fails after writing it while ``state["fail"]``."""
    state = {"fail": True, "calls": []}

    def on_event(payload: dict) -> None:
        state["calls"].append(payload)
        audit_record(actor=None, action="test.listener_ran", data=payload)
        if state["fail"]:
            raise RuntimeError("listener is down")

    monkeypatch.setitem(outbox._listeners, TOPIC, [on_event])
    return state


@pytest.mark.django_db
def test_a_delivered_event_is_one_row_written_once(listener, django_assert_num_queries):
    listener["fail"] = False
    with transaction.atomic(), django_assert_num_queries(4) as queries:  # savepoint, audit row, release, event
        event = outbox_publish(topic=TOPIC, payload={"n": 1})
    assert [q["sql"].split()[0] for q in queries.captured_queries].count("INSERT") == 2
    event.refresh_from_db()
    assert (event.attempts, event.last_error, event.delivered_at is not None) == (1, "", True)
    assert [e.data for e in audit_events(action="test.listener_ran")] == [{"n": 1}]


@pytest.mark.django_db
def test_a_failing_listener_rolls_back_alone_and_the_retry_delivers_the_event(listener):
    with transaction.atomic():
        audit_record(actor=None, action="test.publisher_change")
        event = outbox_publish(topic=TOPIC, payload={"n": 2})
    event.refresh_from_db()
    # The publisher's change stands; the listener's write went with its savepoint; the event waits, with why.
    assert audit_events(action="test.publisher_change") and not audit_events(action="test.listener_ran")
    assert (event.attempts, event.delivered_at) == (1, None)
    assert "listener is down" in event.last_error
    assert outbox_retry() == 0  # still failing: counted again, still waiting
    event.refresh_from_db()
    assert (event.attempts, event.delivered_at) == (2, None)
    listener["fail"] = False
    assert outbox_retry() == 1
    event.refresh_from_db()
    assert (event.attempts, event.last_error, event.delivered_at is not None) == (3, "", True)
    assert [e.data for e in audit_events(action="test.listener_ran")] == [{"n": 2}]
    assert outbox_retry() == 0 and OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_listener_gets_only_the_events_it_wants_and_the_others_open_no_savepoint(listener, monkeypatch,
                                                                                   django_assert_num_queries):
    listener["fail"] = False
    on_event = outbox._listeners[TOPIC][0]
    monkeypatch.setitem(outbox._wants, (TOPIC, on_event), lambda payload: payload["kind"] == "mock")
    with transaction.atomic(), django_assert_num_queries(1):  # the event alone: no savepoint, no listener
        unwanted = outbox_publish(topic=TOPIC, payload={"kind": "formal"})
    unwanted.refresh_from_db()
    assert unwanted.delivered_at is not None and listener["calls"] == []
    outbox_publish(topic=TOPIC, payload={"kind": "mock"})
    assert listener["calls"] == [{"kind": "mock"}]
    # A retried event and a batch ask the same question.
    listener["fail"] = True
    failed = outbox_publish(topic=TOPIC, payload={"kind": "mock", "n": 2})
    waiting = OutboxEvent.objects.create(topic=TOPIC, payload={"kind": "formal", "n": 3})  # left undelivered
    assert outbox.outbox_publish_many(topic=TOPIC, payloads=[{"kind": "formal"}, {"kind": "formal"}]) == 2
    listener["fail"] = False
    assert outbox_retry() == 2
    assert listener["calls"] == [{"kind": "mock"}, {"kind": "mock", "n": 2}, {"kind": "mock", "n": 2}]
    failed.refresh_from_db()
    waiting.refresh_from_db()
    assert failed.delivered_at is not None and waiting.delivered_at is not None
