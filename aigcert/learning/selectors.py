"""Reads for the course pages: the outline with progress, a lesson with its access, plans, practice, questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import get_language

from aigcert.catalog import api as catalog
from aigcert.learning import rules
from aigcert.learning.access import full_access
from aigcert.learning.models import LessonPage, LessonProgress, LessonQuestion, PathPlan, PracticeSet, TutorAssignment
from aigcert.learning.policy import LearningPath, learning_paths


def english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass
class LessonRow:
    lesson: catalog.LessonData
    preview: bool
    has_page: bool
    opened: bool
    completed: bool
    locked: bool


@dataclass
class ChapterRow:
    code: str
    title: str
    part: str
    lessons: list[LessonRow] = field(default_factory=list)


@dataclass
class Outline:
    program_code: str
    program_name: str
    full_access: bool
    chapters: list[ChapterRow]
    total: int
    completed: int
    percent: int
    continue_at: LessonRow | None
    last_opened: LessonRow | None


def _progress(user, program_code: str) -> dict[str, LessonProgress]:
    if not getattr(user, "is_authenticated", False):
        return {}
    return {p.lesson_code: p for p in LessonProgress.objects.filter(candidate=user, program_code=program_code)}


def outline(user, program_code: str) -> Outline:
    """The course of a program: its syllabus with the candidate's progress. NotFound for an unknown program."""
    lessons = catalog.lessons_of(program_code)
    pages = dict(LessonPage.objects.filter(program_code=program_code).values_list("lesson_code", "preview"))
    progress = _progress(user, program_code)
    unlocked = full_access(user, program_code)
    chapters: list[ChapterRow] = []
    rows: list[LessonRow] = []
    for lesson in lessons:
        if not chapters or chapters[-1].code != lesson.chapter_code:
            chapters.append(ChapterRow(code=lesson.chapter_code, title=lesson.chapter_title, part=lesson.chapter_part))
        mine = progress.get(lesson.code)
        preview = bool(pages.get(lesson.code))
        row = LessonRow(lesson=lesson, preview=preview, has_page=lesson.code in pages, opened=mine is not None,
                        completed=bool(mine and mine.completed_at), locked=not (unlocked or preview))
        chapters[-1].lessons.append(row)
        rows.append(row)
    completed = sum(1 for r in rows if r.completed)
    last = max(progress.values(), key=lambda p: p.last_opened_at, default=None)
    last_row = next((r for r in rows if last and r.lesson.code == last.lesson_code), None)
    # Continue where they left off: the lesson last opened if it isn't finished, else the next one not completed.
    continue_at = None
    if last_row is not None and not last_row.completed:
        continue_at = last_row
    else:
        start = rows.index(last_row) + 1 if last_row is not None else 0
        continue_at = next((r for r in rows[start:] + rows[:start] if not r.completed and not r.locked), None)
    return Outline(program_code=program_code, program_name=catalog.program_name(program_code), full_access=unlocked,
                   chapters=chapters, total=len(rows), completed=completed,
                   percent=rules.completion_percent(completed, len(rows)), continue_at=continue_at,
                   last_opened=last_row)


def lesson_page(program_code: str, lesson_code: str) -> LessonPage | None:
    return LessonPage.objects.filter(program_code=program_code, lesson_code=lesson_code).first()


def lesson_progress(user, program_code: str, lesson_code: str) -> LessonProgress | None:
    return LessonProgress.objects.filter(candidate=user, program_code=program_code, lesson_code=lesson_code).first()


def lesson_questions(user, program_code: str, lesson_code: str) -> list[LessonQuestion]:
    """The candidate's own questions on a lesson (questions are private between a candidate and the tutors)."""
    return list(LessonQuestion.objects.filter(candidate=user, program_code=program_code, lesson_code=lesson_code))


def tutor_programs(user) -> list[str]:
    return list(TutorAssignment.objects.filter(tutor=user).values_list("program_code", flat=True))


def tutor_queue(user) -> list[LessonQuestion]:
    """Every open question of the tutor's programs, oldest first, then the latest answered ones."""
    mine = LessonQuestion.objects.filter(program_code__in=tutor_programs(user)).select_related("candidate")
    return (list(mine.filter(state=LessonQuestion.State.OPEN).order_by("created_at"))
            + list(mine.filter(state=LessonQuestion.State.ANSWERED).order_by("-answered_at")[:50]))


def tutor_question(user, code) -> LessonQuestion | None:
    """A question the tutor is assigned to answer; None for missing and for another program's alike."""
    return LessonQuestion.objects.filter(code=code, program_code__in=tutor_programs(user)).first()


def path_get(code: str) -> LearningPath | None:
    return learning_paths().get(code)


def plan_of(user, path_code: str) -> PathPlan | None:
    return PathPlan.objects.filter(candidate=user, path_code=path_code).first()


def completed_lessons(user) -> set[tuple[str, str]]:
    return set(LessonProgress.objects.filter(candidate=user, completed_at__isnull=False)
               .values_list("program_code", "lesson_code"))


@dataclass
class StepRow:
    code: str
    stage_code: str
    title: str
    due: date
    lesson: catalog.LessonData | None
    done: bool
    ticked: bool


def plan_steps(user, path: LearningPath, plan: PathPlan) -> list[StepRow]:
    schedule = rules.path_schedule(plan.start_date, [
        rules.StageSpec(code=s.code, days=s.days, step_codes=tuple(x.code for x in s.steps)) for s in path.stages])
    due = {step.code: step.due for step in schedule}
    lessons: dict[tuple[str, str], catalog.LessonData] = {}
    for program in {x.lesson[0] for s in path.stages for x in s.steps if x.lesson}:
        lessons.update({(program, data.code): data for data in catalog.lessons_of(program)})
    completed = completed_lessons(user)
    rows = []
    for stage in path.stages:
        for step in stage.steps:
            lesson = lessons.get(step.lesson) if step.lesson else None
            title = lesson.title if lesson else (step.title_en if english() and step.title_en else step.title_zh)
            ticked = step.code in plan.ticked
            rows.append(StepRow(code=step.code, stage_code=stage.code, title=title, due=due[step.code], lesson=lesson,
                                done=ticked or (step.lesson in completed), ticked=ticked))
    return rows


def practice_of(user, code) -> PracticeSet | None:
    return PracticeSet.objects.filter(candidate=user, code=code).first()


def practice_sets_of(user, program_code: str, *, limit: int = 10) -> list[PracticeSet]:
    return list(PracticeSet.objects.filter(candidate=user, program_code=program_code)
                .prefetch_related("answers")[:limit])
