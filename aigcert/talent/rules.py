"""Talent rules with no database: the unified social credit code's check character, portfolio links, the masked
name employers see, skill keys and the contact request's states."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from ipaddress import ip_address
from urllib.parse import urlsplit

from aigcert.talent.policy import uscc_scheme

# Contact request states. A request is answered once; "closed" is the platform declining it for the holder (they
# withdrew consent or deleted their profile).
OPEN, ACCEPTED, DECLINED, CLOSED = "open", "accepted", "declined", "closed"
ANSWERS = (ACCEPTED, DECLINED)

# How the holder's name is shown to employers.
NAME_MASKED, NAME_FULL = "masked", "full"


def uscc_normalize(text: str) -> str:
    """What a person types (full-width characters, spaces, dashes, lower case) as the stored form."""
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-]", "", folded).upper()


def uscc_check_character(first17: str) -> str | None:
    """The 18th character of a unified social credit code (GB 32100-2015) over its first 17, or None when they
    use characters outside the code's alphabet."""
    scheme = uscc_scheme()
    if len(first17) != scheme.length - 1 or any(c not in scheme.alphabet for c in first17):
        return None
    total = sum(scheme.alphabet.index(c) * w for c, w in zip(first17, scheme.weights, strict=True))
    modulus = len(scheme.alphabet)
    return scheme.alphabet[(modulus - total % modulus) % modulus]


def uscc_valid(code: str) -> bool:
    scheme = uscc_scheme()
    if len(code) != scheme.length:
        return False
    return uscc_check_character(code[:-1]) == code[-1]


def link_valid(url: str, *, max_chars: int) -> bool:
    """A portfolio link an employer may follow: https, a public host name, no credentials, nothing hidden."""
    if not url or len(url) > max_chars or any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that isn't a number
    except ValueError:
        return False
    if parts.scheme != "https" or parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return False
    if "." not in host or host.endswith(".") or host.startswith("."):
        return False
    try:  # an address instead of a name: likely a private network, never a portfolio
        ip_address(host)
    except ValueError:
        return True
    return False


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明: the family name and the last character stay."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def display_name(legal_name: str, shown: str) -> str:
    return legal_name.strip() if shown == NAME_FULL else mask_name(legal_name)


def skill_key(program_code: str, item_code: str) -> str:
    return f"{program_code}:{item_code}"


def skill_split(key: str) -> tuple[str, str] | None:
    program, sep, item = (key or "").partition(":")
    return (program, item) if sep and program and item else None


def skills_outside(chosen: Iterable[str], allowed: Iterable[str]) -> set[str]:
    """The chosen skills that are not among those allowed (the standards of the programs the holder holds)."""
    return set(chosen) - set(allowed)


def can_answer(state: str) -> bool:
    return state == OPEN


def page_allowed(page: int, max_page: int) -> bool:
    return 1 <= page <= max_page
