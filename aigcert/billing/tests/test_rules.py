"""Pure billing rules: prices, order numbers, seat codes and ledger postings. No database."""

from datetime import UTC, datetime

import pytest

from aigcert.billing import rules

OFFICIAL = rules.Fees(deposit_fen=49800, balance_fen=30000, retake_fee_fen=19900)
PARTNER = rules.Fees(deposit_fen=40000, balance_fen=25000, retake_fee_fen=0)


# ── prices ──────────────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("purpose", "unit"), [
    (rules.DEPOSIT, 49800), (rules.BALANCE, 30000), (rules.RETAKE, 19900), (rules.VOUCHER_BATCH, 49800),
])
def test_price_for_official_schedule(purpose, unit):
    assert rules.price_for(purpose, official=OFFICIAL) == rules.Price(unit_fen=unit, source="catalog")


@pytest.mark.parametrize(("purpose", "unit"), [
    (rules.DEPOSIT, 40000), (rules.BALANCE, 25000), (rules.RETAKE, 0), (rules.VOUCHER_BATCH, 40000),
])
def test_price_for_partner_price_list_replaces_the_official_one(purpose, unit):
    price = rules.price_for(purpose, official=OFFICIAL, org_fees=PARTNER, org_slug="bj-edu")
    assert price == rules.Price(unit_fen=unit, source="org:bj-edu")


def test_price_for_an_org_without_a_price_list_is_the_official_price():
    assert rules.price_for(rules.DEPOSIT, official=OFFICIAL, org_fees=None, org_slug="bj-edu") == rules.Price(
        unit_fen=49800, source="catalog")


def test_price_for_unknown_purpose_is_refused():
    with pytest.raises(KeyError):
        rules.price_for("donation", official=OFFICIAL)


# ── order numbers ───────────────────────────────────────────────────────────────────────────────────────────
def test_order_number_format_and_date():
    number = rules.order_number(datetime(2025, 3, 7, 10, 30, tzinfo=UTC))
    assert rules.ORDER_NUMBER_RE.match(number)
    assert number.startswith("AC250307")
    assert len(number) == 14
    assert all(c in rules.VOUCHER_ALPHABET for c in number[8:])


def test_order_numbers_differ():
    moment = datetime(2025, 3, 7, tzinfo=UTC)
    assert len({rules.order_number(moment) for _ in range(200)}) == 200


@pytest.mark.parametrize("text", ["AC250307ABCDE", "AC2503071BCDEFG", "ac250307ABCDEF", "AD250307ABCDEF",
                                  "AC25030XABCDEF", "AC250307abcdef"])
def test_order_number_pattern_rejects_malformed(text):
    assert rules.ORDER_NUMBER_RE.match(text) is None


# ── seat codes ──────────────────────────────────────────────────────────────────────────────────────────────
def test_voucher_alphabet_has_no_misreadable_letters():
    assert len(rules.VOUCHER_ALPHABET) == 32
    assert not set("ILOU") & set(rules.VOUCHER_ALPHABET)


