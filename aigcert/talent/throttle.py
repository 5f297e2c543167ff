"""Rate limits on what employers read and send, against scraping the talent database.

Counters live in the default cache (Redis in production, so every app server counts together) in fixed windows;
a refused request counts too, so hammering a limit doesn't reopen it.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from aigcert.talent.policy import talent_limits

MINUTE, DAY = 60, 24 * 60 * 60


def _count(kind: str, user_id: int, window: int) -> int:
    bucket = int(time.time() // window)
    key = f"talent:{kind}:{user_id}:{window}:{bucket}"
    if cache.add(key, 1, window + 60):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window + 60)
        return 1


def search_allowed(user_id: int) -> bool:
    limits = talent_limits()
    per_minute = _count("search", user_id, MINUTE) <= limits.searches_per_minute
    per_day = _count("search", user_id, DAY) <= limits.searches_per_day
    return per_minute and per_day


def profile_view_allowed(user_id: int) -> bool:
    return _count("profile", user_id, DAY) <= talent_limits().profile_views_per_day


def contact_request_allowed(user_id: int) -> bool:
    return _count("contact", user_id, DAY) <= talent_limits().contact_requests_per_day
