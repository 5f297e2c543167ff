"""Frozen views of catalog facts for other apps (billing, enrolment, exams, …)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeeScheduleData:
    total_fen: int
    deposit_fen: int
    balance_fen: int
    retake_fee_fen: int
    free_retakes: int
    assumed: bool


@dataclass(frozen=True)
class SittingData:
    code: str
    label: str
    start: str  # "HH:MM"


@dataclass(frozen=True)
class ExamPolicyData:
    duration_minutes: int
    total_score: int
    pass_mark: int
    item_types: tuple[str, ...]
    frequency: str
    results_delay_days: int
    sittings: tuple[SittingData, ...]
    seats_per_sitting: int
    booking_closes_days_before: int
    ticket_days_before: int


@dataclass(frozen=True)
class ProgramData:
    code: str
    name: str
    series_code: str
    direction_code: str | None
    level: str
    level_rank: int
    status: str
    booking_horizon_months: int
    human_tutoring: bool
    certificate_window_min_days: int
    certificate_window_max_days: int
    fees: FeeScheduleData | None
    exam: ExamPolicyData | None


@dataclass(frozen=True)
class StandardItemData:
    pk: int
    code: str
    text: str
    area_code: str
    area_title: str


@dataclass(frozen=True)
class LessonData:
    code: str
    chapter_code: str
    title: str  # in the active language
    area_codes: tuple[str, ...]  # the program's standard areas it prepares for, in the standard's order
    url: str  # the lesson's page in the course
    chapter_title: str = ""  # in the active language
    chapter_part: str = ""


@dataclass(frozen=True)
class CertificateFactsData:
    """What a certificate of a program says, in both languages (a certificate is printed in Chinese and its
    credential carries both)."""

    program_code: str
    program_name_zh: str
    program_name_en: str
    level_zh: str
    level_en: str
    direction_zh: str  # "" when the program has no direction
    direction_en: str
    title_zh: str  # the certificate's title, e.g. 《岗位能力适应评测证书》（AIGC技能系列）
    title_en: str
    issuer_zh: str
    issuer_en: str
    summary_zh: str
    summary_en: str
    standard_areas_zh: tuple[str, ...]  # the evaluation standard's areas: the credential's criteria
    standard_areas_en: tuple[str, ...]
    pass_mark: int | None
    total_score: int | None
