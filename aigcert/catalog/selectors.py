from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from aigcert.catalog.models import (
    Chapter,
    Direction,
    Lesson,
    Prerequisite,
    Program,
    Series,
    Sitting,
    StandardArea,
    StandardItem,
)


def _programs() -> QuerySet[Program]:
    return Program.objects.select_related("series", "direction", "fees", "exam_policy")


def program_list(*, series: str | None = None, direction: str | None = None,
                 status: str | None = None) -> QuerySet[Program]:
    programs = _programs().prefetch_related("exam_policy__sittings")
    if status:
        programs = programs.filter(status=status)
    if series:
        programs = programs.filter(series__code=series)
    if direction:
        programs = programs.filter(direction__code=direction)
    return programs.order_by("series__order", "order", "code")


def series_with_programs() -> QuerySet[Series]:
    return Series.objects.filter(programs__isnull=False).distinct()


def directions_with_programs() -> QuerySet[Direction]:
    return Direction.objects.filter(programs__isnull=False).distinct()


def program_detail(code: str) -> Program | None:
    """Everything the program page shows, in a fixed number of queries."""
    return (
        _programs()
        .prefetch_related(
            "exam_policy__sittings",
            "prerequisites__required_program",
            Prefetch("standard_areas", queryset=StandardArea.objects.prefetch_related("items")),
            Prefetch("chapters", queryset=Chapter.objects.prefetch_related("lessons")),
        )
        .filter(code=code)
        .first()
    )


def program_with_policy(code: str) -> Program | None:
    return _programs().prefetch_related("exam_policy__sittings").filter(code=code).first()


def prerequisite_options(code: str) -> list[Prerequisite] | None:
    """None when the program doesn't exist; an empty list when it has no prerequisites."""
    program = Program.objects.filter(code=code).first()
    if program is None:
        return None
    return list(program.prerequisites.select_related("required_program"))


def program_pk(code: str) -> int | None:
    return Program.objects.filter(code=code).values_list("pk", flat=True).first()


def standard_items(code: str) -> list[StandardItem]:
    return list(StandardItem.objects.filter(program__code=code).select_related("area")
                .order_by("area__order", "order"))


def sittings(program_code: str) -> list[Sitting]:
    return list(Sitting.objects.filter(policy__program__code=program_code))


def lessons(program_code: str) -> list[Lesson]:
    """A program's lessons in syllabus order (chapter order, then lesson order), with their chapters: one query."""
    return list(Lesson.objects.filter(program__code=program_code).select_related("chapter")
                .order_by("chapter__order", "order", "pk"))
