"""Same or near-same stems. Pure: the caller supplies the bank's stems.

Exact duplicates share a fingerprint (the stem with case, width, spaces and punctuation folded away).
Near duplicates are found with MinHash over character trigrams and banded locality-sensitive hashing,
then confirmed by their Jaccard similarity, so a 10,000-row file against a 10,000-item bank stays linear.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

NEAR_THRESHOLD = 0.8
_GRAY_ZONE = 0.6
_HASHES = 12
_BAND = 2
_PRIME = (1 << 61) - 1
# Fixed multipliers so that signatures don't depend on the process's hash seed.
_PERMUTATIONS = [((i * 0x9E3779B97F4A7C15 + 1) % _PRIME | 1, (i * 0xC2B2AE3D27D4EB4F + 7) % _PRIME)
                 for i in range(1, _HASHES + 1)]


def fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def fingerprint(text: str) -> str:
    return hashlib.sha1(fold(text).encode(), usedforsecurity=False).hexdigest()


def _shingles(folded: str) -> set[int]:
    if len(folded) < 3:
        return {int.from_bytes(hashlib.blake2b(folded.encode(), digest_size=8).digest(), "big")}
    return {int.from_bytes(hashlib.blake2b(folded[i:i + 3].encode(), digest_size=8).digest(), "big")
            for i in range(len(folded) - 2)}


def _signature(shingles: set[int]) -> tuple[int, ...]:
    return tuple(min((a * s + b) % _PRIME for s in shingles) for a, b in _PERMUTATIONS)


@dataclass(frozen=True)
class Match:
    ref: object
    similarity: float


def _similarity(a: str, a_shingles: set[int], b: str, b_shingles: set[int]) -> float:
    jaccard = len(a_shingles & b_shingles) / len(a_shingles | b_shingles)
    if jaccard >= NEAR_THRESHOLD or jaccard < _GRAY_ZONE:
        return jaccard
    # Trigram overlap drops fast when a few changes are spread out; the character-level ratio confirms those.
    # The cheap upper bounds come first: the exact ratio is the costly part on a 10,000-row file.
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_THRESHOLD or matcher.quick_ratio() < NEAR_THRESHOLD:
        return jaccard
    return max(jaccard, matcher.ratio())


class NearDuplicateIndex:
    def __init__(self) -> None:
        self._bands: dict[tuple, list[int]] = defaultdict(list)
        self._entries: list[tuple[object, str, set[int]]] = []

    def add(self, ref: object, text: str) -> None:
        folded = fold(text)
        if not folded:
            return
        shingles = _shingles(folded)
        index = len(self._entries)
        self._entries.append((ref, folded, shingles))
        for band in self._band_keys(shingles):
            self._bands[band].append(index)

    @staticmethod
    def _band_keys(shingles: set[int]) -> Iterable[tuple]:
        signature = _signature(shingles)
        for start in range(0, _HASHES, _BAND):
            yield (start, *signature[start:start + _BAND])

    def best_match(self, text: str) -> Match | None:
        folded = fold(text)
        if not folded:
            return None
        shingles = _shingles(folded)
        candidates: set[int] = set()
        for band in self._band_keys(shingles):
            candidates.update(self._bands.get(band, ()))
        best: Match | None = None
        for index in candidates:
            ref, other_folded, other = self._entries[index]
            similarity = 1.0 if other_folded == folded else _similarity(folded, shingles, other_folded, other)
            if similarity >= NEAR_THRESHOLD and (best is None or similarity > best.similarity):
                best = Match(ref, similarity)
        return best
