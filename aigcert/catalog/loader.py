"""Read and check the catalog data file. Parsing only: writing happens in services.catalog_load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from aigcert.catalog.schema import CatalogFile, CertificatePrerequisite, duplicate_codes


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    program: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.program:
            where.append(f"program {self.program}")
        if self.field:
            where.append(f"field {self.field}")
        return ": ".join(where) + f": {self.message}"


class CatalogInvalid(Exception):
    def __init__(self, problems: list[CatalogProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def _field_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problem_from_error(name: str, raw: dict, error: dict) -> CatalogProblem:
    loc = list(error["loc"])
    program = None
    if len(loc) >= 2 and loc[0] in {"programs", "series", "directions"} and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        entries = raw.get(section) or []
        entry = entries[index] if index < len(entries) and isinstance(entries[index], dict) else {}
        label = entry.get("code") or f"#{index + 1}"
        if section == "programs":
            program, loc = str(label), loc[2:]
        else:
            loc = [f"{section}[{label}]", *loc[2:]]
    # A discriminated union adds its tag after the list index (prerequisites[1].work_years.min_years);
    # the tag says nothing the reader needs.
    loc = [
        part for i, part in enumerate(loc)
        if not (i >= 2 and loc[i - 2] == "prerequisites" and isinstance(loc[i - 1], int))
    ]
    return CatalogProblem(file=name, program=program, field=_field_path(loc) or None, message=error["msg"])


def catalog_parse(path: Path) -> CatalogFile:
    """Parse and validate the whole file; raise CatalogInvalid listing every problem found."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogInvalid([CatalogProblem(name, None, None, f"cannot read the file: {exc}")]) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogInvalid([CatalogProblem(name, None, None, f"not valid YAML{where}: {problem}")]) from exc
    if not isinstance(raw, dict):
        raise CatalogInvalid([CatalogProblem(name, None, None, "the file must hold a mapping at the top level")])
    try:
        catalog = CatalogFile.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem_from_error(name, raw, error) for error in exc.errors(include_url=False)]
        raise CatalogInvalid(problems) from exc
    problems = _cross_check(name, catalog)
    if problems:
        raise CatalogInvalid(problems)
    return catalog


def _cross_check(name: str, catalog: CatalogFile) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []

    def add(program, field, message):
        problems.append(CatalogProblem(name, program, field, message))

    for section, codes in (
        ("series", [s.code for s in catalog.series]),
        ("directions", [d.code for d in catalog.directions]),
        ("programs", [p.code for p in catalog.programs]),
    ):
        for code in duplicate_codes(codes):
            add(code if section == "programs" else None, f"{section}.code" if section != "programs" else "code",
                f"code {code!r} is used more than once")

    series = {s.code for s in catalog.series}
    directions = {d.code for d in catalog.directions}
    programs = {p.code for p in catalog.programs}
    for program in catalog.programs:
        if program.series not in series:
            add(program.code, "series", f"unknown series {program.series!r}")
        if program.direction is not None and program.direction not in directions:
            add(program.code, "direction", f"unknown direction {program.direction!r}")
        for index, option in enumerate(program.prerequisites):
            if isinstance(option, CertificatePrerequisite):
                if option.program not in programs:
                    add(program.code, f"prerequisites[{index}].program", f"unknown program {option.program!r}")
                elif option.program == program.code:
                    add(program.code, f"prerequisites[{index}].program", "a program cannot require itself")
        checks = (
            ("standard.code", [a.code for a in program.standard]),
            ("standard.items.code", [i.code for a in program.standard for i in a.items]),
            ("syllabus.chapters.code", [c.code for c in (program.syllabus.chapters if program.syllabus else [])]),
            ("syllabus.chapters.lessons.code",
             [lesson.code for c in (program.syllabus.chapters if program.syllabus else []) for lesson in c.lessons]),
        )
        for field, codes in checks:
            for code in duplicate_codes(codes):
                add(program.code, field, f"code {code!r} is used more than once in this program")
        _check_lesson_areas(program, add)
    return problems


def _check_lesson_areas(program, add) -> None:
    """A lesson's `areas` name areas of the same program's `standard`, each at most once."""
    known = [area.code for area in program.standard]
    chapters = program.syllabus.chapters if program.syllabus else []
    for chapter in chapters:
        for lesson in chapter.lessons:
            field = f"syllabus.chapters[{chapter.code}].lessons[{lesson.code}].areas"
            for code in lesson.areas:
                if code not in known:
                    defined = ", ".join(known) if known else "none"
                    add(program.code, field,
                        f"unknown area {code!r}; this program's standard defines: {defined}")
            for code in duplicate_codes(list(lesson.areas)):
                add(program.code, field, f"area {code!r} is listed more than once")
