"""Pure billing rules: prices, order numbers, voucher codes, ledger postings. No ORM; tested without a database."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

DEPOSIT, BALANCE, RETAKE, VOUCHER_BATCH = "deposit", "balance", "retake", "voucher_batch"
PURPOSES = (DEPOSIT, BALANCE, RETAKE, VOUCHER_BATCH)

# Crockford base32 without the letters people misread (I, L, O, U).
VOUCHER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VOUCHER_LENGTH = 16
ORDER_NUMBER_RE = re.compile(r"^AC\d{6}[0-9A-Z]{6}$")


@dataclass(frozen=True)
class Fees:
    """The three prices that can apply to a candidate: official or a partner's own."""

    deposit_fen: int
    balance_fen: int
    retake_fee_fen: int


@dataclass(frozen=True)
class Price:
    unit_fen: int
    source: str  # "catalog" or "org:<slug>"


def price_for(purpose: str, *, official: Fees, org_fees: Fees | None = None, org_slug: str = "") -> Price:
    """A partner's price list, when it has one for the program, replaces the official fee schedule."""
    fees, source = (org_fees, f"org:{org_slug}") if org_fees is not None else (official, "catalog")
    unit = {
        DEPOSIT: fees.deposit_fen,
        BALANCE: fees.balance_fen,
        RETAKE: fees.retake_fee_fen,
        VOUCHER_BATCH: fees.deposit_fen,  # a prepaid seat code stands for the deposit
    }[purpose]
    return Price(unit_fen=unit, source=source)


# Explicit [0-9] rather than \d: \d also matches full-width and other Unicode digits, which Decimal happily parses.
_YUAN_RE = re.compile(r"[0-9]+(\.[0-9]{1,2})?")


def yuan_to_fen(text: str) -> int:
    """Yuan as written (Alipay amounts, a clerk's entry) to integer fen; anything not exactly representable is
    refused."""
    if not isinstance(text, str) or not _YUAN_RE.fullmatch(text):
        raise ValueError(f"not a yuan amount with at most 2 decimals: {text!r}")
    # Integer parsing, not Decimal arithmetic: Decimal multiplies within a 28-digit context and would round silently.
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def order_number(moment: datetime) -> str:
    """Short enough to type into a bank transfer memo, unique enough to need no lookup table."""
    suffix = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(6))
    return f"AC{moment:%y%m%d}{suffix}"


def voucher_code_new() -> str:
    raw = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, VOUCHER_LENGTH, 4))


def voucher_code_normalize(text: str) -> str | None:
    """Accept what people type: any case, spaces or dashes, O for 0 and I/L for 1. None if it can't be a code."""
    # NFKC first: a Chinese keyboard may type full-width letters, digits and dashes.
    cleaned = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or "")).upper().translate(
        str.maketrans("OIL", "011"))
    if len(cleaned) != VOUCHER_LENGTH or any(c not in VOUCHER_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i:i + 4] for i in range(0, VOUCHER_LENGTH, 4))


# Ledger accounts. Debits are positive, credits negative; every posting sums to zero.
def cash_account(provider: str) -> str:
    return f"cash:{provider}"


def revenue_account(purpose: str) -> str:
    return f"revenue:{purpose}"


VOUCHERS_OUTSTANDING = "liability:vouchers"
OVERPAYMENTS = "liability:overpayments"
VOUCHER_DISCOUNT = "expense:voucher-discount"


def posting_payment(*, provider: str, purpose: str, amount_fen: int, duplicate: bool) -> list[tuple[str, int]]:
    """Money received. A duplicate payment is owed back, so it is a liability, never revenue."""
    if purpose == VOUCHER_BATCH:
        credit = VOUCHERS_OUTSTANDING
    else:
        credit = OVERPAYMENTS if duplicate else revenue_account(purpose)
    return [(cash_account(provider), amount_fen), (credit, -amount_fen)]


def posting_voucher(*, purpose: str, order_total_fen: int, voucher_value_fen: int) -> list[tuple[str, int]]:
    """A prepaid seat code settles the whole order; any gap between its value and the price is a discount."""
    postings = [(VOUCHERS_OUTSTANDING, voucher_value_fen), (revenue_account(purpose), -order_total_fen)]
    if order_total_fen != voucher_value_fen:
        postings.append((VOUCHER_DISCOUNT, order_total_fen - voucher_value_fen))
    return postings


def posting_refund(*, provider: str, purpose: str, amount_fen: int, duplicate: bool) -> list[tuple[str, int]]:
    debit = OVERPAYMENTS if duplicate else revenue_account(purpose)
    return [(debit, amount_fen), (cash_account(provider), -amount_fen)]


def balanced(postings: list[tuple[str, int]]) -> bool:
    return sum(amount for _account, amount in postings) == 0
