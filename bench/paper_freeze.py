"""Benchmark: freeze 5,000 per-candidate 100-item papers from a 3,000-item bank into the database (issue #5).

    .venv/bin/python bench/paper_freeze.py [--papers 5000] [--bank 3000] [--profile]
    .venv/bin/python bench/paper_freeze.py --database-url postgres://postgres@127.0.0.1:5432/bench_freeze

The whole of what a session's pre-assembly does, not only the drawing (bench/paper_assembly.py): a fresh database
(SQLite in a temporary directory, or a PostgreSQL database this script creates and drops again), migrate, load the
catalog, write an approved bank of `--bank` choice and true/false items for aigc-general straight into the tables,
save a formal per-candidate blueprint with `blueprint_save`, then load the bank once with `bank_for` and call
`paper_freeze` for each paper with the exposure counts of the papers before it, as `exams.preassembly` does (without
its per-paper progress update of the batch row). Each paper is its own transaction: drawn, its 100 delivery payloads
read from the item bank, one Paper row written.

Prints time, time and queries per paper, a paper's JSON size, peak RSS and the most-used item, checks the result
(N papers of 100 items, no item over the exposure cap, no key or explanation in any payload) and prints a Markdown
row for docs/benchmarks.md. `--profile` runs the freezing loop under cProfile and prints where the time goes.
Target (issue #5): under 60 s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import resource
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import run_in_throwaway  # noqa: E402

PROGRAM = "aigc-general"
TYPES = ("single_choice", "multiple_choice", "true_false")
# The blueprint of bench/paper_assembly.py's SPEC, as the staff editor would send it.
SECTIONS = [{"item_type": "single_choice", "count": 50, "points": "1"},
            {"item_type": "multiple_choice", "count": 25, "points": "1"},
            {"item_type": "true_false", "count": 25, "points": "1"}]
AREAS = [{"area_code": "A1", "min_items": 25, "max_items": 45},
         {"area_code": "A2", "min_items": 25, "max_items": 45},
         {"area_code": "A3", "min_items": 25, "max_items": None}]
DIFFICULTY_MIX = {"1": "0.1", "2": "0.2", "3": "0.4", "4": "0.2", "5": "0.1"}
EXPOSURE_CAP = Decimal("0.3")
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
# Field names that must never reach a candidate's browser.
SECRET_FIELDS = {"key", "explanation", "rubric", "tests", "reference_solution", "reference_prompt"}

WORDS = ("生成式人工智能", "扩散模型", "大语言模型", "提示词工程", "多模态内容", "训练数据", "注意力机制", "模型微调",
         "数字人", "内容审核", "知识产权", "算力资源", "图像生成", "文本生成", "语音合成", "行业应用", "数据标注",
         "版权保护", "监管政策", "推理成本")
FILLER = ("在实际工作中", "根据国家相关规定", "结合企业的业务场景", "从技术原理上看", "与传统方法相比",
          "在内容创作流程里", "面向普通用户时", "为了降低风险")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cjk(rng: random.Random, length: int) -> str:
    """Chinese-looking text of about `length` characters."""
    parts: list[str] = []
    size = 0
    while size < length:
        part = rng.choice(FILLER) + "，" + rng.choice(WORDS) + "与" + rng.choice(WORDS) + "的关系需要认真分析。"
        parts.append(part)
        size += len(part)
    return "".join(parts)[:length]


def _content(rng: random.Random, n: int, item_type: str, difficulty: int, standard: str):
    from aigcert.itembank import content as c

    stem = (f"<p>第{n}题：{_cjk(rng, 70)}</p><p><strong>{rng.choice(WORDS)}</strong>{_cjk(rng, 70)}"
            f"下列说法中{'哪些' if item_type == c.MULTIPLE_CHOICE else ''}正确？</p>")
    item = c.ItemContent(item_type=item_type, stem=stem, points=Decimal(1), difficulty=difficulty,
                         explanation=f"<p>解析：{_cjk(rng, 80)}</p>", standards=[standard], source="bench")
    if item_type in c.CHOICE_TYPES:
        item.options = [c.Option(letter, f"<p>{_cjk(rng, rng.randint(12, 30))}</p>") for letter in "ABCD"]
        if item_type == c.SINGLE_CHOICE:
            item.key = [rng.choice("ABCD")]
        else:
            item.key = sorted(rng.sample("ABCD", rng.randint(2, 4)))
            item.scoring, item.partial_credit = c.PARTIAL, Decimal("0.5")
    else:
        item.key = [rng.choice(("true", "false"))]
    return item


def _bank_create(size: int) -> None:
    """An approved bank written straight into the tables (what the review workflow would leave behind)."""
    from aigcert.catalog import api as catalog
    from aigcert.core.api import now
    from aigcert.itembank.models import Item, ItemVersion
    from aigcert.itembank.services import version_fields

    rng = random.Random(2026)
    standards = {s.code: s.pk for s in catalog.standard_items(PROGRAM)}
    codes = sorted(standards)
    assert {code[:2] for code in codes} == {"A1", "A2", "A3"}, codes
    contents = [_content(rng, n, rng.choice(TYPES), rng.randint(1, 5), rng.choice(codes)) for n in range(size)]
    stamp = now()
    items = Item.objects.bulk_create([
        Item(program_id=catalog.program_pk(PROGRAM), item_type=content.item_type, status=Item.Status.APPROVED)
        for content in contents], batch_size=500)
    versions = ItemVersion.objects.bulk_create([
        ItemVersion(item=item, number=1, submitted_at=stamp, approved_at=stamp, **version_fields(content))
        for item, content in zip(items, contents, strict=True)], batch_size=500)
    through = ItemVersion.standards.through
    through.objects.bulk_create([through(itemversion_id=version.pk, standarditem_id=standards[content.standards[0]])
                                 for version, content in zip(versions, contents, strict=True)], batch_size=1000)
    for item, version in zip(items, versions, strict=True):
        item.head = item.live = version
    Item.objects.bulk_update(items, ["head", "live"], batch_size=500)


def _secret_fields(value, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [f"{path}.{k}" for k in value if k in SECRET_FIELDS] + [
            found for k, v in value.items() for found in _secret_fields(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in _secret_fields(v, f"{path}[{i}]")]
    return []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--bank", type=int, default=3000)
    parser.add_argument("--database-url", default="", help="postgres://…/NAME: created fresh, dropped at the end")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", action="store_true", help="run the freezing loop under cProfile")
    args = parser.parse_args()

    run_in_throwaway(parser, args, run)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aigcert.exams.blueprints import bank_for, blueprint_save, paper_freeze
    from aigcert.exams.models import Blueprint, Paper

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_catalog", stdout=io.StringIO())
    started = time.perf_counter()
    _bank_create(args.bank)
    blueprint = blueprint_save(program_code=PROGRAM, mode=Blueprint.Mode.FORMAL, name="bench", sections=SECTIONS,
                               areas=AREAS, difficulty_mix=DIFFICULTY_MIX, exposure_cap=EXPOSURE_CAP,
                               paper_mode=Blueprint.PaperMode.PER_CANDIDATE, actor=None)
    setup = time.perf_counter() - started
    items_per_paper = sum(s["count"] for s in SECTIONS)
    print(f"database: {connection.vendor}  bank: {args.bank} approved items  setup (bank + blueprint): {setup:.1f} s "
          "(not counted)")

    statements: Counter[str] = Counter()

    def count(execute, sql, params, many, context):
        statements[sql.split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    profile = cProfile.Profile() if args.profile else None
    exposure: Counter[int] = Counter()
    baseline = _peak_mb()
    with connection.execute_wrapper(count):
        started, cpu_started = time.perf_counter(), time.process_time()
        bank = bank_for(PROGRAM, Blueprint.Mode.FORMAL)
        loaded = lap = time.perf_counter()
        lap_cpu = time.process_time()
        bank_queries = sum(statements.values())
        statements.clear()
        if profile:
            profile.enable()
        frozen: set[int] = set()  # as exams.preassembly keeps it: versions whose payload snapshot exists
        for n in range(args.papers):
            if n == args.papers // 2:  # a paper in the steady state (the first one freezes ~100 payloads)
                with CaptureQueriesContext(connection) as sample:
                    paper = paper_freeze(blueprint=blueprint, bank=bank, exposure=exposure, papers_before=n,
                                         form_number=n + 1, frozen=frozen)
            else:
                paper = paper_freeze(blueprint=blueprint, bank=bank, exposure=exposure, papers_before=n,
                                     form_number=n + 1, frozen=frozen)
            exposure.update(item["version_id"] for item in paper.items)
            if not profile and (n + 1) % 1000 == 0:
                now = time.perf_counter()
                print(f"papers {n - 998}–{n + 1}: {now - lap:.1f} s ({now - lap:.1f} ms/paper), "
                      f"CPU {time.process_time() - lap_cpu:.1f} s", flush=True)
                lap, lap_cpu = now, time.process_time()
        done, cpu = time.perf_counter(), time.process_time() - cpu_started
        if profile:
            profile.disable()
    peak = _peak_mb()
    freezing, total = done - loaded, done - started
    # Transaction control is left out: SQLite sends BEGIN through the cursor, psycopg does it by itself.
    per_paper_queries = sum(v for k, v in statements.items() if k not in TRANSACTION_CONTROL) / args.papers

    # What one paper weighs: the JSON as Python writes it, and as the database stores it.
    sample_items = Paper.objects.filter(pk=paper.pk).values_list("items", flat=True).get()
    utf8 = len(json.dumps(sample_items, ensure_ascii=False).encode())
    with connection.cursor() as cursor:
        table = Paper._meta.db_table
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT octet_length(items::text), pg_column_size(items) FROM {table} WHERE id = %s",
                           [paper.pk])
            stored, on_disk = cursor.fetchone()
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
        else:
            cursor.execute(f"SELECT length(CAST(items AS BLOB)) FROM {table} WHERE id = %s", [paper.pk])
            stored, on_disk = cursor.fetchone()[0], None
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        database_bytes = cursor.fetchone()[0]

    # Checks: every paper there with 100 items, exposure as counted, nothing over the cap, no secret fields.
    papers = Paper.objects.filter(blueprint=blueprint)
    assert papers.count() == args.papers, papers.count()
    recount: Counter[int] = Counter()
    leaks: list[str] = []
    explanation_marker = "解析："
    for number, items in papers.values_list("form_number", "items").iterator(chunk_size=200):
        assert len(items) == items_per_paper, (number, len(items))
        assert len({item["version_id"] for item in items}) == items_per_paper, number
        recount.update(item["version_id"] for item in items)
        if explanation_marker in json.dumps(items, ensure_ascii=False):
            leaks.append(f"paper {number}: explanation text")
    # What a candidate receives: the shared payload snapshots of the versions, as exams.api.paper_get joins them.
    from aigcert.exams.models import PayloadSnapshot

    for version_id, payload in PayloadSnapshot.objects.values_list("version_id", "payload").iterator(chunk_size=500):
        leaks += [f"version {version_id}{path}" for path in _secret_fields(payload)]
        if explanation_marker in json.dumps(payload, ensure_ascii=False):
            leaks.append(f"version {version_id}: explanation text")
    assert recount == exposure
    most_used = max(exposure.values())
    cap = int(EXPOSURE_CAP * args.papers)
    assert most_used <= cap, (most_used, cap)
    assert not leaks, leaks[:5]

    print(f"load bank (bank_for): {loaded - started:.2f} s, {bank_queries} queries")
    print(f"freeze {args.papers} papers: {freezing:.1f} s ({freezing / args.papers * 1000:.1f} ms/paper)"
          + (" under cProfile" if profile else ""))
    print(f"total: {total:.1f} s (CPU time of this process: {cpu:.1f} s; the rest is waiting for the database "
          f"and the disk)   peak RSS: {peak:.0f} MB (before the loop: {baseline:.0f} MB)")
    print(f"queries per paper (without BEGIN): {per_paper_queries:.2f} ("
          + ", ".join(f"{k} {v / args.papers:.2f}" for k, v in statements.most_common()) + ")")
    print("one steady-state paper's statements:")
    for query in sample.captured_queries:
        print(f"  {query['time']}s  {query['sql'][:150]}")
    print(f"one paper's items JSON: {utf8 / 1024:.0f} KB as UTF-8, {stored / 1024:.0f} KB as stored"
          + (f", {on_disk / 1024:.0f} KB on disk (TOAST-compressed)" if on_disk is not None else "")
          + f"; database after the run: {database_bytes / 2**20:.0f} MB"
          + (" (paper table)" if connection.vendor == "postgresql" else ""))
    print(f"most-used item on {most_used} papers ({most_used / args.papers:.0%}), cap {cap} "
          f"({EXPOSURE_CAP:.0%}); {len(exposure)} of {len(bank)} items used")
    print(f"checked: {args.papers} Paper rows, {items_per_paper} distinct items each, none over the cap, "
          f"no key/explanation field in any payload")
    if profile:
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        print(stream.getvalue())
    verdict = "met" if total < 60 else "MISSED"
    print(f"| {time.strftime('%Y-%m-%d')} | {args.papers:,} papers, {args.bank:,}-item bank, {connection.vendor} | "
          f"{total:.1f} s | {freezing / args.papers * 1000:.1f} ms | {per_paper_queries:.0f} | {peak:.0f} MB | "
          f"{most_used / args.papers * 100:.0f} % of papers | {verdict} | "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs |")


if __name__ == "__main__":
    main()
