"""Benchmark: import a generated 10,000-row item spreadsheet (target: under 60 s and 500 MB peak memory).

    .venv/bin/python bench/itembank_import.py [--rows 10000] [--database-url postgres://…]

Runs in a fresh data directory (SQLite unless --database-url): migrate, load the catalog, write the workbook,
then check it and import it all at once, exactly as `aigcert import_items` does. Prints time per phase, the
process's peak resident memory, and a Markdown row for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _workbook(path: Path, rows: int) -> None:
    import openpyxl

    from aigcert.itembank import xlsx

    rng = random.Random(2026)
    topics = ["生成式模型", "扩散模型", "Transformer", "提示词", "GAN", "大语言模型", "AI 绘画", "数字人", "算力",
              "数据标注"]
    verbs = ["的主要特点是", "最常见的用途是", "训练时最关键的是", "在实际应用中需要注意", "与传统方法相比的优势是"]
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(xlsx.ITEMS_SHEET)
    sheet.append([xlsx.header(k, zh) for k, zh in xlsx.COLUMNS])
    standards = [f"A{a}.{b}" for a in (1, 2, 3) for b in (1, 2, 3)]
    for n in range(rows):
        kind = n % 4
        # Distinct stems: a serial number and random words, so the duplicate check does real work.
        stem = f"第{n}题：{rng.choice(topics)}{rng.choice(verbs)}什么？（编号 {rng.randrange(10**9)}）"
        row = {"program": "aigc-general", "stem": stem, "difficulty": 1 + n % 5, "standards": rng.choice(standards),
               "explanation": f"解析 {n}：{rng.choice(topics)}相关知识。", "source": "bench"}
        if kind == 0:
            row.update(type="单选", option_a="甲", option_b="乙", option_c="丙", option_d="丁", key="B", points=1)
        elif kind == 1:
            row.update(type="多选", option_a="甲", option_b="乙", option_c="丙", option_d="丁", key="ACD", points=2,
                       scoring="partial", partial_credit=0.5)
        elif kind == 2:
            row.update(type="判断", key="对" if n % 2 else "错", points=1)
        else:
            row.update(type="填空", stem=stem + " 答案是[[1]]。", blanks="Transformer|transformer", points=1)
        sheet.append([row.get(k, "") for k in xlsx.COLUMN_KEYS])
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="aigcert-bench-"))
    os.environ["AIGCERT_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigcert.settings")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from aigcert.itembank import importing
    from aigcert.itembank.models import Item

    if args.database_url:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_catalog", stdout=io.StringIO())
    workbook = data_dir / "bench.xlsx"
    started = time.perf_counter()
    _workbook(workbook, args.rows)
    generated = time.perf_counter()
    baseline = _peak_mb()
    check = importing.xlsx_check(workbook, default_program="aigc-general")
    checked = time.perf_counter()
    assert check.ok, check.problems[:5]
    imported = importing.check_write(actor=None, check=check, source="bench")
    done = time.perf_counter()
    assert imported == args.rows == Item.objects.count()
    total = done - generated
    peak = _peak_mb()
    print(f"rows: {args.rows}  file: {workbook.stat().st_size / 2**20:.1f} MB  database: {connection.vendor}")
    print(f"generate workbook: {generated - started:.1f} s (not counted)")
    print(f"check (parse, validate, duplicates): {checked - generated:.1f} s")
    print(f"write (one transaction): {done - checked:.1f} s")
    print(f"import total: {total:.1f} s   peak RSS: {peak:.0f} MB (before the import: {baseline:.0f} MB)")
    verdict = "met" if total < 60 and peak < 500 else "MISSED"
    print(f"| {time.strftime('%Y-%m-%d')} | {args.rows:,} rows, {connection.vendor} | {checked - generated:.1f} s | "
          f"{done - checked:.1f} s | {total:.1f} s | {peak:.0f} MB | {verdict} | "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs |")


if __name__ == "__main__":
    main()
