"""What other apps may ask or tell learning: the tutor reads lesson sections and practice items; enrolment says who
has paid; scoring hears about practice answers; the portal shows course progress."""

from __future__ import annotations

from django.urls import reverse

from aigcert.catalog import api as catalog
from aigcert.core.api import NotFound
from aigcert.itembank import api as itembank
from aigcert.learning import content, selectors, services
from aigcert.learning.access import access_checker_register, exam_lock_register, full_access, in_formal_exam
from aigcert.learning.data import PracticeItemData, SectionData
from aigcert.learning.models import LessonPage, PracticeSet

__all__ = [
    "LESSON_CHANGED",
    "PRACTICE_ANSWERED",
    "PracticeItemData",
    "SectionData",
    "access_checker_register",
    "course_summary",
    "demo_lessons_load",
    "demo_tutoring_load",
    "exam_lock_register",
    "full_access",
    "in_formal_exam",
    "lesson_sections",
    "practice_item_of",
    "preview_lessons",
    "tutor_programs",
]

LESSON_CHANGED = services.LESSON_CHANGED
tutor_programs = selectors.tutor_programs
PRACTICE_ANSWERED = services.PRACTICE_ANSWERED
demo_lessons_load = services.demo_lessons_load


def lesson_sections(program_code: str, lesson_code: str | None = None) -> list[SectionData]:
    """The sections of a program's lesson pages (or of one lesson), in syllabus order, each with its anchor URL."""
    try:
        lessons = {x.code: x for x in catalog.lessons_of(program_code)}
    except NotFound:
        return []
    pages = LessonPage.objects.filter(program_code=program_code).only("lesson_code", "body_md")
    if lesson_code is not None:
        pages = pages.filter(lesson_code=lesson_code)
    order = list(lessons)
    found = []
    for page in sorted(pages, key=lambda p: order.index(p.lesson_code) if p.lesson_code in lessons else 1 << 20):
        lesson = lessons.get(page.lesson_code)
        if lesson is None:
            continue
        base = reverse("learning:lesson", args=[program_code, page.lesson_code])
        for section in content.sections(page.body_md):
            found.append(SectionData(program_code=program_code, lesson_code=page.lesson_code,
                                     lesson_title=lesson.title, anchor=section.anchor, heading=section.heading,
                                     text=section.text, url=f"{base}#{section.anchor}" if section.anchor else base))
    return found


def practice_item_of(candidate_id: int, version_id: int) -> PracticeItemData | None:
    """An item this candidate drew in one of their practice sets and kept for practice only, or None. Items usable
    in formal exams too ("any") are left out: the tutor, which asks, never sees the formal pool (ADR 0020)."""
    if version_id not in itembank.practice_allowed([version_id], only=True):
        return None
    # JSON containment differs between SQLite and PostgreSQL; a candidate's recent sets are few, so look in Python.
    for practice in PracticeSet.objects.filter(candidate_id=candidate_id).prefetch_related("answers")[:50]:
        if version_id in practice.version_ids:
            review = itembank.versions_review([version_id]).get(version_id)
            if review is None:
                return None
            answered = any(a.version_id == version_id for a in practice.answers.all())
            return PracticeItemData(version_id=version_id, program_code=practice.program_code,
                                    stem_text=review.stem_text, answered=answered)
    return None


def course_summary(user, program_code: str) -> tuple[int, str | None]:
    """(percent of lessons completed, the address to continue at) for the personal center."""
    outline = selectors.outline(user, program_code)
    row = outline.continue_at
    return outline.percent, (row.lesson.url if row else None)


def demo_tutoring_load(*, tutor) -> int:
    """The demo tutor answers questions of the programs with human tutoring."""
    count = 0
    for program in catalog.program_list_open():
        if program.human_tutoring:
            services.tutor_assign(tutor=tutor, program_code=program.code)
            count += 1
    return count


def preview_lessons(program_code: str) -> set[str]:
    """Codes of the program's free preview lessons."""
    return set(LessonPage.objects.filter(program_code=program_code, preview=True).values_list("lesson_code", flat=True))
