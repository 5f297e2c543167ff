"""Retrieval evaluation for the AI tutor (issue #8).

Loads the catalog, the demo item bank and the demo course into a throwaway database, indexes them the way the
platform does, and asks every question of bench/data/tutor_questions_*.yaml (realistic candidate questions, each
with the lesson(s) that answer it, written before the results were seen). A question is a top-k hit when one of
its lessons is among the first k distinct lessons the tutor retrieves for it.

Then it pads the program's index to --passages passages with distractors (sentences of the demo bank's items
shuffled into new passages: same field, same words), measures the hit rates again, and times the tutor's whole
retrieval call (revision check, segmentation, two BM25 rankings, reading the passages) --repeat times per
question. The distractors are indexed as practice text, which is what they are made of; a stress run indexes them
as lesson text as well, competing for the quotes, which the platform never meets.

    .venv/bin/python bench/tutor_retrieval.py [--passages 10000] [--database-url postgres://…/bench_tutor]

Prints a Markdown summary for docs/benchmarks.md and writes bench/results/tutor_retrieval-*.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import run_in_throwaway  # noqa: E402


def load_questions() -> list[dict]:
    questions = []
    for path in sorted((ROOT / "bench" / "data").glob("tutor_questions_*.yaml")):
        questions.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return questions


def ranked_lessons(hits) -> list[str]:
    seen: list[str] = []
    for hit in hits:
        if hit.passage.source == "lesson" and hit.passage.ref not in seen and not hit.passage.ref.startswith("PAD"):
            seen.append(hit.passage.ref)
    return seen


def evaluate(questions, search) -> dict:
    top1 = top3 = 0
    misses = []
    for q in questions:
        lessons = ranked_lessons(search(q["program"], q["q"]))
        expected = set(q["lessons"])
        if lessons[:1] and lessons[0] in expected:
            top1 += 1
        if expected & set(lessons[:3]):
            top3 += 1
        else:
            misses.append({"q": q["q"], "expected": sorted(expected), "got": lessons[:3]})
    n = len(questions)
    return {"questions": n, "top1": top1 / n, "top3": top3 / n, "misses": misses}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from aigcert.accounts import api as accounts
    from aigcert.itembank import api as itembank
    from aigcert.learning import api as learning
    from aigcert.tutor import index, retrieval
    from aigcert.tutor.models import Passage
    from aigcert.tutor.policy import tutor_policy

    call_command("migrate", verbosity=0)
    from django.conf import settings

    call_command("load_catalog", str(settings.CATALOG_FILE), verbosity=0)
    accounts.demo_accounts_ensure()
    itembank.demo_bank_load(author=accounts.demo_user(accounts.Role.ITEM_AUTHOR),
                            reviewer=accounts.demo_user(accounts.Role.ITEM_REVIEWER))
    learning.demo_lessons_load()
    questions = load_questions()
    programs = sorted({q["program"] for q in questions})
    indexed = {p: index.program_reindex(p) for p in programs}
    retrieval.warm_up()
    k = 20  # what the tutor asks the index for

    def search(program: str, text: str):
        """What the tutor does with a question: rank what it may quote, and practice questions apart."""
        min_score = tutor_policy().min_score
        quotable = [h for h in index.search(program, text, k=k, kinds=index.QUOTABLE) if h.score >= min_score]
        index.search(program, text, k=tutor_policy().related_practice, kinds=index.PRACTICE)
        return quotable

    real = evaluate(questions, search)

    # Distractors in the busiest program: sentences of every item in the demo bank (stems and explanations, formal
    # ones too: this is a benchmark database), shuffled into passages of 3–6 sentences. Same field, same words, but
    # not copies of the lessons (copies would be right answers, not noise).
    program = max(programs, key=lambda p: sum(1 for q in questions if q["program"] == p))
    from aigcert.itembank.models import ItemVersion

    texts = [f"{stem}。{expl}" for stem, expl in ItemVersion.objects.values_list("stem_text", "explanation")]
    sentences = [s for text in texts for s in re.sub(r"<[^>]+>", "", text).replace("。", "。\n").splitlines()
                 if len(s) > 8]
    rng = random.Random(8)
    pad = args.passages - Passage.objects.filter(program_code=program).count()
    rows = []
    for n in range(max(0, pad)):
        text = "".join(rng.sample(sentences, rng.randint(3, 6)))
        # Made of item text, so indexed as what it is: practice explanations, which the tutor suggests, not quotes.
        rows.append(Passage(program_code=program, source="practice", ref=f"PAD{n}", title=f"PAD {n}", text=text,
                            url="", tokens=" ".join(retrieval.tokens(text))))
    Passage.objects.bulk_create(rows, batch_size=1000)
    index._bump(program)
    started = time.perf_counter()
    index.program_index(program)
    build_seconds = time.perf_counter() - started
    total = Passage.objects.filter(program_code=program).count()

    padded_questions = [q for q in questions if q["program"] == program]
    padded = evaluate(padded_questions, search)
    # A harsher case than the platform meets: the same distractors passed off as lesson text, competing for quotes.
    Passage.objects.filter(ref__startswith="PAD").update(source="lesson")
    index._bump(program)
    stress = evaluate(padded_questions, search)
    timings = []
    for _round in range(args.repeat):
        for q in padded_questions:
            started = time.perf_counter()
            search(program, q["q"])
            timings.append((time.perf_counter() - started) * 1000)
    latency = {"p50_ms": round(percentile(timings, 50), 2), "p95_ms": round(percentile(timings, 95), 2),
               "max_ms": round(max(timings), 2), "mean_ms": round(statistics.mean(timings), 2), "n": len(timings)}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "database": connection.vendor,
        "machine": f"{platform.machine()} {platform.python_version()}", "indexed": indexed,
        "real_corpus": real, "padded_program": program, "padded_passages": total,
        "index_build_seconds": round(build_seconds, 2), "padded": padded, "stress_distractors_as_lessons": stress,
        "latency": latency,
        "targets": {"top3": 0.9, "p95_ms": 50},
    }
    out = ROOT / "bench" / "results" / f"tutor_retrieval-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"questions: {real['questions']} ({sum(1 for q in questions if q['q'].isascii())} in English); "
          f"passages indexed: {indexed}")
    print(f"course only:        top-1 {real['top1']:.1%}  top-3 {real['top3']:.1%}")
    print(f"{program} padded to {total} passages: top-1 {padded['top1']:.1%}  top-3 {padded['top3']:.1%} "
          f"({padded['questions']} questions); index build {build_seconds:.2f} s")
    print(f"stress (the distractors indexed as lessons): top-1 {stress['top1']:.1%}  top-3 {stress['top3']:.1%}")
    print(f"retrieval latency ({latency['n']} calls): p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, "
          f"max {latency['max_ms']} ms")
    for miss in real["misses"]:
        print(f"  miss: {miss['q']}  expected {miss['expected']} got {miss['got']}")
    print(f"written: {out.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="", help="postgres://…/NAME: created fresh, dropped at the end")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    run_in_throwaway(parser, args, run)


if __name__ == "__main__":
    main()
