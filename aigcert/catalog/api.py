"""What other apps may ask the catalog."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import get_language

from aigcert.catalog import rules, selectors
from aigcert.catalog.data import (
    CertificateFactsData,
    ExamPolicyData,
    FeeScheduleData,
    LessonData,
    ProgramData,
    SittingData,
    StandardItemData,
)
from aigcert.catalog.models import ItemType, Lesson, Program
from aigcert.core.api import NotFound

__all__ = [
    "CertificateFactsData",
    "ItemType",
    "LessonData",
    "ProgramData",
    "StandardItemData",
    "certificate_facts",
    "eligibility_check",
    "format_fen",
    "lessons_for_areas",
    "lessons_of",
    "program_choices",
    "program_get",
    "program_list_open",
    "program_name",
    "program_pk",
    "sitting_labels",
    "standard_items",
]


def _program_data(program: Program) -> ProgramData:
    fees = getattr(program, "fees", None)
    policy = getattr(program, "exam_policy", None)
    return ProgramData(
        code=program.code,
        name=program.name,
        series_code=program.series.code,
        direction_code=program.direction.code if program.direction else None,
        level=program.level,
        level_rank=program.level_rank,
        status=program.status,
        booking_horizon_months=program.booking_horizon_months,
        human_tutoring=program.human_tutoring,
        certificate_window_min_days=program.certificate_window_min_days,
        certificate_window_max_days=program.certificate_window_max_days,
        fees=FeeScheduleData(
            total_fen=fees.total_fen, deposit_fen=fees.deposit_fen, balance_fen=fees.balance_fen,
            retake_fee_fen=fees.retake_fee_fen, free_retakes=fees.free_retakes, assumed=fees.assumed,
        ) if fees else None,
        exam=ExamPolicyData(
            duration_minutes=policy.duration_minutes, total_score=policy.total_score, pass_mark=policy.pass_mark,
            item_types=tuple(policy.item_types), frequency=policy.frequency,
            results_delay_days=policy.results_delay_days,
            seats_per_sitting=policy.seats_per_sitting,
            booking_closes_days_before=policy.booking_closes_days_before,
            ticket_days_before=policy.ticket_days_before,
            sittings=tuple(SittingData(code=s.code, label=s.label, start=s.start_time.strftime("%H:%M"))
                           for s in policy.sittings.all()),
        ) if policy else None,
    )


format_fen = rules.format_fen


def program_get(code: str) -> ProgramData:
    program = selectors.program_with_policy(code)
    if program is None:
        raise NotFound()
    return _program_data(program)


def certificate_facts(code: str) -> CertificateFactsData:
    program = selectors.program_with_policy(code)
    if program is None:
        raise NotFound()
    series, direction = program.series, program.direction
    policy = getattr(program, "exam_policy", None)
    areas = list(program.standard_areas.order_by("order", "id"))
    return CertificateFactsData(
        program_code=program.code, program_name_zh=program.name_zh, program_name_en=program.name_en or program.name_zh,
        level_zh=program.level_zh, level_en=program.level_en or program.level_zh,
        direction_zh=direction.name_zh if direction else "",
        direction_en=(direction.name_en or direction.name_zh) if direction else "",
        title_zh=series.certificate_title_zh, title_en=series.certificate_title_en or series.certificate_title_zh,
        issuer_zh=series.issuer_zh, issuer_en=series.issuer_en or series.issuer_zh,
        summary_zh=program.summary_zh, summary_en=program.summary_en or program.summary_zh,
        standard_areas_zh=tuple(a.title_zh for a in areas),
        standard_areas_en=tuple(a.title_en or a.title_zh for a in areas),
        pass_mark=policy.pass_mark if policy else None, total_score=policy.total_score if policy else None,
    )


def program_list_open() -> list[ProgramData]:
    return [_program_data(p) for p in selectors.program_list(status=Program.Status.OPEN)]


def eligibility_check(program_code: str, *, held_certificates: set[str] | frozenset[str],
                      work_years: float | int | None) -> rules.Eligibility:
    """Whether someone holding these certificates, with this much AIGC work, may register for the program."""
    prerequisites = selectors.prerequisite_options(program_code)
    if prerequisites is None:
        raise NotFound()
    options = [
        rules.PrerequisiteOption(
            kind=p.kind,
            program_code=p.required_program.code if p.required_program else None,
            min_years=p.min_work_years,
        )
        for p in prerequisites
    ]
    return rules.eligibility_check(options, held_certificates=frozenset(held_certificates), work_years=work_years)


def sitting_labels(program_code: str) -> dict[str, tuple[str, str]]:
    """{sitting code: (Chinese label, English label)} of the program's exam policy, for sessions to copy."""
    return {s.code: (s.label_zh, s.label_en) for s in selectors.sittings(program_code)}


