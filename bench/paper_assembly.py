"""Benchmark: draw 5,000 per-candidate 100-item papers from a 3,000-item bank with the real assembly code.

    .venv/bin/python bench/paper_assembly.py [--papers 5000] [--bank 3000]

Pure assembly only (section counts, area coverage, difficulty mix, an exposure cap of 30 %, each paper seeing the
exposure of the ones before it). Freezing papers into the database is measured by bench/paper_freeze.py.
Target (issue #5): under 60 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aigcert.exams.assembly import AreaRange, BankItem, BlueprintSpec, Section, paper_assemble

TYPES = ("single_choice", "multiple_choice", "true_false")
AREAS = ("A1", "A2", "A3")
SPEC = BlueprintSpec(
    sections=(Section("single_choice", 50, Decimal(1)), Section("multiple_choice", 25, Decimal(1)),
              Section("true_false", 25, Decimal(1))),
    areas=(AreaRange("A1", 25, 45), AreaRange("A2", 25, 45), AreaRange("A3", 25, None)),
    difficulty_mix={1: Decimal("0.1"), 2: Decimal("0.2"), 3: Decimal("0.4"), 4: Decimal("0.2"), 5: Decimal("0.1")},
    exposure_cap=Decimal("0.3"),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--bank", type=int, default=3000)
    options = parser.parse_args()
    rng = random.Random(2026)
    bank = [BankItem(n, rng.choice(TYPES), rng.choice(AREAS), rng.randint(1, 5)) for n in range(options.bank)]
    exposure: Counter[int] = Counter()
    started = time.perf_counter()
    for n in range(options.papers):
        for pick in paper_assemble(SPEC, bank, seed=n, exposure=exposure, papers_before=n):
            exposure[pick.version_id] += 1
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{options.papers} papers x {SPEC.item_count} items from a {options.bank}-item bank: {elapsed:.1f} s "
          f"({elapsed / options.papers * 1000:.1f} ms/paper), peak RSS {peak_mb:.0f} MB, "
          f"most-used item on {max(exposure.values())} papers ({max(exposure.values()) / options.papers:.0%})")


if __name__ == "__main__":
    main()
