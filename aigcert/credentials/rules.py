"""Certificate rules with no database: states and their transitions, the number format, the issue window, score
bands and the masked name the public page shows."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta

PENDING, ISSUED, PRINTED, MAILED, DELIVERED, REVOKED, REPLACED = (
    "pending", "issued", "printed", "mailed", "delivered", "revoked", "replaced")
# Published when a certificate is issued, revoked or replaced: {"user_id", "certificate", "program_code", "state"}.
CERTIFICATE_CHANGED = "credentials.certificate_changed"

# A certificate its holder holds: it verifies as valid.
HELD_STATES = (ISSUED, PRINTED, MAILED, DELIVERED)

# The paper's way: issued → printed → mailed → delivered. Revoking or replacing is possible at any time after issue
# and ends the certificate's life (a replaced certificate's successor carries on); a revoked one can still be
# replaced, for a revocation made in error.
TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({ISSUED}),
    ISSUED: frozenset({PRINTED, REVOKED, REPLACED}),
    PRINTED: frozenset({MAILED, REVOKED, REPLACED}),
    MAILED: frozenset({DELIVERED, REVOKED, REPLACED}),
    DELIVERED: frozenset({REVOKED, REPLACED}),
    REVOKED: frozenset({REPLACED}),  # reissued after a revocation made in error (audited like any other)
    REPLACED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits (catches any single mistyped digit and most swaps)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def certificate_number(prefix: str, year: int, serial: int, serial_digits: int) -> str:
    if not re.fullmatch(r"[A-Z]{2}", prefix):
        raise ValueError(f"certificate number prefix must be two capital letters: {prefix!r}")
    if serial < 1 or serial >= 10 ** serial_digits:
        raise ValueError(f"serial {serial} does not fit in {serial_digits} digits")
    body = f"{year:04d}{serial:0{serial_digits}d}"
    return f"{prefix}{body}{luhn_digit(body)}"


def number_normalize(text: str) -> str:
    """What a person types (full-width characters, spaces, dashes, lower case) as the stored form."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-_]", "", text).upper()


def number_well_formed(number: str, serial_digits: int) -> bool:
    """Shape and check digit: a mistyped number is answered without a database lookup or a count on the limit."""
    match = re.fullmatch(rf"[A-Z]{{2}}(\d{{{4 + serial_digits}}})(\d)", number)
    return bool(match) and luhn_digit(match.group(1)) == match.group(2)


def verification_code_new(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def verification_code_normalize(text: str) -> str:
    return number_normalize(text)


def name_normalize(name: str) -> str:
    """Names compare after width folding and without spaces or the middle dots of transliterated names."""
    text = unicodedata.normalize("NFKC", name or "")
    return re.sub(r"[\s·・.]", "", text).casefold()


def name_masked(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明; Latin names keep their first letters: Li Lei → L* L**."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def issue_window(pass_notice: date, min_days: int, max_days: int) -> tuple[date, date]:
    """The days between which the certificate should be stamped and mailed (seed: 15–40 days after the notice)."""
    return pass_notice + timedelta(days=min_days), pass_notice + timedelta(days=max_days)


def mailing_risk(*, today: date, due: date, state: str, warn_days: int) -> str:
    """'' for a certificate on time or mailed; 'at_risk' within warn_days of the deadline; 'overdue' past it."""
    if state not in (PENDING, ISSUED, PRINTED):
        return ""
    if today > due:
        return "overdue"
    if (due - today).days <= warn_days:
        return "at_risk"
    return ""


def score_band_code(score: int | None, total: int | None, bands: Sequence[tuple[str, int]]) -> str:
    """The band of a score scaled to 100 (bands: (code, minimum) highest first); '' when there is no score."""
    if score is None or not total:
        return ""
    percent = score * 100 / total
    for code, minimum in bands:
        if percent >= minimum:
            return code
    return ""
