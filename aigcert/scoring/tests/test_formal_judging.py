"""Formal scoring with machines in the loop: after the session, each programming answer is judged in the real
bubblewrap sandbox (real processes, the item's own test cases) and its points land in the attempt's slot, scaled to
the paper; a judge that can't start leaves the slots open and the session unfinished until someone runs it again;
prompt tasks are run once on the language model when one is configured, and never block the scoring.

Tasks run inline in tests, so a request wrapped in django_capture_on_commit_callbacks(execute=True) scores the
session, judges its programs and finishes it before the block ends."""

import socket
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.utils import translation

from aigcert.core.api import audit_events
from aigcert.exam_fixtures import answer_for
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank
from aigcert.scoring import api as scoring
from aigcert.scoring import judge, rules
from aigcert.scoring.ai import NEUTRAL_SYSTEM_PROMPT
from aigcert.scoring.judge import ACCEPTED, JUDGED, RUNTIME_ERROR, WRONG_ANSWER, JudgeResult
from aigcert.scoring.models import AttemptScore, MachineRun, SessionScoring

PEOPLE_MARK = ("essay", "prompt_task", "work_upload")
WRONG = "print('I do not know')\n"
EMPTY_RESULT = {"status": "empty", "cases": [], "points": "0"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def judge_calls(monkeypatch):
    """The code of every program the judge was asked to run (the real judge still runs it)."""
    calls = []
    real = judge.program_judge

    def counting(**kwargs):
        calls.append(kwargs["code"])
        return real(**kwargs)

    monkeypatch.setattr(judge, "program_judge", counting)
    return calls


@pytest.fixture
def score(sitting, django_capture_on_commit_callbacks):
    """score(session) → its SessionScoring row once the request and every task it set off have run."""
    def run(session):
        with django_capture_on_commit_callbacks(execute=True):
            scoring.session_scoring_request(session_code=str(session.code), actor=sitting.exam_admin)
        return SessionScoring.objects.get(session_code=str(session.code))
    return run


def answering(program=lambda item: None, prompt=lambda item: None):
    """An answer function for sitting.sit: `program(item)` for programming items, `prompt(item)` for prompt tasks,
    the fixture's plausible answer for the other marked items."""
    def answer(item):
        if item["item_type"] == "program":
            return program(item)
        if item["item_type"] == "prompt_task":
            return prompt(item)
        return answer_for(item)
    return answer


def reference(item) -> str:
    solution = itembank.versions_review([item["version_id"]])[item["version_id"]].reference
    assert solution.strip(), item
    return solution


def cases_of(item) -> tuple[tuple[str, str, Decimal], ...]:
    return itembank.program_specs([item["version_id"]])[item["version_id"]].tests


def items_of(attempt, *types) -> list[dict]:
    return [i for i in exams.paper_get(attempt.paper_id).items if i["item_type"] in types]


def runs_of(attempt, kind=MachineRun.Kind.JUDGE) -> dict[str, MachineRun]:
    return {run.slot: run for run in MachineRun.objects.filter(score__attempt_id=attempt.pk, kind=kind)}


def passing_only(tests, indexes) -> str:
    """A program that answers exactly the cases at `indexes` (it recognises their input) and prints junk for the
    others."""
    known = {tests[i][0].encode(): tests[i][1].encode() for i in indexes}
    return ("import sys\n"
            f"KNOWN = {known!r}\n"
            "sys.stdout.buffer.write(KNOWN.get(sys.stdin.buffer.read(), b'?\\n'))\n")


# -- 1. the judge scores programs -------------------------------------------------------------------------------


def test_programs_are_judged_after_the_session_and_only_marked_items_stay_open(sitting, score, judge_calls):
    session = sitting.session()
    right = sitting.sit(session, answer=answering(program=reference))
    wrong = sitting.sit(session, answer=answering(program=lambda item: WRONG))
    blank = sitting.sit(session, answer=answering(program=lambda item: None))

    scored = score(session)
    assert (scored.state, scored.error, scored.attempts_total, scored.attempts_scored) == ("done", "", 3, 3)
    assert scored.finished_at is not None

    for attempt in (right, wrong, blank):
        paper = exams.paper_get(attempt.paper_id)
        programs = items_of(attempt, "program")
        assert len(programs) == 2 and len(items_of(attempt, *PEOPLE_MARK)) == 6
        row = AttemptScore.objects.get(attempt_id=attempt.pk)
        full = {i["slot"]: Decimal(i["points"]) for i in programs}
        expected = full if attempt is right else dict.fromkeys(full, Decimal(0))
        assert {slot: Decimal(row.slots[slot]) for slot in full} == expected
        # Only what people mark is left open: 2 essays, 2 prompt tasks, 2 uploads.
        assert [slot for slot, value in row.slots.items() if value is None] == [
            i["slot"] for i in paper.items if i["item_type"] in PEOPLE_MARK]
        assert row.unscored_items == 6
        assert row.objective_points == sum(expected.values())

        runs = runs_of(attempt)
        assert set(runs) == set(full)
        for item in programs:
            run = runs[item["slot"]]
            assert (run.state, run.message, run.version_id, run.slot_points) == (
                "done", "", item["version_id"], Decimal(item["points"]))
            if attempt is blank:
                assert run.result == EMPTY_RESULT
                continue
            tests = cases_of(item)
            result = JudgeResult.from_json(run.result)
            assert result.as_json() == run.result
            assert (result.status, result.message) == (JUDGED, "")
            assert [c.index for c in result.cases] == list(range(len(tests)))
            assert [c.max_points for c in result.cases] == [points for _i, _o, points in tests]
            if attempt is right:
                assert [c.verdict for c in result.cases] == [ACCEPTED] * len(tests)
                assert result.points == sum(points for _i, _o, points in tests)
            else:
                assert [c.verdict for c in result.cases] == [WRONG_ANSWER] * len(tests)
                assert result.points == 0
                assert all(c.detail.startswith("Line 1: expected") for c in result.cases)

    # The judge ran the four programs handed in, and never the two blank answers.
    assert sorted(judge_calls) == sorted([reference(i) for i in items_of(right, "program")] + [WRONG, WRONG])
    assert not MachineRun.objects.filter(kind=MachineRun.Kind.PROMPT).exists()
    assert [e.data for e in audit_events(action="scoring.session_score")] == [
        {"session": str(session.code), "attempts": 3, "scored_now": 3}]


def test_a_whitespace_only_program_is_empty_and_never_run(sitting, score, judge_calls):
    session = sitting.session()
    attempt = sitting.sit(session, answer=answering(program=lambda item: "  \n\t\n"))
    assert score(session).state == "done"
    row = AttemptScore.objects.get(attempt_id=attempt.pk)
    runs = runs_of(attempt)
    assert len(runs) == 2
    for slot, run in runs.items():
        assert (run.state, run.result, Decimal(row.slots[slot])) == ("done", EMPTY_RESULT, 0)
    assert judge_calls == []


# -- 2. partial credit ------------------------------------------------------------------------------------------


def test_a_program_passing_some_cases_earns_their_points_scaled_to_the_slot(sitting, score):
    session = sitting.session()
    passed = (0, 2)
    attempt = sitting.sit(session, answer=answering(program=lambda item: passing_only(cases_of(item), passed)))
    assert score(session).state == "done"
    row = AttemptScore.objects.get(attempt_id=attempt.pk)
    runs = runs_of(attempt)
    total = Decimal(0)
    for item in items_of(attempt, "program"):
        tests = cases_of(item)
        assert len({t[0] for t in tests}) == len(tests), "each case needs its own input for this program"
        earned = sum(tests[i][2] for i in passed)
        item_points = sum(t[2] for t in tests)
        expected = rules.scaled(earned, item_points=item_points, slot_points=Decimal(item["points"]))
        assert 0 < expected < Decimal(item["points"])  # really partial, and really scaled (20-point items, 10 slots)
        assert item_points != Decimal(item["points"])
        assert Decimal(row.slots[item["slot"]]) == expected
        total += expected
        result = JudgeResult.from_json(runs[item["slot"]].result)
        assert [c.verdict for c in result.cases] == [
            ACCEPTED if i in passed else WRONG_ANSWER for i in range(len(tests))]
        assert result.points == earned
        assert [c.points for c in result.cases] == [t[2] if i in passed else 0 for i, t in enumerate(tests)]
    assert row.objective_points == total
    assert row.unscored_items == 6


# -- 3. a judge that can't start ----------------------------------------------------------------------------------


def test_a_judge_that_cannot_start_leaves_the_programs_open_until_retried(
        sitting, score, settings, django_capture_on_commit_callbacks):
    working = settings.JUDGE_BWRAP
    settings.JUDGE_BWRAP = "/nonexistent/bwrap"
    session = sitting.session()
    code = str(session.code)
    right = sitting.sit(session, answer=answering(program=reference))
    blank = sitting.sit(session, answer=answering(program=lambda item: None))
    outbox = apps.get_model("core", "OutboxEvent").objects.filter(topic=scoring.SESSION_SCORED)

    scored = score(session)
    assert scored.state == "judging" and scored.finished_at is None
    assert scored.error.startswith(
        "2 programs could not be judged: The program judge is unavailable: cannot start /nonexistent/bwrap: ")
    row = AttemptScore.objects.get(attempt_id=right.pk)
    programs = items_of(right, "program")
    assert [row.slots[i["slot"]] for i in programs] == [None, None]  # never counted as passed (nor failed)
    assert (row.unscored_items, row.objective_points) == (8, 0)
    for run in runs_of(right).values():
        assert run.state == "unavailable"
        assert run.message.startswith("The program judge is unavailable: cannot start /nonexistent/bwrap: ")
        assert (run.result["status"], run.result["cases"], run.result["points"]) == ("unavailable", [], "0")
    # A blank answer needs no judge: it is 0 whatever the sandbox does.
    assert [(r.state, r.result) for r in runs_of(blank).values()] == [("done", EMPTY_RESULT)] * 2
    state = scoring.session_scoring_get(code)
    assert (state.state, state.judge_unavailable, state.error) == ("judging", 2, scored.error)
    assert not outbox.exists()

    # Run again while still broken: the same two runs fail the same way, nothing is scored.
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring.machine_runs_retry(session_code=code, actor=sitting.exam_admin) == 2
    scored.refresh_from_db()
    assert scored.state == "judging" and scored.error.startswith("2 programs could not be judged: ")
    row.refresh_from_db()
    assert [row.slots[i["slot"]] for i in programs] == [None, None] and row.unscored_items == 8
    assert scoring.session_scoring_get(code).judge_unavailable == 2

    settings.JUDGE_BWRAP = working
    with django_capture_on_commit_callbacks(execute=True):
        retried = scoring.machine_runs_retry(session_code=code, actor=sitting.exam_admin)
    assert retried == 2
    scored.refresh_from_db()
    assert (scored.state, scored.error) == ("done", "") and scored.finished_at is not None
    row.refresh_from_db()
    assert [Decimal(row.slots[i["slot"]]) for i in programs] == [Decimal(i["points"]) for i in programs]
    assert (row.unscored_items, row.objective_points) == (6, sum(Decimal(i["points"]) for i in programs))
    assert {(r.state, r.message, r.result["status"]) for r in runs_of(right).values()} == {("done", "", JUDGED)}
    assert scoring.session_scoring_get(code).judge_unavailable == 0
    events = audit_events(action="scoring.machine_retry")
    assert [(e.actor_id, e.target_type, e.target_id, e.data) for e in events] == [
        (sitting.exam_admin.pk, "scoring.session", code, {"runs": 2})] * 2
    assert outbox.count() == 1
    # Nothing left to retry.
    assert scoring.machine_runs_retry(session_code=code, actor=sitting.exam_admin) == 0


def test_one_program_that_could_not_be_judged_is_reported_in_the_singular(sitting, score, settings):
    settings.JUDGE_BWRAP = "/nonexistent/bwrap"
    session = sitting.session()
    handed_in = []

    def one_program(item):
        handed_in.append(item["slot"])
        return WRONG if len(handed_in) == 1 else None

    sitting.sit(session, answer=answering(program=one_program))
    scored = score(session)
    assert (scored.state, scoring.session_scoring_get(str(session.code)).judge_unavailable) == ("judging", 1)
    assert scored.error.startswith("1 program could not be judged: "), scored.error


# -- 4. prompt tasks ------------------------------------------------------------------------------------------------


def prompt_runs(server) -> list[dict]:
    """The requests the server got for prompt-task runs (marking may ask the model other things)."""
    return [r for r in server.requests if isinstance(r, dict)
            and r["messages"][0] == {"role": "system", "content": NEUTRAL_SYSTEM_PROMPT}]


def test_without_a_language_model_no_prompt_task_is_run(sitting, score):
    session = sitting.session()
    attempt = sitting.sit(session, answer=answering(prompt=lambda item: answer_for(item, item["slot"])))
    assert score(session).state == "done"
    assert runs_of(attempt, MachineRun.Kind.PROMPT) == {}
    assert set(runs_of(attempt)) == {i["slot"] for i in items_of(attempt, "program")}


def test_each_prompt_task_is_run_once_on_the_language_model(sitting, score, llm_server):
    reply = "三条标题：1. 新品上市 2. 松软到心里 3. 今天就来尝"
    llm_server.reply = lambda request: reply
    session = sitting.session()
    asked = sitting.sit(session, answer=answering(prompt=lambda item: answer_for(item, f"（{item['slot']}）")))
    silent = sitting.sit(session, answer=answering())
    assert score(session).state == "done"

    prompts = {i["slot"]: answer_for(i, f"（{i['slot']}）") for i in items_of(asked, "prompt_task")}
    assert len(prompts) == 2
    runs = runs_of(asked, MachineRun.Kind.PROMPT)
    assert {slot: (r.state, r.result, r.message) for slot, r in runs.items()} == dict.fromkeys(
        prompts, ("done", {"output": reply}, ""))
    # The model saw each prompt once, as written, and nothing for the unanswered ones.
    sent = prompt_runs(llm_server)
    assert [len(r["messages"]) for r in sent] == [2, 2]
    assert sorted(r["messages"][1]["content"] for r in sent) == sorted(prompts.values())
    assert {r["messages"][1]["role"] for r in sent} == {"user"}
    assert all(r["temperature"] == 0 for r in sent)
    silent_runs = runs_of(silent, MachineRun.Kind.PROMPT)
    assert len(silent_runs) == 2
    assert {(r.state, r.result["output"]) for r in silent_runs.values()} == {("done", "")}
    # The output is for the markers; the prompt tasks' slots stay open for them.
    row = AttemptScore.objects.get(attempt_id=asked.pk)
    assert [row.slots[slot] for slot in prompts] == [None, None] and row.unscored_items == 6
    output = scoring.machine_outputs(str(session.code))[(asked.pk, next(iter(prompts)))]
    assert (output.kind, output.state, output.result) == ("prompt", "done", {"output": reply})


def test_a_failing_language_model_never_blocks_the_scoring(sitting, score, llm_server):
    llm_server.mode = "error"
    session = sitting.session()
    attempt = sitting.sit(session, answer=answering(prompt=lambda item: answer_for(item, item["slot"])))
    scored = score(session)
    assert (scored.state, scored.error) == ("done", "")
    runs = runs_of(attempt, MachineRun.Kind.PROMPT)
    assert len(runs) == 2
    for run in runs.values():
        assert (run.state, run.result) == ("unavailable", {"output": ""})
        assert run.message.strip()
    assert len(prompt_runs(llm_server)) == 2
    assert scoring.session_scoring_get(str(session.code)).judge_unavailable == 0


# -- 5. hostile programs ------------------------------------------------------------------------------------------


@pytest.fixture
def database_port():
    """A listening TCP port on the host's loopback standing in for the database: the host can reach it."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        yield port


def test_a_program_reaching_for_the_project_or_the_database_gets_nothing(sitting, score, database_port):
    settings_file = Path(django_settings.BASE_DIR) / "aigcert" / "settings.py"
    assert settings_file.is_file()
    read_project = f"print(open({str(settings_file)!r}).read())\n"
    # On the host both would run and print (a wrong answer); in the sandbox neither gets anywhere.
    reach_database = ("import socket\n"
                      f"socket.create_connection(('127.0.0.1', {database_port}), timeout=1)\n"
                      "print('connected')\n")
    session = sitting.session()
    handed_in = []

    def hostile_program(item):  # the paper's first program reads the project, the second calls the database
        handed_in.append(item["slot"])
        return read_project if len(handed_in) == 1 else reach_database

    hostile = sitting.sit(session, answer=answering(program=hostile_program))
    right = sitting.sit(session, answer=answering(program=reference))
    assert score(session).state == "done"

    row = AttemptScore.objects.get(attempt_id=hostile.pk)
    runs = runs_of(hostile)
    programs = items_of(hostile, "program")
    errors = {programs[0]["slot"]: "FileNotFoundError", programs[1]["slot"]: "ConnectionRefusedError"}
    for item in programs:
        assert Decimal(row.slots[item["slot"]]) == 0
        result = JudgeResult.from_json(runs[item["slot"]].result)
        assert result.status == JUDGED and result.points == 0
        assert [c.verdict for c in result.cases] == [RUNTIME_ERROR] * len(cases_of(item))
        assert all(errors[item["slot"]] in c.detail for c in result.cases), [c.detail for c in result.cases]
    assert row.objective_points == 0
    # The other candidate of the session is scored as if nothing happened.
    other = AttemptScore.objects.get(attempt_id=right.pk)
    assert [Decimal(other.slots[i["slot"]]) for i in items_of(right, "program")] == [
        Decimal(i["points"]) for i in items_of(right, "program")]
    assert {r.state for r in MachineRun.objects.filter(session_code=str(session.code))} == {"done"}


# -- a corrected programming item -----------------------------------------------------------------------------


def _correct_tests(version_id: int, tests: list[dict]) -> int:
    """A corrected, approved version of a programming item with these test cases (the item bank's review is tested
    there), made the item's live version."""
    model = apps.get_model("itembank", "ItemVersion")
    old = model.objects.get(pk=version_id)
    fields = {f.attname: getattr(old, f.attname) for f in model._meta.concrete_fields
              if f.attname not in ("id", "code", "number", "content")}
    new = model.objects.create(**fields, code=uuid.uuid4(), number=old.number + 1,
                               content={**old.content, "tests": tests})
    new.standards.set(old.standards.all())
    apps.get_model("itembank", "Item").objects.filter(pk=old.item_id).update(live=new)
    return new.pk


def test_correcting_a_programming_items_tests_rejudges_its_programs(sitting, score, make_user,
                                                                  django_capture_on_commit_callbacks):
    session = sitting.session()
    passed = (0, 2)
    attempt = sitting.sit(session, answer=answering(program=lambda item: passing_only(cases_of(item), passed)))
    assert score(session).state == "done"
    item = items_of(attempt, "program")[0]
    tests = cases_of(item)
    row = AttemptScore.objects.get(attempt_id=attempt.pk)
    item_points = sum(t[2] for t in tests)
    before = rules.scaled(tests[0][2] + tests[2][2], item_points=item_points, slot_points=Decimal(item["points"]))
    assert Decimal(row.slots[item["slot"]]) == before
    # The correction: case 2's expected output was wrong, and is what this candidate's program prints.
    corrected = [{"input": i, "output": "?\n" if n == 1 else o, "points": str(p)} for n, (i, o, p) in enumerate(tests)]
    new_version = _correct_tests(item["version_id"], corrected)
    after = rules.scaled(tests[0][2] + tests[1][2] + tests[2][2], item_points=item_points,
                         slot_points=Decimal(item["points"]))
    assert after > before

    versions, changes = scoring.rescore_preview(session_code=str(session.code))
    assert versions == {str(item["version_id"]): new_version}
    # the judge runs after the correction is applied: the preview names who will be judged again
    assert [(c["attempt"], c["after"], c["rejudge"]) for c in changes] == [(attempt.pk, None, True)]
    with django_capture_on_commit_callbacks(execute=True):
        scoring.rescore_apply(session_code=str(session.code), reason="第二个测试用例的期望输出有误",
                              actor=make_user("exam_admin"))
    row.refresh_from_db()
    assert Decimal(row.slots[item["slot"]]) == after
    run = MachineRun.objects.get(score=row, slot=item["slot"])
    assert (run.version_id, run.state) == (new_version, "done")
    assert scoring.session_scoring_get(str(session.code)).state == "done"
    [event] = audit_events(action="scoring.session_rescore")
    assert event.data["rejudged"] == 1
