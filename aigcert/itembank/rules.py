"""Scoring rules for objective items, and the text normalization they share. Pure: no database, no Django.

Scores are Decimals so that partial credit (0.5) and QTI mapped values add up exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)

_SPACES = re.compile(r"\s+")


def normalize_answer(text: str, *, case_sensitive: bool = False) -> str:
    """Fill-in normalization: trim, full-width → half-width (NFKC), inner runs of spaces → one, and case."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "").strip())
    return text if case_sensitive else text.casefold()


@dataclass(frozen=True)
class MapEntry:
    key: str
    value: Decimal
    case_sensitive: bool = True


@dataclass(frozen=True)
class Mapping:
    """QTI's mapping: each distinct response value maps to a score; unmapped values score the default."""

    entries: tuple[MapEntry, ...]
    default: Decimal = ZERO
    lower: Decimal | None = None
    upper: Decimal | None = None

    def value_of(self, response: str, *, normalize: bool = False) -> Decimal:
        for entry in self.entries:
            if normalize:
                matched = (normalize_answer(response, case_sensitive=entry.case_sensitive)
                           == normalize_answer(entry.key, case_sensitive=entry.case_sensitive))
            elif entry.case_sensitive:
                matched = response == entry.key
            else:
                matched = response.casefold() == entry.key.casefold()
            if matched:
                return entry.value
        return self.default

    def max_score(self) -> Decimal:
        """The most a single response container can score (for the item's maximum points)."""
        best = sum((e.value for e in self.entries if e.value > 0), ZERO)
        return min(best, self.upper) if self.upper is not None else best


def map_response(mapping: Mapping, responses: Iterable[str], *, normalize: bool = False) -> Decimal:
    """QTI mapResponse inside the map_response template.

    A NULL response (nothing chosen, or only empty strings) scores 0, as the template's isNull branch says.
    Otherwise each distinct value counts once: its mapped value, or the mapping's default; the sum is then
    clamped to the lower and upper bounds.
    """
    distinct: list[str] = []
    for response in responses:
        if response is None or response == "" or response in distinct:
            continue
        distinct.append(response)
    if not distinct:
        return ZERO
    total = sum((mapping.value_of(r, normalize=normalize) for r in distinct), ZERO)
    if mapping.lower is not None and total < mapping.lower:
        total = mapping.lower
    if mapping.upper is not None and total > mapping.upper:
        total = mapping.upper
    return total


def match_correct(correct: Iterable[str], responses: Iterable[str], points: Decimal) -> Decimal:
    """QTI match_correct: full points when the set of responses equals the correct set, else 0."""
    chosen = {r for r in responses if r}
    return points if chosen and chosen == set(correct) else ZERO


def score_single_choice(key: str, response: str | None, points: Decimal) -> Decimal:
    return points if response is not None and response == key else ZERO


def score_true_false(key: bool, response: bool | None, points: Decimal) -> Decimal:
    return points if response is not None and response == key else ZERO


def score_multiple_choice(key: Iterable[str], responses: Iterable[str], points: Decimal, *,
                          partial_credit: Decimal | None = None) -> Decimal:
    """All-or-nothing, or 少选得部分分、错选不得分: a correct but incomplete choice earns a share of the points.

    ``partial_credit`` is that share (0.5 → half the points); ``None`` means all-or-nothing. Any wrong option
    scores 0, and so does choosing nothing.
    """
    correct = set(key)
    chosen = {r for r in responses if r}
    if not chosen or chosen - correct:
        return ZERO
    if chosen == correct:
        return points
    if partial_credit is None:
        return ZERO
    return (points * partial_credit).quantize(Decimal("0.01"))


def score_fill_in(blanks: Sequence[Mapping], responses: Sequence[str | None]) -> list[Decimal]:
    """One score per blank: the blank's accepted answers are a mapping, matched after normalization."""
    scores = []
    for index, blank in enumerate(blanks):
        response = responses[index] if index < len(responses) else None
        scores.append(map_response(blank, [response or ""], normalize=True))
    return scores


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")


def word_count(text: str) -> int:
    """Words for essay limits: each CJK character counts as one word, as do runs of Latin letters/digits."""
    return len(_CJK.findall(text)) + len(_WORD.findall(_CJK.sub(" ", text)))
