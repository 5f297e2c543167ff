"""Catalog rules: pure functions, no database."""

from datetime import date

import pytest

from aigcert.catalog import rules
from aigcert.catalog.rules import PrerequisiteOption


@pytest.mark.parametrize(("fen", "text"), [(79800, "798"), (19900, "199"), (19950, "199.50"), (5, "0.05"),
                                           (123456789, "1,234,567.89"), (0, "0")])
def test_format_fen(fen, text):
    assert rules.format_fen(fen) == text


def test_first_retake_is_free_then_each_costs_the_fee():
    fees = [rules.retake_fee_fen(retakes_taken=n, free_retakes=1, retake_fee=19900) for n in range(4)]
    assert fees == [0, 19900, 19900, 19900]
    assert rules.retake_fee_fen(retakes_taken=0, free_retakes=0, retake_fee=19900) == 19900
    with pytest.raises(ValueError):
        rules.retake_fee_fen(retakes_taken=-1, free_retakes=1, retake_fee=19900)


INTERMEDIATE = [PrerequisiteOption("certificate", program_code="aigc-engineer-junior"),
                PrerequisiteOption("work_years", min_years=1)]


@pytest.mark.parametrize(
    ("held", "years", "eligible", "via"),
    [
        ({"aigc-engineer-junior"}, None, True, "certificate"),
        (set(), 1, True, "work_years"),
        (set(), 3.5, True, "work_years"),
        (set(), 0.9, False, None),
        (set(), None, False, None),
        ({"aigc-general"}, 0, False, None),
    ],
)
def test_any_one_prerequisite_option_is_enough(held, years, eligible, via):
    result = rules.eligibility_check(INTERMEDIATE, held_certificates=held, work_years=years)
    assert result.eligible is eligible
    assert (result.satisfied_by.kind if result.satisfied_by else None) == via


def test_a_program_without_prerequisites_is_open_to_all():
    assert rules.eligibility_check([], held_certificates=set(), work_years=None).eligible


def test_results_and_certificate_dates():
    assert rules.results_visible_on(date(2026, 12, 20), 10) == date(2026, 12, 30)
    assert rules.certificate_window(date(2026, 12, 30), 15, 40) == (date(2027, 1, 14), date(2027, 2, 8))
