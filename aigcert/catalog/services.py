"""Writes to the catalog. The only writer is the data-file load; staff edit the file, not the rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import DatabaseError, models, transaction
from django.db.models.deletion import ProtectedError

from aigcert.catalog.loader import CatalogInvalid, CatalogProblem, catalog_parse
from aigcert.catalog.models import (
    Chapter,
    Direction,
    ExamPolicy,
    FeeSchedule,
    Lesson,
    Prerequisite,
    Program,
    Series,
    Sitting,
    StandardArea,
    StandardItem,
)
from aigcert.catalog.schema import CertificatePrerequisite, LocalText, ProgramSpec
from aigcert.core.api import audit_record


@dataclass
class CatalogLoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    programs_closed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        def fmt(counter: Counter) -> str:
            return ", ".join(f"{kind} {count}" for kind, count in sorted(counter.items())) or "none"

        lines = [
            f"created: {fmt(self.created)}",
            f"updated: {fmt(self.updated)}",
            f"deleted: {fmt(self.deleted)}",
            f"unchanged: {sum(self.unchanged.values())} rows",
        ]
        if self.programs_closed:
            lines.append("closed because they are no longer in the file: " + ", ".join(self.programs_closed))
        return "\n".join(lines)


def _zh(text: LocalText | None) -> str:
    return text.zh if text else ""


def _en(text: LocalText | None) -> str:
    return text.en if text else ""


def _upsert(report: CatalogLoadReport, model: type[models.Model], lookup: dict, values: dict) -> models.Model:
    kind = model._meta.model_name
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created[kind] += 1
        return obj
    dirty = [name for name, value in values.items() if getattr(obj, name) != value]
    if dirty:
        for name in dirty:
            setattr(obj, name, values[name])
        obj.save()
        report.updated[kind] += 1
    else:
        report.unchanged[kind] += 1
    return obj


def _count_deleted(report: CatalogLoadReport, kind: str, count: int) -> None:
    if count:
        report.deleted[kind] += count


def _delete_missing(report: CatalogLoadReport, queryset, keep_codes: set[str], program_code: str,
                    path: Path) -> None:
    stale = queryset.exclude(code__in=keep_codes)
    kind = queryset.model._meta.model_name
    for obj in stale:
        try:
            obj.delete()
        except ProtectedError as exc:
            raise CatalogInvalid([CatalogProblem(
                str(path), program_code, kind,
                f"{kind} {obj.code} was removed from the file but is still used elsewhere; retire its users first",
            )]) from exc
        report.deleted[kind] += 1


def catalog_load(*, path: Path, actor=None) -> CatalogLoadReport:
    """Load the catalog file: all of it or nothing. Running it again with the same file changes nothing."""
    catalog = catalog_parse(path)
    try:
        return _catalog_write(catalog, path, actor)
    except DatabaseError as exc:
        # The schema mirrors the columns' limits; this is the backstop, still all-or-nothing.
        raise CatalogInvalid([CatalogProblem(str(path), None, None, f"the database refused the data: {exc}")]) from exc


def _catalog_write(catalog, path: Path, actor) -> CatalogLoadReport:
    report = CatalogLoadReport()
    with transaction.atomic():
        series = {
            spec.code: _upsert(report, Series, {"code": spec.code}, {
                "name_zh": spec.name.zh, "name_en": spec.name.en,
                "certificate_title_zh": _zh(spec.certificate_title),
                "certificate_title_en": _en(spec.certificate_title),
                "issuer_zh": _zh(spec.issuer), "issuer_en": _en(spec.issuer), "order": spec.order,
            })
            for spec in catalog.series
        }
        directions = {
            spec.code: _upsert(report, Direction, {"code": spec.code}, {
                "name_zh": spec.name.zh, "name_en": spec.name.en, "order": spec.order,
            })
            for spec in catalog.directions
        }
        programs = {
            spec.code: _program_upsert(report, spec, series[spec.series],
                                       directions.get(spec.direction) if spec.direction else None, path)
            for spec in catalog.programs
        }
        # Prerequisites point at other programs, so they go in once every program exists.
        for spec in catalog.programs:
            _prerequisites_replace(report, programs[spec.code], spec, programs)
        # A program dropped from the file may still have candidates: close it rather than delete it.
        dropped = Program.objects.exclude(code__in=programs.keys()).exclude(status=Program.Status.CLOSED)
        report.programs_closed = sorted(dropped.values_list("code", flat=True))
        if report.programs_closed:
            report.updated["program"] += dropped.update(status=Program.Status.CLOSED)
        if report.changed:
            audit_record(actor=actor, action="catalog.load", target_type="catalog", target_id=str(path.name),
                         data={"created": dict(report.created), "updated": dict(report.updated),
                               "deleted": dict(report.deleted), "closed": report.programs_closed})
    return report


def _program_upsert(report: CatalogLoadReport, spec: ProgramSpec, series: Series,
                    direction: Direction | None, path: Path) -> Program:
    program = _upsert(report, Program, {"code": spec.code}, {
        "series": series,
        "direction": direction,
        "level_zh": spec.level.zh, "level_en": spec.level.en,
        "level_rank": spec.level_rank,
        "status": spec.status,
        "order": spec.order,
        "name_zh": spec.name.zh, "name_en": spec.name.en,
        "summary_zh": _zh(spec.summary), "summary_en": _en(spec.summary),
        "audience_zh": _zh(spec.audience), "audience_en": _en(spec.audience),
        "source": spec.source,
        "study_weeks_min": spec.study_time.min_weeks if spec.study_time else None,
        "study_weeks_max": spec.study_time.max_weeks if spec.study_time else None,
        "study_time_assumed": bool(spec.study_time and spec.study_time.assumed),
        "booking_horizon_months": spec.booking_horizon_months,
        "human_tutoring": spec.human_tutoring,
        "syllabus_edition_zh": _zh(spec.syllabus.edition) if spec.syllabus else "",
        "syllabus_edition_en": _en(spec.syllabus.edition) if spec.syllabus else "",
        "certificate_window_min_days": spec.certificate.issue_window_days.min,
        "certificate_window_max_days": spec.certificate.issue_window_days.max,
        "certificate_window_assumed": spec.certificate.assumed,
    })

    if spec.fees is None:
        _count_deleted(report, "feeschedule", FeeSchedule.objects.filter(program=program).delete()[0])
    else:
        fees = spec.fees
        _upsert(report, FeeSchedule, {"program": program}, {
            "total_fen": fees.total_fen, "deposit_fen": fees.deposit_fen, "balance_fen": fees.balance_fen,
            "retake_fee_fen": fees.retake_fee_fen, "free_retakes": fees.free_retakes, "assumed": fees.assumed,
            "note_zh": _zh(fees.note), "note_en": _en(fees.note),
        })

    if spec.exam is None:
        _count_deleted(report, "exampolicy", ExamPolicy.objects.filter(program=program).delete()[0])
    else:
        exam = spec.exam
        policy = _upsert(report, ExamPolicy, {"program": program}, {
            "duration_minutes": exam.duration_minutes, "total_score": exam.total_score,
            "pass_mark": exam.pass_mark, "item_types": list(exam.item_types), "frequency": exam.frequency,
            "results_delay_days": exam.results_delay_days, "assumed_fields": list(exam.assumed),
            "seats_per_sitting": exam.seats_per_sitting,
            "booking_closes_days_before": exam.booking_closes_days_before,
            "ticket_days_before": exam.ticket_days_before,
        })
        for order, sitting in enumerate(exam.sittings):
            _upsert(report, Sitting, {"policy": policy, "code": sitting.code}, {
                "label_zh": sitting.label.zh, "label_en": sitting.label.en,
                "start_time": datetime.strptime(sitting.start, "%H:%M").time(),
                "order": order,
            })
        _delete_missing(report, Sitting.objects.filter(policy=policy), {s.code for s in exam.sittings},
                        spec.code, path)

    for order, area_spec in enumerate(spec.standard):
        area = _upsert(report, StandardArea, {"program": program, "code": area_spec.code}, {
            "title_zh": area_spec.title.zh, "title_en": area_spec.title.en, "order": order,
        })
        for item_order, item in enumerate(area_spec.items):
            _upsert(report, StandardItem, {"program": program, "code": item.code}, {
                "area": area, "text_zh": item.text.zh, "text_en": item.text.en, "order": item_order,
            })
    _delete_missing(report, StandardItem.objects.filter(program=program),
                    {i.code for a in spec.standard for i in a.items}, spec.code, path)
    _delete_missing(report, StandardArea.objects.filter(program=program), {a.code for a in spec.standard},
                    spec.code, path)

    chapters = spec.syllabus.chapters if spec.syllabus else []
    area_rank = {area.code: rank for rank, area in enumerate(spec.standard)}
    lesson_order = 0
    for order, chapter_spec in enumerate(chapters):
        chapter = _upsert(report, Chapter, {"program": program, "code": chapter_spec.code}, {
            "part_zh": _zh(chapter_spec.part), "part_en": _en(chapter_spec.part),
            "title_zh": chapter_spec.title.zh, "title_en": chapter_spec.title.en, "order": order,
        })
        for lesson in chapter_spec.lessons:
            lesson_order += 1
            _upsert(report, Lesson, {"program": program, "code": lesson.code}, {
                "chapter": chapter, "title_zh": lesson.title.zh, "title_en": lesson.title.en,
                "description_zh": _zh(lesson.description), "description_en": _en(lesson.description),
                "order": lesson_order,
                # In the standard's order, so listing [A3, A1] or [A1, A3] in the file stores the same value.
                "area_codes": sorted(lesson.areas, key=area_rank.__getitem__),
            })
    _delete_missing(report, Lesson.objects.filter(program=program),
                    {lesson.code for c in chapters for lesson in c.lessons}, spec.code, path)
    _delete_missing(report, Chapter.objects.filter(program=program), {c.code for c in chapters}, spec.code, path)
    return program


def _prerequisites_replace(report: CatalogLoadReport, program: Program, spec: ProgramSpec,
                           programs: dict[str, Program]) -> None:
    wanted = []
    for option in spec.prerequisites:
        if isinstance(option, CertificatePrerequisite):
            wanted.append(("certificate", programs[option.program].pk, None))
        else:
            wanted.append(("work_years", None, option.min_years))
    current = list(program.prerequisites.order_by("order").values_list("kind", "required_program_id",
                                                                        "min_work_years"))
    if current == wanted:
        report.unchanged["prerequisite"] += len(current)
        return
    _count_deleted(report, "prerequisite", program.prerequisites.all().delete()[0])
    for order, (kind, required_program_id, min_years) in enumerate(wanted):
        Prerequisite.objects.create(program=program, kind=kind, required_program_id=required_program_id,
                                    min_work_years=min_years, order=order)
        report.created["prerequisite"] += 1
