"""Chinese-aware BM25 retrieval: jieba segments, bm25s ranks. Pure: no database, no Django.

Text is segmented once when indexed (the tokens are stored with the passage) and the question once per ask; the
index itself lives in memory, one per program, rebuilt when the program's index revision changes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import jieba
import numpy as np
import yaml

jieba.setLogLevel(logging.WARNING)
_jieba_lock = threading.Lock()

# Function words that match everything (tutor/data/stopwords.txt), in both languages candidates ask in.
STOPWORDS = frozenset(
    line.strip() for line in (Path(__file__).parent / "data" / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#"))
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


def _glossary() -> list[tuple[re.Pattern, str]]:
    raw = yaml.safe_load((Path(__file__).parent / "data" / "glossary.yaml").read_text(encoding="utf-8"))
    return [(re.compile(r"(?<![a-z0-9])" + re.escape(term) + r"(?![a-z0-9])"), " ".join(zh))
            for term, zh in sorted(raw.items(), key=lambda pair: -len(pair[0]))]


_GLOSSARY = _glossary()


def _stem(word: str) -> str:
    """English plurals to their singular, crudely (prompts → prompt); Chinese and short words unchanged."""
    if word.isascii() and len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Search tokens of a text: jieba's search-mode cut (long words and their parts), lower-cased, English plurals
    singular, stop words and punctuation dropped."""
    with _jieba_lock:  # jieba's lazy dictionary load isn't thread-safe
        pieces = jieba.lcut_for_search(text or "")
    found = []
    for piece in pieces:
        word = _stem(piece.strip().lower())
        if word and _WORD.search(word) and word not in STOPWORDS:
            found.append(word)
    return found


def query_tokens(question: str) -> list[str]:
    """A question's tokens, with the course's Chinese terms for the English words in it (the lessons are Chinese)."""
    lowered = question.lower()
    extra = [zh for pattern, zh in _GLOSSARY if pattern.search(lowered)]
    return tokens(" ".join([question, *extra]))


def warm_up() -> None:
    """Load jieba's dictionary now (about a second), not in the first candidate's request."""
    tokens("预热")


class PassageIndex:
    """BM25 over a fixed set of passages, given as (id, tokens) or (id, tokens, kind); a search may keep to kinds."""

    def __init__(self, docs: Sequence[tuple]) -> None:
        self.ids = [doc[0] for doc in docs]
        self.kinds = np.array([doc[2] if len(doc) > 2 else "" for doc in docs], dtype=object)
        self.size = len(self.ids)
        self._retriever: bm25s.BM25 | None = None
        if self.size:
            self._vocab: dict[str, int] = {}
            corpus_ids = [[self._vocab.setdefault(t, len(self._vocab)) for t in doc[1]] or [self._empty()]
                          for doc in docs]
            retriever = bm25s.BM25(k1=1.2, b=0.75)
            retriever.index(bm25s.tokenization.Tokenized(ids=corpus_ids, vocab=self._vocab), show_progress=False)
            self._retriever = retriever

    def _empty(self) -> int:
        return self._vocab.setdefault("\x00", len(self._vocab))

    def search(self, query_tokens: Sequence[str], k: int = 5, *,
               kinds: frozenset[str] | set[str] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best passages (of the given kinds) as (id, score), best first; passages that share no word
        are left out."""
        if self._retriever is None:
            return []
        known = [self._vocab[t] for t in query_tokens if t in self._vocab]
        if not known:
            return []
        scores = self._retriever.get_scores(known)
        if kinds is not None:
            scores = np.where(np.isin(self.kinds, list(kinds)), scores, 0.0)
        k = min(k, self.size)
        best = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(best, key=lambda i: (-scores[i], i))
        return [(self.ids[i], float(scores[i])) for i in ranked if scores[i] > 0]
