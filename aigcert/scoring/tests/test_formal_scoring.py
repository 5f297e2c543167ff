"""Scoring of formal sessions: the batch job after the session, its idempotence, the refusal while attempts are open,
and re-scoring after a key correction (audited, showing whom it changes, refused once results are out)."""

from decimal import Decimal

import pytest

from aigcert.core.api import DomainError, audit_events
from aigcert.exam_fixtures import GENERAL, key_correct, option_choice
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import api as scoring
from aigcert.scoring import formal
from aigcert.scoring.models import AttemptScore, Rescore, SessionScoring
from aigcert.scoring.tests.conftest import points_the_slow_way


def first_option(item):
    return option_choice(item, 0)


def last_option(item):
    return option_choice(item, -1)


def keyed_single_choice(item):
    """The key of a single-choice item, no answer to the others."""
    if item["item_type"] != "single_choice":
        return None
    return itembank.versions_review([item["version_id"]])[item["version_id"]].key[0]


def test_a_session_is_scored_once_every_attempt_closed(sitting, django_capture_on_commit_callbacks):
    session = sitting.session(program_code=GENERAL)
    attempts = [sitting.sit(session, answer=first_option), sitting.sit(session, answer=keyed_single_choice),
                sitting.sit(session, answer=lambda item: None)]
    with django_capture_on_commit_callbacks(execute=True):
        state = scoring.session_scoring_request(session_code=str(session.code), actor=sitting.exam_admin)
    assert state.attempts_total == 3
    scoring_row = SessionScoring.objects.get(session_code=str(session.code))
    assert (scoring_row.state, scoring_row.attempts_scored) == ("done", 3)
    for attempt in attempts:
        score = AttemptScore.objects.get(attempt_id=attempt.pk)
        expected = points_the_slow_way(attempt)
        assert {slot: Decimal(v) for slot, v in score.slots.items()} == expected
        assert score.objective_points == sum(expected.values())
        assert (score.kind, score.session_code, score.unscored_items) == ("formal", str(session.code), 0)
    # an empty paper scores zero; the sheet keyed on every single choice earns each of those slots in full
    totals = [AttemptScore.objects.get(attempt_id=a.pk).objective_points for a in attempts]
    singles = [i for i in exams.paper_get(attempts[1].paper_id).items if i["item_type"] == "single_choice"]
    assert singles and totals[2] == 0
    assert totals[1] == sum(Decimal(i["points"]) for i in singles)
    assert [e.data["attempts"] for e in audit_events(action="scoring.session_score")] == [3]


def test_scoring_waits_while_an_attempt_is_open(sitting):
    session = sitting.session(program_code=GENERAL)
    sitting.sit(session, answer=first_option)
    sitting.sit(session, answer=first_option, submit=False)
    with pytest.raises(DomainError) as refused:
        scoring.session_scoring_request(session_code=str(session.code))
    assert refused.value.code == "open_attempts"
    assert not SessionScoring.objects.exists() and not AttemptScore.objects.exists()


def test_scoring_twice_changes_nothing(sitting, django_capture_on_commit_callbacks):
    session = sitting.session(program_code=GENERAL)
    attempt = sitting.sit(session, answer=first_option)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_scoring_request(session_code=str(session.code))
    before = list(AttemptScore.objects.values_list("pk", "slots", "objective_points"))
    # a second request and a second worker run: the session is done, nothing is scored again
    scoring.session_scoring_request(session_code=str(session.code))
    formal.session_score(session_code=str(session.code))
    SessionScoring.objects.filter(session_code=str(session.code)).update(state="queued")
    formal.session_score(session_code=str(session.code))  # a requeued run skips attempts already scored
    assert list(AttemptScore.objects.values_list("pk", "slots", "objective_points")) == before
    assert AttemptScore.objects.filter(attempt_id=attempt.pk).count() == 1


def test_rescoring_after_a_key_correction_shows_and_audits_whom_it_changes(
        sitting, make_user, django_capture_on_commit_callbacks):
    session = sitting.session(program_code=GENERAL)
    first = sitting.sit(session, answer=first_option)
    last = sitting.sit(session, answer=last_option)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_scoring_request(session_code=str(session.code))
    # An item of the second candidate's paper whose key isn't its last option: making it so gains them its points.
    paper = exams.paper_get(last.paper_id)
    keys = itembank.versions_review(i["version_id"] for i in paper.items)
    single = next(i for i in paper.items if i["item_type"] == "single_choice"
                  and keys[i["version_id"]].key[0] != i["payload"]["options"][-1]["id"])
    new_key = single["payload"]["options"][-1]["id"]
    new_version = key_correct(single["version_id"], to_option=new_key)
    # Worked out independently: whoever holds this item now earns its points iff they chose the new key.
    expected = {}
    for attempt in (first, last):
        held = [i for i in exams.paper_get(attempt.paper_id).items if i["version_id"] == single["version_id"]]
        if not held:
            continue
        slot = held[0]["slot"]
        score = AttemptScore.objects.get(attempt_id=attempt.pk)
        chosen = attempt.responses.get(slot=slot).value
        now_earned = Decimal(held[0]["points"]) if chosen == new_key else Decimal(0)
        if Decimal(score.slots[slot]) != now_earned:
            expected[attempt.pk] = (score.objective_points,
                                    score.objective_points - Decimal(score.slots[slot]) + now_earned)
    assert expected, "the correction must change someone for this test to mean anything"
    versions, changes = scoring.rescore_preview(session_code=str(session.code))
    assert versions == {str(single["version_id"]): new_version}
    changed = {c["attempt"]: (Decimal(c["before"]), Decimal(c["after"])) for c in changes}
    assert changed == expected
    admin = make_user("exam_admin")
    with pytest.raises(DomainError):
        scoring.rescore_apply(session_code=str(session.code), reason="  ", actor=admin)
    rescore = scoring.rescore_apply(session_code=str(session.code), reason="勘误：第一题答案更正", actor=admin)
    assert {c["attempt"] for c in rescore.changes} == set(changed)
    for pk, (_before, after) in expected.items():
        assert AttemptScore.objects.get(attempt_id=pk).objective_points == after
    [event] = audit_events(action="scoring.session_rescore")
    assert event.data["changed"] == len(changed) and event.data["reason"] == "勘误：第一题答案更正"
    # applied once: nothing more to re-score
    assert scoring.rescore_preview(session_code=str(session.code)) == ({}, [])
    # once results are out, only a re-check changes a score
    key_correct(new_version, to_option=single["payload"]["options"][0]["id"])
    scoring.session_freeze(session_code=str(session.code))
    with pytest.raises(DomainError) as refused:
        scoring.rescore_apply(session_code=str(session.code), reason="again", actor=admin)
    assert refused.value.code == "frozen" and Rescore.objects.count() == 1
