from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from aigcert.catalog.models import Chapter, Direction, Program, Series, StandardArea


def program_list(*, series: str | None = None, direction: str | None = None) -> QuerySet[Program]:
    programs = Program.objects.select_related("series", "direction", "fees", "exam_policy")
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
        Program.objects.select_related("series", "direction", "fees", "exam_policy")
        .prefetch_related(
            "exam_policy__sittings",
            "prerequisites__required_program",
            Prefetch("standard_areas", queryset=StandardArea.objects.prefetch_related("items")),
            Prefetch("chapters", queryset=Chapter.objects.prefetch_related("lessons")),
        )
        .filter(code=code)
        .first()
    )
