"""The tutor's index: which text it may quote, segmented and stored; an in-memory BM25 copy per process.

Sources, and nothing else: lesson sections (learning), the evaluation standard (catalog), and the explanations of
items kept for mocks and practice only (itembank). Formal items, keys, rubrics and papers are never read here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from aigcert.catalog import api as catalog
from aigcert.core.api import now
from aigcert.itembank import api as itembank
from aigcert.learning import api as learning
from aigcert.tutor import retrieval
from aigcert.tutor.models import IndexState, Passage

Source = Passage.Source


def _lesson_rows(program_code: str, lesson_code: str | None = None) -> list[Passage]:
    rows = []
    for section in learning.lesson_sections(program_code, lesson_code):
        title = f"{section.lesson_title} · {section.heading}" if section.heading else section.lesson_title
        rows.append(Passage(program_code=program_code, source=Source.LESSON, ref=section.lesson_code,
                            anchor=section.anchor, title=title[:300], text=section.text, url=section.url,
                            tokens=" ".join(retrieval.tokens(f"{title}\n{title}\n{section.text}"))))
    return rows


def _standard_rows(program_code: str) -> list[Passage]:
    rows = []
    program_page = reverse("catalog:program_detail", args=[program_code])
    for item in catalog.standard_items(program_code):
        title = f"{item.area_code} {item.area_title} · {item.code}"
        rows.append(Passage(program_code=program_code, source=Source.STANDARD, ref=item.code, title=title[:300],
                            text=item.text, url=f"{program_page}#standard-{item.code}",
                            tokens=" ".join(retrieval.tokens(f"{item.area_title} {item.text}"))))
    return rows


def _practice_rows(program_code: str) -> list[Passage]:
    rows = []
    for version_id, standards, stem, explanation in itembank.practice_explanations(program_code):
        rows.append(Passage(program_code=program_code, source=Source.PRACTICE, ref=str(version_id),
                            title=stem[:300], text=explanation, url="", anchor=standards[:20],
                            tokens=" ".join(retrieval.tokens(f"{stem}\n{explanation}"))))
    return rows


def _bump(program_code: str) -> None:
    state, _created = IndexState.objects.get_or_create(program_code=program_code)
    IndexState.objects.filter(pk=state.pk).update(
        revision=F("revision") + 1, built_at=now(),
        passages=Passage.objects.filter(program_code=program_code).count())


@transaction.atomic
def program_reindex(program_code: str) -> int:
    """Rebuild every passage of a program (the demo load, or an operator after a bulk change)."""
    rows = _lesson_rows(program_code) + _standard_rows(program_code) + _practice_rows(program_code)
    Passage.objects.filter(program_code=program_code).delete()
    Passage.objects.bulk_create(rows, batch_size=500)
    _bump(program_code)
    return len(rows)


@transaction.atomic
def lesson_reindex(program_code: str, lesson_code: str) -> int:
    """Re-segment one lesson after staff changed it (the background task the lesson's save queues)."""
    rows = _lesson_rows(program_code, lesson_code)
    Passage.objects.filter(program_code=program_code, source=Source.LESSON, ref=lesson_code).delete()
    Passage.objects.bulk_create(rows, batch_size=500)
    _bump(program_code)
    return len(rows)


@dataclass
class _Cached:
    revision: tuple | None  # (revision, built_at): a rolled-back rebuild can reuse a number, never both
    index: retrieval.PassageIndex


_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()


def program_index(program_code: str) -> retrieval.PassageIndex:
    """The program's BM25 index as of its current revision: one small query when the copy here is current."""
    revision = IndexState.objects.filter(program_code=program_code).values_list("revision", "built_at").first()
    cached = _cache.get(program_code)
    if cached is not None and cached.revision == revision:
        return cached.index
    with _cache_lock:
        cached = _cache.get(program_code)
        if cached is None or cached.revision != revision:
            docs = [(pk, text.split(), source) for pk, text, source in
                    Passage.objects.filter(program_code=program_code).order_by("pk")
                    .values_list("pk", "tokens", "source")]
            cached = _Cached(revision=revision, index=retrieval.PassageIndex(docs))
            _cache[program_code] = cached
    return cached.index


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


QUOTABLE = frozenset({Source.LESSON, Source.STANDARD})
PRACTICE = frozenset({Source.PRACTICE})


def search(program_code: str, question: str, *, k: int, kinds: frozenset[str] | None = None) -> list[Hit]:
    """The best ``k`` passages of the program for a question, of the given kinds (all kinds when None). Lessons and
    the standard are what the tutor quotes; practice passages are suggested, not quoted: rank them apart."""
    found = program_index(program_code).search(retrieval.query_tokens(question), k=k, kinds=kinds)
    passages = Passage.objects.in_bulk([pk for pk, _score in found])
    return [Hit(passages[pk], score) for pk, score in found if pk in passages]