def program_pk(code: str) -> int:
    """The database key of a program, for apps whose rows point at one (items, enrolments, …)."""
    pk = selectors.program_pk(code)
    if pk is None:
        raise NotFound()
    return pk


def program_name(code: str) -> str:
    """The program's name in the active language, in one small query (pages that need nothing else of it)."""
    row = Program.objects.filter(code=code).values_list("name_zh", "name_en").first()
    if row is None:
        raise NotFound()
    name_zh, name_en = row
    return name_en if name_en and (get_language() or "").startswith("en") else name_zh


def program_choices() -> list[tuple[str, str]]:
    """(code, name) of every program that isn't closed, for staff pickers and filters."""
    return [(p.code, p.name) for p in selectors.program_list() if p.status != Program.Status.CLOSED]


def standard_items(program_code: str) -> list[StandardItemData]:
    """A program's evaluation-standard items in order; empty when the program has none or doesn't exist."""
    return [
        StandardItemData(pk=s.pk, code=s.code, text=s.text, area_code=s.area.code, area_title=s.area.title)
        for s in selectors.standard_items(program_code)
    ]


def _lesson_url(program_code: str, lesson_code: str) -> str:
    """Where a lesson is shown: its page in the course (the learning app's URL, named, not imported)."""
    return reverse("learning:lesson", args=[program_code, lesson_code])


def _lesson_data(program_code: str, lesson: Lesson) -> LessonData:
    return LessonData(
        code=lesson.code,
        chapter_code=lesson.chapter.code,
        title=lesson.title,
        area_codes=tuple(lesson.area_codes),
        url=_lesson_url(program_code, lesson.code),
        chapter_title=lesson.chapter.title,
        chapter_part=lesson.chapter.part,
    )


def _program_lessons(program_code: str) -> list[Lesson]:
    """The program's lessons in syllabus order; NotFound when there is no such program.

    One query, plus a second only when the program has no lessons (to tell "no syllabus" from "no program").
    """
    lessons = selectors.lessons(program_code)
    if not lessons and selectors.program_pk(program_code) is None:
        raise NotFound()
    return lessons


def lessons_of(program_code: str) -> list[LessonData]:
    """Every lesson of a program in syllabus order (chapter order, then lesson order); titles in the active language.

    An empty list when the program has no syllabus yet; raises NotFound when there is no such program.
    """
    return [_lesson_data(program_code, lesson) for lesson in _program_lessons(program_code)]


def lessons_for_areas(program_code: str, area_codes: Iterable[str]) -> dict[str, list[LessonData]]:
    """For each requested standard-area code, the program's lessons mapped to it, in syllabus order.

    For a gap report: "your weakest area is A2; study lessons L07, L08…". The result has one key per distinct
    requested code, in the order asked; an area with no lessons mapped to it (including a code the program's
    standard doesn't define, or any code of a program without a syllabus) gets an empty list. Raises NotFound
    when there is no such program: an unknown program is the caller's mistake, not a gap with nothing to study.
    Titles are in the active language. At most two queries, whatever the number of areas; the mapping comes from
    the `areas` of each lesson in the catalog data file (the platform's reading, not the seeds').
    """
    if isinstance(area_codes, str):
        raise TypeError("area_codes must be an iterable of codes, not one string")
    wanted = list(dict.fromkeys(area_codes))
    lessons = _program_lessons(program_code)
    found: dict[str, list[LessonData]] = {code: [] for code in wanted}
    for lesson in lessons:
        mapped = [code for code in lesson.area_codes if code in found]
        if mapped:
            data = _lesson_data(program_code, lesson)
            for code in mapped:
                found[code].append(data)
    return found