def test_voucher_code_new_shape():
    codes = {rules.voucher_code_new() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert all(c in rules.VOUCHER_ALPHABET for c in "".join(groups))
        assert rules.voucher_code_normalize(code) == code


@pytest.mark.parametrize(("typed", "expected"), [
    ("ABCD-EFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRS"),
    ("abcd efgh jkmn pqrs", "ABCD-EFGH-JKMN-PQRS"),
    ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"),
    ("  ab-cd--ef gh\tjk mn-pq rs\n", "ABCD-EFGH-JKMN-PQRS"),
    ("OOOO-oooo-0000-0000", "0000-0000-0000-0000"),  # O is read as zero
    ("IIII-llll-LLLL-iiii", "1111-1111-1111-1111"),  # I and L are read as one
    ("ABCD\u3000EFGH\u3000JKMN\u3000PQRS", "ABCD-EFGH-JKMN-PQRS"),  # an ideographic space is a space too
])
def test_voucher_code_normalize_accepts_what_people_type(typed, expected):
    assert rules.voucher_code_normalize(typed) == expected


@pytest.mark.parametrize("typed", [
    "", None, "ABCD-EFGH-JKMN-PQR",  # 15
    "ABCD-EFGH-JKMN-PQRST",  # 17
    "ABCD-EFGH-JKMN-PQRU",  # U is not in the alphabet
    "ABCD-EFGH-JKMN-PQR!", "ABCD_EFGH_JKMN_PQRS", "ABCD-EFGH-JKMN-PQRé",
])
def test_voucher_code_normalize_refuses_what_cannot_be_a_code(typed):
    assert rules.voucher_code_normalize(typed) is None


# ── ledger postings ─────────────────────────────────────────────────────────────────────────────────────────
def test_accounts():
    assert rules.cash_account("offline") == "cash:offline"
    assert rules.revenue_account("deposit") == "revenue:deposit"
    assert rules.OVERPAYMENTS == "liability:overpayments"
    assert rules.VOUCHERS_OUTSTANDING == "liability:vouchers"


@pytest.mark.parametrize("purpose", [rules.DEPOSIT, rules.BALANCE, rules.RETAKE])
def test_posting_payment_credits_revenue(purpose):
    postings = rules.posting_payment(provider="alipay", purpose=purpose, amount_fen=49800, duplicate=False)
    assert postings == [("cash:alipay", 49800), (f"revenue:{purpose}", -49800)]
    assert rules.balanced(postings)


@pytest.mark.parametrize("purpose", [rules.DEPOSIT, rules.BALANCE, rules.RETAKE])
def test_posting_duplicate_payment_is_a_liability_never_revenue(purpose):
    postings = rules.posting_payment(provider="wechat", purpose=purpose, amount_fen=30000, duplicate=True)
    assert postings == [("cash:wechat", 30000), ("liability:overpayments", -30000)]
    assert not any(account.startswith("revenue:") for account, _ in postings)
    assert rules.balanced(postings)


def test_posting_voucher_batch_payment_is_owed_seats_not_revenue():
    postings = rules.posting_payment(provider="offline", purpose=rules.VOUCHER_BATCH, amount_fen=498000,
                                     duplicate=False)
    assert postings == [("cash:offline", 498000), ("liability:vouchers", -498000)]
    assert rules.balanced(postings)


def test_posting_voucher_at_face_value_has_no_discount():
    postings = rules.posting_voucher(purpose=rules.DEPOSIT, order_total_fen=49800, voucher_value_fen=49800)
    assert postings == [("liability:vouchers", 49800), ("revenue:deposit", -49800)]
    assert rules.balanced(postings)


def test_posting_voucher_bought_cheaper_books_the_gap_as_discount():
    postings = rules.posting_voucher(purpose=rules.DEPOSIT, order_total_fen=49800, voucher_value_fen=40000)
    assert postings == [("liability:vouchers", 40000), ("revenue:deposit", -49800),
                        ("expense:voucher-discount", 9800)]
    assert rules.balanced(postings)


def test_posting_voucher_worth_more_than_the_order_is_still_balanced():
    postings = rules.posting_voucher(purpose=rules.DEPOSIT, order_total_fen=40000, voucher_value_fen=49800)
    assert postings == [("liability:vouchers", 49800), ("revenue:deposit", -40000),
                        ("expense:voucher-discount", -9800)]
    assert rules.balanced(postings)


def test_posting_refund_reverses_revenue():
    postings = rules.posting_refund(provider="offline", purpose=rules.DEPOSIT, amount_fen=49800, duplicate=False)
    assert postings == [("revenue:deposit", 49800), ("cash:offline", -49800)]
    assert rules.balanced(postings)


def test_posting_refund_of_a_duplicate_clears_the_overpayment():
    postings = rules.posting_refund(provider="alipay", purpose=rules.DEPOSIT, amount_fen=49800, duplicate=True)
    assert postings == [("liability:overpayments", 49800), ("cash:alipay", -49800)]
    assert rules.balanced(postings)


def test_payment_then_refund_nets_to_zero_on_every_account():
    totals: dict[str, int] = {}
    for duplicate in (False, True):
        for account, amount in (rules.posting_payment(provider="offline", purpose="deposit", amount_fen=49800,
                                                      duplicate=duplicate)
                                + rules.posting_refund(provider="offline", purpose="deposit", amount_fen=49800,
                                                       duplicate=duplicate)):
            totals[account] = totals.get(account, 0) + amount
    assert totals == {"cash:offline": 0, "revenue:deposit": 0, "liability:overpayments": 0}


def test_balanced():
    assert rules.balanced([])
    assert rules.balanced([("a", 1), ("b", -1)])
    assert not rules.balanced([("a", 1), ("b", -2)])
