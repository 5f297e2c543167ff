"""Pure catalog rules: money, eligibility, dates. No ORM, no settings; unit-tested without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def format_fen(fen: int) -> str:
    """Render an amount of fen as yuan: 79800 → "798", 19950 → "199.50", 1234567 → "12,345.67"."""
    sign = "-" if int(fen) < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    text = f"{sign}{yuan:,}"
    return text if cents == 0 else f"{text}.{cents:02d}"


def retake_fee_fen(*, retakes_taken: int, free_retakes: int, retake_fee: int) -> int:
    """The price of the next retake: the first `free_retakes` cost nothing, each later one the retake fee."""
    if retakes_taken < 0:
        raise ValueError("retakes_taken cannot be negative")
    return 0 if retakes_taken < free_retakes else retake_fee


@dataclass(frozen=True)
class PrerequisiteOption:
    kind: str  # "certificate" or "work_years"
    program_code: str | None = None
    min_years: int | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    satisfied_by: PrerequisiteOption | None
    options: tuple[PrerequisiteOption, ...]


def eligibility_check(options: tuple[PrerequisiteOption, ...] | list[PrerequisiteOption], *,
                      held_certificates: frozenset[str] | set[str], work_years: float | int | None) -> Eligibility:
    """A program with no options is open to everyone; otherwise any one satisfied option is enough."""
    options = tuple(options)
    if not options:
        return Eligibility(True, None, options)
    for option in options:
        if option.kind == "certificate" and option.program_code in held_certificates:
            return Eligibility(True, option, options)
        if option.kind == "work_years" and work_years is not None and option.min_years is not None \
                and work_years >= option.min_years:
            return Eligibility(True, option, options)
    return Eligibility(False, None, options)


def results_visible_on(exam_date: date, results_delay_days: int) -> date:
    return exam_date + timedelta(days=results_delay_days)


def certificate_window(pass_notice: date, min_days: int, max_days: int) -> tuple[date, date]:
    """The dates between which the certificate is due after the pass notice."""
    return pass_notice + timedelta(days=min_days), pass_notice + timedelta(days=max_days)
