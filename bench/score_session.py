"""Benchmark: score a formal session of 100,000 submitted 100-item objective attempts (issue #7).

    .venv/bin/python bench/score_session.py --database-url postgres://postgres@127.0.0.1:5432/bench_score
    .venv/bin/python bench/score_session.py --attempts 20000            # SQLite in a temporary directory

End to end as the exam office runs it: a fresh database (PostgreSQL created and dropped again, or SQLite), migrate,
the catalog, the demo item bank and blueprints, one 通用级 formal session with its four frozen forms, then
`--attempts` candidates with a submitted attempt each and 100 responses per attempt written straight into the
tables (COPY on PostgreSQL). Answers are drawn per slot: the key with probability 0.7, else another option, a few
left blank. The timed part is `session_scoring_request` with the task run inline: it reads every attempt of the
session, claims the session, reads the responses a thousand attempts at a time, scores them and writes one score
row per attempt, and marks the session scored. Target (issue #7): ≥ 2,000 attempts/s.

Afterwards 200 random attempts are scored again the slow way (the item bank's own per-response scoring) and must
agree to the cent. Prints a Markdown row for docs/benchmarks.md and writes bench/results/score_session-*.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import run_in_throwaway  # noqa: E402

PROGRAM = "aigc-general"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _code_version() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="postgres://…/NAME: created fresh, dropped at the end")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", action="store_true", help="run the scoring under cProfile")
    args = parser.parse_args()

    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ.pop("LLM_BASE_URL", None)
    run_in_throwaway(parser, args, run)


def _answer(rng: random.Random, item: dict, key: dict[int, list[str]]) -> object:
    payload = item["payload"]
    roll = rng.random()
    if roll < 0.03:
        return None
    if item["item_type"] == "true_false":
        right = key[item["version_id"]][0] == "true"
        return right if roll < 0.7 else not right
    options = [o["id"] for o in payload["options"]]
    right = key[item["version_id"]]
    if payload.get("multiple"):
        if roll < 0.7:
            return sorted(right)
        return sorted(rng.sample(options, rng.randint(1, len(options))))
    return right[0] if roll < 0.7 else rng.choice(options)


def _setup(args, rng):
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection, transaction

    from aigcert.accounts.api import Role
    from aigcert.accounts.models import User
    from aigcert.core.api import now
    from aigcert.exams import api as exams
    from aigcert.itembank import api as itembank

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_catalog", stdout=io.StringIO())
    from aigcert.accounts.tests.factories import UserFactory

    author = UserFactory(roles=[Role.ITEM_AUTHOR])
    reviewer = UserFactory(roles=[Role.ITEM_REVIEWER])
    admin = UserFactory(roles=[Role.EXAM_ADMIN])
    itembank.demo_bank_load(author=author, reviewer=reviewer)
    exams.demo_blueprints_load(actor=admin)
    # Papers are frozen before a session starts; the session is then moved into the past, as if it had been sat.
    upcoming = now() + timedelta(days=1)
    session_model = apps.get_model("exams", "Session")
    session = session_model.objects.create(
        program_code=PROGRAM, sitting_code="am", sitting_label_zh="上午场", sitting_label_en="Morning",
        start_at=upcoming, duration_minutes=60, capacity=args.attempts,
        booking_opens_at=upcoming - timedelta(days=30), booking_closes_at=upcoming - timedelta(days=3))
    exams.session_papers_prepare(session_code=str(session.code), actor=admin)
    start = now() - timedelta(hours=2)
    session_model.objects.filter(pk=session.pk).update(start_at=start, booking_closes_at=start - timedelta(days=3))
    paper_ids = exams.session_papers(str(session.code))
    papers = [exams.paper_get(pk) for pk in paper_ids]
    keys = {pk: list(review.key) for paper in papers
            for pk, review in itembank.versions_review(i["version_id"] for i in paper.items).items()}

    users = [User(email=f"c{n}@bench", password="!") for n in range(args.attempts)]
    User.objects.bulk_create(users, batch_size=5000)
    user_ids = list(User.objects.filter(email__endswith="@bench", email__startswith="c").order_by("pk")
                    .values_list("pk", flat=True))
    attempt_model = apps.get_model("delivery", "Attempt")
    closed = start + timedelta(minutes=50)
    attempts = [attempt_model(code=uuid.uuid4(), candidate_id=uid, program_code=PROGRAM, kind="formal", number=1,
                              paper_id=paper_ids[n % len(paper_ids)], session_code=str(session.code), seed=n,
                              order={}, schema={}, state="submitted", started_at=start, deadline_at=start
                              + timedelta(minutes=60), closed_at=closed)
                for n, uid in enumerate(user_ids)]
    attempt_model.objects.bulk_create(attempts, batch_size=5000)
    rows = list(attempt_model.objects.filter(session_code=str(session.code)).values_list("pk", "paper_id"))
    by_pk = {p.pk: p for p in papers}
    table = apps.get_model("delivery", "Response")._meta.db_table
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, cursor.cursor.copy(
                    f"COPY {table} (attempt_id, slot, value, flagged, seq, saved_at) FROM STDIN") as copy:
                for pk, paper_id in rows:
                    for n, item in enumerate(by_pk[paper_id].items):
                        value = _answer(rng, item, keys)
                        if value is None:
                            continue
                        copy.write_row((pk, item["slot"], json.dumps(value), False, n, closed))
                        written += 1
        else:
            batch = []
            with connection.cursor() as cursor:
                for pk, paper_id in rows:
                    for n, item in enumerate(by_pk[paper_id].items):
                        value = _answer(rng, item, keys)
                        if value is None:
                            continue
                        batch.append((pk, item["slot"], json.dumps(value), False, n, closed))
                        if len(batch) >= 50_000:
                            cursor.executemany(f"INSERT INTO {table} (attempt_id, slot, value, flagged, seq, "
                                               "saved_at) VALUES (%s, %s, %s, %s, %s, %s)", batch)
                            written += len(batch)
                            batch = []
                if batch:
                    cursor.executemany(f"INSERT INTO {table} (attempt_id, slot, value, flagged, seq, "
                                       "saved_at) VALUES (%s, %s, %s, %s, %s, %s)", batch)
                    written += len(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return session, papers, written


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection

    from aigcert.exams import api as exams
    from aigcert.itembank import api as itembank
    from aigcert.scoring import api as scoring
    from aigcert.scoring import rules
    from aigcert.scoring.models import AttemptScore, SessionScoring

    rng = random.Random(7)
    started = time.perf_counter()
    session, papers, responses = _setup(args, rng)
    setup_s = time.perf_counter() - started
    print(f"database: {connection.vendor}  attempts: {args.attempts}  responses: {responses}  "
          f"setup: {setup_s:.1f} s", flush=True)

    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    from aigcert.core.api import now

    started, wall_start = time.perf_counter(), now()
    scoring.session_scoring_request(session_code=str(session.code))
    elapsed = time.perf_counter() - started
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    state = SessionScoring.objects.get(session_code=str(session.code))
    scored = AttemptScore.objects.filter(session_code=str(session.code)).count()
    assert state.state == "done" and scored == args.attempts, (state.state, scored)
    # The task chain runs inline here: scoring, then marking (nothing to mark), then the results computed. The
    # phases are told apart by the moments each wrote down.
    results_row = apps.get_model("results", "SessionResults").objects.get(session_code=str(session.code))
    assert results_row.state == "ready" and results_row.results.count() == args.attempts
    scoring_s = (state.finished_at - wall_start).total_seconds()
    results_s = (results_row.computed_at - state.finished_at).total_seconds()

    # The slow way, for a sample: the item bank's own scoring of each response, scaled to the slot.
    sample = rng.sample(list(AttemptScore.objects.filter(session_code=str(session.code))
                             .values_list("attempt_id", flat=True)), min(200, args.attempts))
    response_model = apps.get_model("delivery", "Response")
    attempt_model = apps.get_model("delivery", "Attempt")
    by_pk = {p.pk: p for p in papers}
    for attempt_id in sample:
        paper = by_pk[attempt_model.objects.get(pk=attempt_id).paper_id]
        values = dict(response_model.objects.filter(attempt_id=attempt_id).values_list("slot", "value"))
        raw = itembank.responses_score([(i["version_id"], values.get(i["slot"])) for i in paper.items])
        review = itembank.versions_review(i["version_id"] for i in paper.items)
        expected = sum((rules.scaled(points, item_points=review[i["version_id"]].points,
                                     slot_points=Decimal(i["points"])) for i, points in zip(paper.items, raw,
                                                                                            strict=True)),
                       rules.ZERO)
        got = AttemptScore.objects.get(attempt_id=attempt_id).objective_points
        assert got == expected, (attempt_id, got, expected)
    del exams

    rate = args.attempts / scoring_s
    verdict = "met" if rate >= 2000 else "MISSED"
    result = {
        "benchmark": "score_session", "when": datetime.now().isoformat(timespec="seconds"),
        "database": connection.vendor, "attempts": args.attempts, "responses": responses,
        "items_per_attempt": len(papers[0].items), "forms": len(papers),
        "scoring_s": round(scoring_s, 2), "attempts_per_second": round(rate), "target": 2000,
        "results_s": round(results_s, 2), "results_per_second": round(args.attempts / results_s),
        "chain_s": round(elapsed, 2), "verdict": verdict, "checked_slow_way": len(sample),
        "peak_rss_mb": round(_peak_mb()), "setup_s": round(setup_s, 1), "python": platform.python_version(),
        "cpus": os.cpu_count(), "code_version": _code_version(), "profiled": bool(args.profile),
    }
    out = ROOT / "bench" / "results" / f"score_session-{connection.vendor}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"| {connection.vendor} | {args.attempts:,} | {responses:,} | {scoring_s:.1f} s | {rate:,.0f}/s | "
          f"≥ 2,000/s: {verdict} | {results_s:.1f} s ({args.attempts / results_s:,.0f}/s) | "
          f"{result['peak_rss_mb']} MB |")


if __name__ == "__main__":
    main()
