"""What the tutor refuses before it searches: bad input, floods, and attempts to turn it against its instructions."""

from __future__ import annotations

import re
import unicodedata

from django.core.cache import cache
from django.utils.translation import gettext_lazy

from aigcert.core.api import DomainError
from aigcert.tutor.policy import tutor_policy


class RateLimited(DomainError):
    pass


def question_clean(text: str | None) -> str:
    """The question as it will be stored, or DomainError with the reason (nothing is stored then)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError(gettext_lazy("Type a question first."))
    limit = tutor_policy().question_max_chars
    if len(text) > limit:
        raise DomainError(gettext_lazy("A question may be at most %(limit)s characters; yours has %(n)s. Shorten it "
                                       "or split it in two.") % {"limit": limit, "n": len(text)})
    control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t")
    if "\x00" in text or "\ufffd" in text or control > max(2, len(text) // 50):
        raise DomainError(gettext_lazy("That doesn't look like text. Type your question in words."))
    return text


# Phrases that try to replace the tutor's instructions or read them back. Matched on a normalized copy (lower case,
# no spaces), so "I g n o r e" and full-width letters don't slip past.
_INJECTION = [re.compile(p) for p in (
    r"ignore(all|any|the)?(previous|prior|above|earlier|your)?(instructions|rules|prompts?|directions)",
    r"disregard(all|any|the)?(previous|prior|above|your)?(instructions|rules|prompts?)",
    r"(reveal|show|print|repeat|output|tellme)(me)?(your(system)?|thesystem)(prompt|instructions)",
    r"yoursystemprompt", r"developermode", r"jailbreak", r"youarenow(a|an)?(unrestricted|unfiltered|jailbroken)",
    r"(忽略|无视|忘记|忘掉)(之前|以上|上面|前面|先前|你的|所有)(的)?(所有)?(指令|指示|规则|提示|设定|要求)",
    r"(告诉我|输出|显示|打印|重复|泄露|给我看)(你的(系统)?|系统)(提示词|指令|设定|prompt)",
    r"你的系统提示",
    r"你现在是(一个)?(没有|不受|无)(任何)?(限制|约束)",
    r"扮演(一个)?(没有|不受)(任何)?(限制|约束)",
    r"越狱",
    r"开发者模式",
)]


def injection_detected(text: str) -> bool:
    normalized = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())
    return any(p.search(normalized) for p in _INJECTION)


def rate_check(user_id: int) -> None:
    """Count the question against the candidate's minute and day; RateLimited once either is used up."""
    policy = tutor_policy()
    windows = ((f"tutor-rate:m:{user_id}", 60, policy.per_minute,
                gettext_lazy("You are asking faster than the tutor answers: wait a minute, then ask again.")),
               (f"tutor-rate:d:{user_id}", 86400, policy.per_day,
                gettext_lazy("You have asked the tutor %(n)s questions today, the most it takes in a day. Ask again "
                             "tomorrow, or ask a human tutor.") % {"n": policy.per_day}))
    for key, _seconds, limit, message in windows:
        if (cache.get(key) or 0) >= limit:
            raise RateLimited(message)
    for key, seconds, _limit, _message in windows:
        if not cache.add(key, 1, seconds):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, seconds)
