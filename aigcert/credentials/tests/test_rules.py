"""Certificate rules without a database."""

from datetime import date

import pytest

from aigcert.credentials import rules


def test_number_format_and_check_digit():
    number = rules.certificate_number("GA", 2026, 123, 6)
    assert number == "GA2026000123" + rules.luhn_digit("2026000123")
    assert rules.number_well_formed(number, 6)
    # Any single mistyped digit is caught by the check digit, before a lookup is spent.
    for position in range(2, len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1:]
                assert not rules.number_well_formed(typo, 6), typo
    assert not rules.number_well_formed("GA202600012", 6)
    assert not rules.number_well_formed("ga20260001234", 6)


def test_number_refuses_bad_prefix_and_overflow():
    with pytest.raises(ValueError):
        rules.certificate_number("G1", 2026, 1, 6)
    with pytest.raises(ValueError):
        rules.certificate_number("GA", 2026, 1_000_000, 6)
    with pytest.raises(ValueError):
        rules.certificate_number("GA", 2026, 0, 6)


def test_luhn_known_values():
    assert rules.luhn_digit("7992739871") == "3"  # the textbook example
    assert rules.luhn_digit("0") == "0"


def test_normalize_typed_numbers():
    assert rules.number_normalize(" ga-2026 0001 234 ") == "GA20260001234"
    assert rules.number_normalize("ＧＡ２０２６") == "GA2026"  # full-width input from a Chinese keyboard


def test_transitions():
    assert rules.can_transition("pending", "issued")
    assert rules.can_transition("issued", "printed")
    assert rules.can_transition("printed", "mailed")
    assert rules.can_transition("mailed", "delivered")
    for state in ("issued", "printed", "mailed", "delivered"):
        assert rules.can_transition(state, "revoked") and rules.can_transition(state, "replaced")
    assert not rules.can_transition("pending", "revoked")
    assert not rules.can_transition("pending", "printed")
    assert not rules.can_transition("issued", "mailed")
    assert not rules.can_transition("revoked", "issued")
    assert not rules.can_transition("replaced", "revoked")


def test_names_masked():
    assert rules.name_masked("张三") == "张*"
    assert rules.name_masked("张小三") == "张*三"
    assert rules.name_masked("欧阳小明") == "欧**明"
    assert rules.name_masked("Li Lei") == "L* L**"
    assert rules.name_masked("") == ""


def test_name_compare_ignores_width_spaces_and_dots():
    assert rules.name_normalize(" 张 小三 ") == rules.name_normalize("张小三")
    assert rules.name_normalize("阿依·努尔") == rules.name_normalize("阿依努尔")
    assert rules.name_normalize("Li Lei") == rules.name_normalize("li lei")
    assert rules.name_normalize("张小三") != rules.name_normalize("张小四")


def test_issue_window_and_risk():
    start, due = rules.issue_window(date(2026, 11, 1), 15, 40)
    assert (start, due) == (date(2026, 11, 16), date(2026, 12, 11))
    assert rules.mailing_risk(today=date(2026, 12, 1), due=due, state="issued", warn_days=7) == ""
    assert rules.mailing_risk(today=date(2026, 12, 4), due=due, state="printed", warn_days=7) == "at_risk"
    assert rules.mailing_risk(today=date(2026, 12, 11), due=due, state="pending", warn_days=7) == "at_risk"
    assert rules.mailing_risk(today=date(2026, 12, 12), due=due, state="pending", warn_days=7) == "overdue"
    # Posted in time, or ended: nothing to flag.
    assert rules.mailing_risk(today=date(2026, 12, 20), due=due, state="mailed", warn_days=7) == ""
    assert rules.mailing_risk(today=date(2026, 12, 20), due=due, state="revoked", warn_days=7) == ""


def test_score_bands():
    bands = [("excellent", 90), ("good", 75), ("pass", 0)]
    assert rules.score_band_code(95, 100, bands) == "excellent"
    assert rules.score_band_code(90, 100, bands) == "excellent"
    assert rules.score_band_code(89, 100, bands) == "good"
    assert rules.score_band_code(60, 100, bands) == "pass"
    assert rules.score_band_code(45, 50, bands) == "excellent"  # scaled to 100
    assert rules.score_band_code(None, 100, bands) == ""


def test_verification_codes_are_random_and_from_the_alphabet():
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    codes = {rules.verification_code_new(alphabet, 12) for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and set(c) <= set(alphabet) for c in codes)
