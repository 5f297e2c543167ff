"""Pure rules about identities: phone numbers, email addresses, identity documents. No ORM here."""

from __future__ import annotations

import re
from datetime import date

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# GB 11643-1999: weights and check characters of the 18-digit resident identity number.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

ID_TYPE_RESIDENT = "resident_id"
ID_TYPE_PASSPORT = "passport"
ID_TYPE_HK_MACAO = "hk_macao_permit"
ID_TYPE_TAIWAN = "taiwan_permit"
ID_TYPE_FOREIGN_PR = "foreign_permanent_resident"


def normalize_phone(raw: str) -> str | None:
    """A mainland China mobile number as 11 digits, or None. Accepts spaces, dashes and a +86 prefix."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if PHONE_RE.match(digits) else None


def normalize_email(raw: str) -> str | None:
    value = (raw or "").strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        return None
    return value


def classify_identifier(raw: str) -> tuple[str, str] | None:
    """Tell a login identifier apart: ("phone", "13800000000"), ("email", "a@b.cn") or None."""
    raw = (raw or "").strip()
    if "@" in raw:
        email = normalize_email(raw)
        return ("email", email) if email else None
    phone = normalize_phone(raw)
    return ("phone", phone) if phone else None


def resident_id_is_valid(number: str) -> bool:
    """Check an 18-character resident identity number: digits, a real birth date and the check character."""
    number = (number or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11] == number[17]


def id_number_is_valid(id_type: str, number: str) -> bool:
    number = (number or "").strip().upper()
    if id_type == ID_TYPE_RESIDENT:
        return resident_id_is_valid(number)
    if id_type == ID_TYPE_HK_MACAO:
        return re.fullmatch(r"[HM]\d{8,10}", number) is not None
    if id_type == ID_TYPE_TAIWAN:
        return re.fullmatch(r"\d{8}|[A-Z]\d{9}", number) is not None
    if id_type == ID_TYPE_FOREIGN_PR:
        return re.fullmatch(r"[A-Z0-9]{15}|9\d{17}", number) is not None
    # Passports differ by country; require a plausible length and alphabet only.
    return re.fullmatch(r"[A-Z0-9]{5,20}", number) is not None


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return value[0] + "*" * (len(value) - 1)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def mask_id_number(number: str) -> str:
    """Show only enough of an identity number for its owner to recognize it: 110***********123X."""
    return mask_middle((number or "").strip().upper(), 3, 4)


def mask_phone(phone: str) -> str:
    return mask_middle(phone or "", 3, 4)


def mask_email(email: str) -> str:
    if not email or "@" not in email:
        return email or ""
    local, domain = email.split("@", 1)
    return f"{mask_middle(local, 1, 1)}@{domain}"
