"""Results: computed once scoring and marking are done; hidden from the candidate (page, API, e-mail) until
released on the program's schedule or earlier with a reason; on release, enrolment moves on (pass → balance order,
fail → retake with the first free); re-checks within the window, resolved by the chief marker and notified."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import DomainError, audit_events, now
from aigcert.exam_fixtures import GENERAL, key_correct, option_choice
from aigcert.marking import api as marking_api
from aigcert.results import services
from aigcert.results.models import Result, SessionResults
from aigcert.scoring import api as scoring


@pytest.fixture
def general_results(sitting, django_capture_on_commit_callbacks):
    """A 通用级 session two candidates sat and submitted, scored: its results computed, not released."""
    session = sitting.session(program_code=GENERAL)
    attempts = [sitting.sit(session, answer=lambda item: option_choice(item, 0)),
                sitting.sit(session, answer=lambda item: option_choice(item, -1))]
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_scoring_request(session_code=str(session.code))
    return session, attempts


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _enrolment(attempt):
    return apps.get_model("enrolment", "Enrolment").objects.get(candidate_id=attempt.candidate_id)


def test_results_are_computed_once_the_session_is_scored_and_marked(general_results):
    session, attempts = general_results
    results = SessionResults.objects.get(session_code=str(session.code))
    assert results.state == "ready"
    # due: the exam day + the program's 10 days, at 09:00 local time
    from django.utils import timezone

    due = timezone.localtime(results.release_at)
    assert due.date() == timezone.localtime(session.start_at).date() + timedelta(days=10)
    assert (due.hour, due.minute) == (9, 0)
    for attempt in attempts:
        result = Result.objects.get(attempt_code=str(attempt.code))
        score = scoring.session_scores(str(session.code))
        [mine] = [s for s in score if s.attempt_code == str(attempt.code)]
        assert result.total == sum(Decimal(v) for v in mine.slots.values())
        assert result.maximum == 100 and result.pass_line == 60
        assert result.passed is (result.total >= 60)
        assert sum(Decimal(p["awarded"]) for p in result.sections) == result.total
        assert sum(Decimal(p["awarded"]) for p in result.areas) == result.total
        assert {p["code"] for p in result.sections} == {"single_choice", "multiple_choice", "true_false"}
        # sat, not yet told
        assert _enrolment(attempt).state == "sat"


def test_nothing_of_a_result_reaches_the_candidate_before_release(general_results):
    session, attempts = general_results
    result = Result.objects.get(attempt_code=str(attempts[0].code))
    candidate = result.candidate
    client = _client(candidate)
    page = client.get("/me/results/").content.decode()
    assert "Your result will be published on" in page or "成绩将于" in page
    assert str(result.total) not in page and str(result.code) not in page
    assert client.get(f"/me/results/{result.code}/").status_code == 404
    api = client.get("/api/me/results").json()
    assert api == {"results": [{"program": GENERAL, "session": str(session.code), "released": False,
                                "release_due": result.session.release_at.isoformat()}]}
    assert not [m for m in mail.outbox if candidate.email in m.to and "pass" in m.subject.lower()]
    assert _enrolment(attempts[0]).state == "sat"


def test_release_on_the_due_date_tells_enrolment_and_the_candidate(general_results):
    session, attempts = general_results
    results = SessionResults.objects.get(session_code=str(session.code))
    assert services.results_release_due() == 0  # not due yet
    SessionResults.objects.filter(pk=results.pk).update(release_at=now() - timedelta(minutes=1))
    assert services.results_release_due() == 1
    results.refresh_from_db()
    assert results.state == "released" and results.released_by is None
    for attempt in attempts:
        result = Result.objects.get(attempt_code=str(attempt.code))
        enrolment = _enrolment(attempt)
        assert enrolment.state == ("passed" if result.passed else "failed")
        assert enrolment.result_score == int(result.total)
        orders = apps.get_model("billing", "Order").objects.filter(user_id=attempt.candidate_id, purpose="balance")
        assert orders.exists() is result.passed
        client = _client(result.candidate)
        page = client.get(f"/me/results/{result.code}/").content.decode()
        assert f"{result.total.normalize():f}" in page or str(result.total) in page
    # the released session is frozen for re-scoring
    assert scoring.session_scoring_get(str(session.code)).frozen
    assert [e.data["early"] for e in audit_events(action="results.release")] == [False]


def test_an_early_release_needs_a_reason_and_is_audited(general_results, make_user):
    session, _attempts = general_results
    admin = make_user(Role.EXAM_ADMIN)
    with pytest.raises(DomainError) as refused:
        services.session_results_release(session_code=str(session.code), actor=admin, reason=" ")
    assert refused.value.code == "reason_required"
    assert SessionResults.objects.get(session_code=str(session.code)).state == "ready"
    client = _client(admin)
    response = client.post(f"/office/results/{session.code}/act/",
                           {"action": "release", "reason": "考务会决定提前发布"})
    assert response.status_code == 302
    results = SessionResults.objects.get(session_code=str(session.code))
    assert (results.state, results.released_by, results.release_reason) == ("released", admin, "考务会决定提前发布")
    [event] = audit_events(action="results.release")
    assert event.data["early"] and event.data["reason"] == "考务会决定提前发布"
    with pytest.raises(DomainError):
        services.session_results_release(session_code=str(session.code), actor=admin, reason="again")


def test_nobody_reads_anyone_elses_result(general_results, make_user):
    session, attempts = general_results
    services.session_results_release(session_code=str(session.code), actor=make_user(Role.EXAM_ADMIN),
                                     reason="test")
    mine = Result.objects.get(attempt_code=str(attempts[0].code))
    theirs = Result.objects.get(attempt_code=str(attempts[1].code))
    client = _client(mine.candidate)
    assert client.get(f"/me/results/{mine.code}/").status_code == 200
    assert client.get(f"/me/results/{theirs.code}/").status_code == 404
    assert [r["session"] for r in client.get("/api/me/results").json()["results"]] == [str(session.code)]
    assert [r["code"] for r in client.get("/api/me/results").json()["results"]] == [str(mine.code)]
    assert _client(make_user(Role.CANDIDATE)).get(f"/office/results/{session.code}/").status_code == 403


def test_a_recheck_of_an_objective_only_exam_or_after_the_window_is_refused(general_results, make_user):
    session, attempts = general_results
    services.session_results_release(session_code=str(session.code), actor=make_user(Role.EXAM_ADMIN),
                                     reason="test")
    result = Result.objects.get(attempt_code=str(attempts[0].code))
    with pytest.raises(DomainError) as nothing:
        services.recheck_request(candidate=result.candidate, result_code=result.code, reason="请复核")
    assert nothing.value.code == "nothing_to_recheck"
    SessionResults.objects.filter(pk=result.session_id).update(released_at=now() - timedelta(days=16))
    with pytest.raises(DomainError) as late:
        services.recheck_request(candidate=result.candidate, result_code=result.code, reason="请复核")
    assert late.value.code == "window_closed"


# ── a session with items people mark ─────────────────────────────────────────────────────────────────────────
def _model(name):
    return apps.get_model("marking", name)


def _maxima(rubric: list[dict]) -> list[Decimal]:
    return [max(Decimal(level["points"]) for level in c["levels"]) for c in rubric]


def _form(rubric: list[dict], share: Decimal, step: Decimal, prefix: str = "") -> dict:
    """The marking form with every criterion at ``share`` of its maximum, rounded down to the step."""
    form = {}
    for i, maximum in enumerate(_maxima(rubric)):
        form[f"points_{prefix}{i}"] = str((maximum * share / step).to_integral_value(rounding="ROUND_FLOOR") * step)
        form[f"comment_{prefix}{i}"] = ""
    return form


def _mark_everything(session, share: Decimal, make_user) -> None:
    """Two markers take and mark every script of the session through the marking pages, agreeing."""
    for marker in (make_user(Role.MARKER), make_user(Role.MARKER)):
        client = _client(marker)
        for item in _model("MarkingItem").objects.filter(session_code=str(session.code)):
            while (taken := client.post(f"/marking/items/{item.code}/take/"))["Location"] != "/marking/":
                marked = client.post(taken["Location"], {**_form(item.rubric, share, item.step), "next": "0"})
                assert marked.status_code == 302, marked.content.decode()[-2000:]


def test_a_marked_session_is_released_rechecked_and_corrected(sitting, make_user, django_capture_on_commit_callbacks):
    session = sitting.session()
    attempt = sitting.sit(session)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_scoring_request(session_code=str(session.code))
    results = SessionResults.objects.get(session_code=str(session.code))
    assert results.state == "waiting" and not Result.objects.exists()  # the markers haven't marked yet
    with django_capture_on_commit_callbacks(execute=True):
        _mark_everything(session, Decimal("0.5"), make_user)
    results.refresh_from_db()
    assert results.state == "ready"
    result = Result.objects.get(attempt_code=str(attempt.code))
    # the marked items count in the paper's points (an essay worth 30 in the bank fills a 25-point slot)
    finals = {slot: value for slot, (value, _criteria) in
              marking_api.session_finals(str(session.code))[str(attempt.code)].items()}
    program_points = sum(Decimal(v) for slot, v in scoring.session_scores(str(session.code))[0].slots.items()
                         if slot not in finals and v is not None)
    assert result.total == sum(finals.values()) + program_points
    assert not result.passed  # half marks on the marked items and nothing from the judge: below 60
    assert {p["code"] for p in result.sections} == {"essay", "program", "prompt_task", "work_upload"}
    with django_capture_on_commit_callbacks(execute=True):
        services.session_results_release(session_code=str(session.code), actor=make_user(Role.EXAM_ADMIN),
                                         reason="复核流程演练")
    enrolment = _enrolment(attempt)
    assert enrolment.state == "failed"
    candidate = result.candidate
    client = _client(candidate)
    page = client.post(f"/me/results/{result.code}/", {"reason": "论述题第一题的评分偏低，请复核。"})
    assert page.status_code == 302
    recheck = apps.get_model("marking", "Recheck").objects.get()
    assert (recheck.attempt_code, recheck.state) == (str(attempt.code), "open")
    # a second request while one is open is refused
    with pytest.raises(DomainError) as again:
        services.recheck_request(candidate=candidate, result_code=result.code, reason="再次申请")
    assert again.value.code == "already_open"
    chief = make_user(Role.CHIEF_MARKER)
    scripts = list(_model("Script").objects.filter(attempt_code=str(attempt.code), item__item_type="essay"))
    form = {"resolution": "论述题评分有误，已按细则更正。"}
    for s in scripts:  # the essays deserved full marks
        form.update({f"change_{s.label}": "1", **_form(s.item.rubric, Decimal(1), s.item.step, f"{s.label}_")})
    with django_capture_on_commit_callbacks(execute=True):
        resolved = _client(chief).post(f"/marking/rechecks/{recheck.code}/", form)
    assert resolved.status_code == 302
    recheck.refresh_from_db()
    assert recheck.outcome == "corrected" and len(recheck.changes) == 2
    result.refresh_from_db()
    gained = sum(s.item.max_points - s.final_total for s in scripts)
    assert result.total > 0 and gained > 0
    finals = marking_api.session_finals(str(session.code))[str(attempt.code)]
    assert result.total == sum(value for value, _criteria in finals.values()) + program_points
    [applied] = audit_events(action="results.recheck_apply")
    assert Decimal(applied.data["after"]) == result.total
    notes = apps.get_model("core", "Notification").objects.filter(user=candidate, kind="result")
    assert any("论述题评分有误" in n.body for n in notes)
    assert result.passed  # full marks on both essays lift it over the line
    # a correction to a pass moves the enrolment on and issues the balance order
    assert _enrolment(attempt).state == "passed"
    assert apps.get_model("billing", "Order").objects.filter(user_id=candidate.pk, purpose="balance").exists()
    detail = client.get(f"/me/results/{result.code}/").content.decode()
    assert "论述题评分有误" in detail


def test_a_recheck_resolved_unchanged_keeps_the_score_and_says_why(sitting, make_user,
                                                                   django_capture_on_commit_callbacks):
    session = sitting.session()
    attempt = sitting.sit(session)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_scoring_request(session_code=str(session.code))
    with django_capture_on_commit_callbacks(execute=True):
        _mark_everything(session, Decimal("0.8"), make_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_results_release(session_code=str(session.code), actor=make_user(Role.EXAM_ADMIN),
                                         reason="演练")
    result = Result.objects.get(attempt_code=str(attempt.code))
    before = result.total
    recheck = services.recheck_request(candidate=result.candidate, result_code=result.code, reason="请复核")
    with django_capture_on_commit_callbacks(execute=True):
        _client(make_user(Role.CHIEF_MARKER)).post(f"/marking/rechecks/{recheck.code}/",
                                                   {"resolution": "复核后评分无误。"})
    result.refresh_from_db()
    assert result.total == before
    notes = apps.get_model("core", "Notification").objects.filter(user=result.candidate, kind="result")
    assert any("复核后评分无误" in n.body for n in notes)


def test_a_key_correction_not_yet_computed_is_in_the_released_results(general_results, make_user,
                                                                      django_capture_on_commit_callbacks):
    """The recompute a re-scoring queues may not have run when the results go out: the release computes again."""
    session, attempts = general_results
    paper = apps.get_model("exams", "Paper").objects.get(pk=attempts[1].paper_id)
    from aigcert.exams import api as exams
    from aigcert.itembank import api as itembank

    items = exams.paper_get(paper.pk).items
    keys = itembank.versions_review(i["version_id"] for i in items)
    single = next(i for i in items if i["item_type"] == "single_choice"
                  and keys[i["version_id"]].key[0] != i["payload"]["options"][-1]["id"])
    key_correct(single["version_id"], to_option=single["payload"]["options"][-1]["id"])
    before = Result.objects.get(attempt_code=str(attempts[1].code)).total
    with django_capture_on_commit_callbacks(execute=False):  # the queued recompute never runs
        scoring.rescore_apply(session_code=str(session.code), reason="答案更正", actor=make_user(Role.EXAM_ADMIN))
    assert Result.objects.get(attempt_code=str(attempts[1].code)).total == before
    services.session_results_release(session_code=str(session.code), actor=make_user(Role.EXAM_ADMIN),
                                     reason="提前发布")
    assert Result.objects.get(attempt_code=str(attempts[1].code)).total == before + Decimal(single["points"])
    with pytest.raises(DomainError) as frozen:
        scoring.rescore_apply(session_code=str(session.code), reason="again", actor=make_user(Role.EXAM_ADMIN))
    assert frozen.value.code == "frozen"


def test_the_partner_dashboard_shows_the_outcome_only_after_release(general_results, make_user):
    session, attempts = general_results
    org = apps.get_model("orgs", "Organization").objects.create(slug="demo-org", name="演示机构")
    org_admin = make_user(Role.ORG_ADMIN)
    apps.get_model("orgs", "Membership").objects.create(organization=org, user=org_admin)
    apps.get_model("enrolment", "Enrolment").objects.filter(candidate_id=attempts[0].candidate_id).update(
        organization=org)
    result = Result.objects.get(attempt_code=str(attempts[0].code))
    client = _client(org_admin)
    client.cookies["aigcert_language"] = "en"
    before = client.get(f"/org/{org.code}/").content.decode()
    assert "Exam taken" in before
    assert f"<td>{int(result.total)}</td>" not in before
    services.session_results_release(session_code=str(session.code), actor=make_user(Role.EXAM_ADMIN),
                                     reason="提前发布")
    after = client.get(f"/org/{org.code}/").content.decode()
    assert f"<td>{int(result.total)}</td>" in after
    assert ("Passed" if result.passed else "Failed") in after


def test_a_recheck_that_turns_a_pass_into_a_fail_goes_to_the_exam_office(sitting, make_user,
                                                                       django_capture_on_commit_callbacks):
    session = sitting.session()
    attempt = sitting.sit(session)
    with django_capture_on_commit_callbacks(execute=True):
        scoring.session_scoring_request(session_code=str(session.code))
    with django_capture_on_commit_callbacks(execute=True):
        _mark_everything(session, Decimal("0.8"), make_user)
    admin = make_user(Role.EXAM_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_results_release(session_code=str(session.code), actor=admin, reason="演练")
    result = Result.objects.get(attempt_code=str(attempt.code))
    assert result.passed and _enrolment(attempt).state == "passed"
    recheck = services.recheck_request(candidate=result.candidate, result_code=result.code, reason="请复核")
    form = {"resolution": "复核发现论述题评分过高，已更正。"}
    for s in _model("Script").objects.filter(attempt_code=str(attempt.code), item__item_type="essay"):
        form.update({f"change_{s.label}": "1", **_form(s.item.rubric, Decimal(0), s.item.step, f"{s.label}_")})
    with django_capture_on_commit_callbacks(execute=True):
        assert _client(make_user(Role.CHIEF_MARKER)).post(f"/marking/rechecks/{recheck.code}/", form).status_code == 302
    result.refresh_from_db()
    assert not result.passed and result.reported_at is None
    # enrolment keeps the pass (its state machine has no way back); the office sees the case and the audit says why
    assert _enrolment(attempt).state == "passed"
    [refused] = audit_events(action="results.report_refused")
    assert refused.data["enrolment"] == result.enrolment_code
    page = _client(admin).get(f"/office/results/{session.code}/").content.decode()
    assert 'id="unreported"' in page
