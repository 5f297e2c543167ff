"""Failed-login counting, so a password can't be guessed by brute force.

Counters live in the default cache (Redis in production; per process without it) and expire on their own.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from aigcert.accounts import rules


def _key(kind: str, value: str) -> str:
    # Hash, so raw phone numbers and addresses don't sit in the cache under readable keys.
    return f"login-fail:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def client_ip(request) -> str:
    if request is None:
        return "-"
    header = settings.CLIENT_IP_HEADER
    forwarded = request.META.get(header, "") if header else ""
    # X-Forwarded-For style headers list hops; the first is the client as the proxy saw it.
    return (forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR", "")) or "-"


def _keys(identifier: str, ip: str) -> list[tuple[str, int]]:
    found = rules.classify_identifier(identifier or "")
    keys = [(_key("ip", ip), settings.LOGIN_FAILURES_PER_IP)]
    if found is not None:
        keys.append((_key("id", found[1]), settings.LOGIN_FAILURES_PER_ACCOUNT))
        keys.append((_key("id-ip", f"{found[1]}|{ip}"), settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP))
    return keys


def login_blocked(identifier: str, ip: str) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(identifier, ip))


def login_failed(identifier: str, ip: str) -> None:
    for key, _limit in _keys(identifier, ip):
        if not cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_succeeded(identifier: str, ip: str) -> None:
    found = rules.classify_identifier(identifier or "")
    if found is not None:
        cache.delete_many([_key("id", found[1]), _key("id-ip", f"{found[1]}|{ip}")])
