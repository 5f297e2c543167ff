"""`aigcert load_catalog`: idempotent, atomic, and precise about what is wrong with a bad file."""

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from aigcert.catalog import api, services
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
from aigcert.conftest import SHIPPED_CATALOG
from aigcert.core.api import audit_events

MODELS = [Series, Direction, Program, FeeSchedule, ExamPolicy, Sitting, Prerequisite, StandardArea, StandardItem,
          Chapter, Lesson]


def snapshot() -> dict:
    """Every catalog row and the audit trail, so "unchanged" can be asserted exactly."""
    rows = {model.__name__: sorted(map(repr, model.objects.values())) for model in MODELS}
    rows["audit"] = [(e.action, e.target_id, e.data) for e in audit_events()]
    return rows


def shipped() -> dict:
    return yaml.safe_load(SHIPPED_CATALOG.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict, name: str = "catalog.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load(path) -> str:
    out = io.StringIO()
    call_command("load_catalog", str(path), stdout=out)
    return out.getvalue()


def program_of(data: dict, code: str) -> dict:
    return next(p for p in data["programs"] if p["code"] == code)


@pytest.mark.django_db
def test_shipped_catalog_holds_every_seed_program():
    load(SHIPPED_CATALOG)
    assert set(Program.objects.values_list("code", flat=True)) == {
        "aigc-general", "aigc-professional", "aigc-mentor", "aigc-expert", "aigc-design-pro", "aigc-anime-pro",
        "aigc-engineer-junior", "aigc-engineer-intermediate", "aigc-engineer-senior", "aigc-prompt-engineer",
    }
    assert Program.objects.get(code="aigc-expert").status == "announced"
    assert not FeeSchedule.objects.filter(program__code="aigc-expert").exists()
    lessons = {code: Lesson.objects.filter(program__code=code).count()
               for code in ("aigc-general", "aigc-professional", "aigc-mentor", "aigc-design-pro", "aigc-anime-pro")}
    assert lessons == {"aigc-general": 35, "aigc-professional": 60, "aigc-mentor": 65, "aigc-design-pro": 29,
                       "aigc-anime-pro": 29}
    # Seed 002 gives no fees for the application-engineer levels: they are defaults, marked as such.
    assert set(FeeSchedule.objects.filter(assumed=True).values_list("program__code", flat=True)) == {
        "aigc-engineer-junior", "aigc-engineer-intermediate", "aigc-engineer-senior"}
    for fees in FeeSchedule.objects.all():
        assert fees.deposit_fen + fees.balance_fen == fees.total_fen


@pytest.mark.django_db
def test_seed_fee_schedule_in_fen():
    load(SHIPPED_CATALOG)
    rows = {f.program.code: (f.total_fen, f.deposit_fen, f.balance_fen, f.retake_fee_fen, f.free_retakes)
            for f in FeeSchedule.objects.select_related("program")}
    assert rows["aigc-general"] == (79800, 49800, 30000, 19900, 1)
    assert rows["aigc-professional"] == (468000, 399900, 68100, 19900, 1)
    assert rows["aigc-mentor"] == (798000, 698000, 100000, 19900, 1)
    policies = {p.program.code: (p.duration_minutes, p.total_score, p.pass_mark, p.results_delay_days)
                for p in ExamPolicy.objects.select_related("program")}
    assert policies["aigc-general"] == (60, 100, 60, 10)
    assert policies["aigc-professional"] == (90, 100, 60, 10)
    assert policies["aigc-mentor"] == (90, 100, 60, 10)
    assert set(ExamPolicy.objects.get(program__code="aigc-general").item_types) == {
        "single_choice", "multiple_choice", "true_false"}


@pytest.mark.django_db
def test_intermediate_and_senior_prerequisites_are_stored_as_rules():
    load(SHIPPED_CATALOG)
    stored = {
        code: [(p.kind, p.required_program.code if p.required_program else None, p.min_work_years)
               for p in Prerequisite.objects.filter(program__code=code).order_by("order")]
        for code in ("aigc-engineer-junior", "aigc-engineer-intermediate", "aigc-engineer-senior")
    }
    assert stored == {
        "aigc-engineer-junior": [],
        "aigc-engineer-intermediate": [("certificate", "aigc-engineer-junior", None), ("work_years", None, 1)],
        "aigc-engineer-senior": [("certificate", "aigc-engineer-intermediate", None), ("work_years", None, 3)],
    }
    check = api.eligibility_check
    assert check("aigc-engineer-intermediate", held_certificates={"aigc-engineer-junior"}, work_years=0).eligible
    assert check("aigc-engineer-intermediate", held_certificates=set(), work_years=1).eligible
    assert not check("aigc-engineer-intermediate", held_certificates=set(), work_years=0.5).eligible
    # A junior certificate does not stand in for the intermediate one.
    assert not check("aigc-engineer-senior", held_certificates={"aigc-engineer-junior"}, work_years=2).eligible
    assert check("aigc-engineer-senior", held_certificates={"aigc-engineer-intermediate"}, work_years=0).eligible
    assert check("aigc-engineer-senior", held_certificates=set(), work_years=3).eligible
    assert check("aigc-engineer-junior", held_certificates=set(), work_years=None).eligible


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    load(SHIPPED_CATALOG)
    # The lesson→area mapping is part of what must come back unchanged.
    assert sum(1 for codes in Lesson.objects.values_list("area_codes", flat=True) if codes) == 218
    before = snapshot()
    audit_count = len(audit_events(action="catalog.load"))
    output = load(SHIPPED_CATALOG)
    assert snapshot() == before
    assert "created: none" in output and "updated: none" in output and "deleted: none" in output
    assert len(audit_events(action="catalog.load")) == audit_count


@pytest.mark.django_db
def test_reloading_an_edited_file_updates_in_place(tmp_path):
    load(SHIPPED_CATALOG)
    ids = dict(Program.objects.values_list("code", "pk"))
    lesson_pk = Lesson.objects.get(program__code="aigc-general", code="L01").pk
    data = shipped()
    general = program_of(data, "aigc-general")
    general["fees"].update(total_fen=89800, deposit_fen=59800)
    general["syllabus"]["chapters"][0]["lessons"][0]["title"] = {"zh": "AIGC行业概述（修订）"}
    removed = general["syllabus"]["chapters"][0]["lessons"].pop()["code"]
    # A remapped lesson (L07 → A2, A3), written in the "wrong" order: stored in the standard's order.
    general["syllabus"]["chapters"][2]["lessons"][0]["areas"] = ["A3", "A2"]
    l07_pk = Lesson.objects.get(program__code="aigc-general", code="L07").pk
    # A lesson whose mapping is dropped from the file loses it.
    del general["syllabus"]["chapters"][1]["lessons"][0]["areas"]
    report = services.catalog_load(path=write(tmp_path, data))
    assert report.updated["feeschedule"] == 1 and report.updated["lesson"] >= 1
    assert report.deleted["lesson"] == 1
    assert dict(Program.objects.values_list("code", "pk")) == ids
    fees = FeeSchedule.objects.get(program__code="aigc-general")
    assert (fees.total_fen, fees.deposit_fen, fees.balance_fen) == (89800, 59800, 30000)
    lesson = Lesson.objects.get(pk=lesson_pk)
    assert lesson.title_zh == "AIGC行业概述（修订）"
    assert not Lesson.objects.filter(program__code="aigc-general", code=removed).exists()
    assert Lesson.objects.get(pk=l07_pk).area_codes == ["A2", "A3"]
    assert Lesson.objects.get(program__code="aigc-general", code="L04").area_codes == []
    assert Program.objects.count() == 10


@pytest.mark.django_db
def test_reordering_a_lessons_areas_in_the_file_changes_nothing(tmp_path):
    """The mapping is stored in the standard's order, so [A2, A1] and [A1, A2] are the same value."""
    load(SHIPPED_CATALOG)
    assert Lesson.objects.get(program__code="aigc-general", code="L02").area_codes == ["A1", "A2"]
    before = snapshot()
    data = shipped()
    program_of(data, "aigc-general")["syllabus"]["chapters"][0]["lessons"][1]["areas"] = ["A2", "A1"]
    report = services.catalog_load(path=write(tmp_path, data))
    assert not report.changed
    assert snapshot() == before


def bad_files():
    """(description, mutate(data), program, field, message fragment)"""

    def set_in(code, path, value):
        def mutate(data):
            node = program_of(data, code)
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        return mutate

    def delete_in(code, path):
        def mutate(data):
            node = program_of(data, code)
            for key in path[:-1]:
                node = node[key]
            del node[path[-1]]
        return mutate

    def lesson_areas(code, chapter, lesson, areas):
        def mutate(data):
            program_of(data, code)["syllabus"]["chapters"][chapter]["lessons"][lesson]["areas"] = areas
        return mutate

    def duplicate_lesson(data):
        chapters = program_of(data, "aigc-mentor")["syllabus"]["chapters"]
        chapters[1]["lessons"][0]["code"] = chapters[0]["lessons"][0]["code"]

    return [
        ("deposit not an integer", set_in("aigc-professional", ["fees", "deposit_fen"], "lots"),
         "aigc-professional", "fees.deposit_fen", "valid integer"),
        ("fees don't add up", set_in("aigc-general", ["fees", "balance_fen"], 30100),
         "aigc-general", "fees", "must equal total_fen"),
        ("negative retake fee", set_in("aigc-mentor", ["fees", "retake_fee_fen"], -1),
         "aigc-mentor", "fees.retake_fee_fen", "greater than or equal to 0"),
        ("pass mark above total", set_in("aigc-general", ["exam", "pass_mark"], 120),
         "aigc-general", "exam", "must not exceed total_score"),
        ("unknown item type", set_in("aigc-general", ["exam", "item_types"], ["single_choice", "oral"]),
         "aigc-general", "exam.item_types[1]", "Input should be"),
        ("missing name", delete_in("aigc-anime-pro", ["name"]), "aigc-anime-pro", "name", "Field required"),
        ("unknown series", set_in("aigc-general", ["series"], "nope"), "aigc-general", "series",
         "unknown series 'nope'"),
        ("prerequisite on unknown program", set_in("aigc-engineer-senior", ["prerequisites"],
                                                   [{"kind": "certificate", "program": "ghost"}]),
         "aigc-engineer-senior", "prerequisites[0].program", "unknown program 'ghost'"),
        ("bad work years", set_in("aigc-engineer-senior", ["prerequisites"], [{"kind": "work_years", "min_years": 0}]),
         "aigc-engineer-senior", "prerequisites[0].min_years", "greater than or equal to 1"),
        ("duplicate lesson code", duplicate_lesson, "aigc-mentor", "syllabus.chapters.lessons.code",
         "used more than once"),
        ("unknown area code on a lesson", lesson_areas("aigc-general", 2, 0, ["A2", "A9"]), "aigc-general",
         "syllabus.chapters[C03].lessons[L07].areas", "unknown area 'A9'; this program's standard defines: A1, A2, A3"),
        ("area code in the wrong case", lesson_areas("aigc-anime-pro", 1, 0, ["a2"]), "aigc-anime-pro",
         "syllabus.chapters[C02].lessons[L20].areas", "unknown area 'a2'"),
        ("area listed twice on a lesson", lesson_areas("aigc-mentor", 0, 0, ["A3", "A3"]), "aigc-mentor",
         "syllabus.chapters[C00].lessons[L01].areas", "area 'A3' is listed more than once"),
        ("areas not a list", lesson_areas("aigc-general", 0, 0, "A2"), "aigc-general",
         "syllabus.chapters[0].lessons[0].areas", "valid list"),
        ("unexpected field", set_in("aigc-general", ["fee"], 1), "aigc-general", "fee", "Extra inputs"),
        ("open program without fees", set_in("aigc-general", ["fees"], None), "aigc-general", None,
         "an open program needs fees"),
        ("name longer than its column", set_in("aigc-general", ["name"], {"zh": "长" * 121}), "aigc-general",
         "name", "longer than 120 characters"),
        ("amount beyond the column", set_in("aigc-general", ["fees", "total_fen"], 3_000_000_000),
         "aigc-general", "fees.total_fen", "less than or equal to 2000000000"),
        ("unquoted sitting time", set_in("aigc-general", ["exam", "sittings"],
                                         [{"code": "pm", "label": "下午场", "start": 840}]),
         "aigc-general", "exam.sittings[0].start", "valid string"),
        ("impossible sitting time", set_in("aigc-general", ["exam", "sittings"],
                                           [{"code": "pm", "label": "下午场", "start": "25:00"}]),
         "aigc-general", "exam.sittings[0].start", "should match pattern"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("mutate", "program", "field", "message"),
                         [case[1:] for case in bad_files()], ids=[case[0] for case in bad_files()])
def test_malformed_file_names_file_program_and_field_and_changes_nothing(tmp_path, mutate, program, field,
                                                                         message):
    load(SHIPPED_CATALOG)
    before = snapshot()
    data = shipped()
    mutate(data)
    path = write(tmp_path, data, name="broken.yaml")
    with pytest.raises(CommandError) as caught:
        load(path)
    error = str(caught.value)
    assert str(path) in error
    assert f"program {program}" in error
    if field:
        assert f"field {field}:" in error
    assert message in error
    assert "database is unchanged" in error
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    ("version: 1\nprograms: [\n", "not valid YAML (line"),
    ("- just\n- a list\n", "mapping at the top level"),
    ("version: 2\nseries: []\nprograms: []\n", "version"),
])
def test_unparseable_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        load(path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert Program.objects.count() == 0


@pytest.mark.django_db
def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        load(tmp_path / "missing.yaml")


@pytest.mark.django_db(transaction=True)
def test_a_failure_halfway_through_rolls_everything_back(tmp_path, monkeypatch):
    load(SHIPPED_CATALOG)
    before = snapshot()
    data = shipped()
    program_of(data, "aigc-general")["fees"].update(total_fen=1, deposit_fen=1, balance_fen=0)
    data["programs"].append({**program_of(data, "aigc-prompt-engineer"), "code": "brand-new"})

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    # Programs, fees and lessons are written before prerequisites; fail there.
    monkeypatch.setattr(services, "_prerequisites_replace", explode)
    with pytest.raises(RuntimeError):
        services.catalog_load(path=write(tmp_path, data))
    assert snapshot() == before
    assert not Program.objects.filter(code="brand-new").exists()


def test_command_exits_non_zero_on_a_bad_file(tmp_path):
    """The console command, as an exam office runs it: exit status, and the message on stderr."""
    import os
    import subprocess
    import sys

    data = shipped()
    program_of(data, "aigc-mentor")["fees"]["deposit_fen"] = "lots"
    bad = write(tmp_path, data, name="bad.yaml")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["AIGCERT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run([sys.executable, "-m", "aigcert", "load_catalog", str(bad)], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 1
    assert f"{bad}: program aigc-mentor: field fees.deposit_fen:" in result.stderr
    assert "database is unchanged" in result.stderr


@pytest.mark.django_db
def test_a_program_dropped_from_the_file_is_closed_not_deleted(tmp_path):
    load(SHIPPED_CATALOG)
    data = shipped()
    data["programs"] = [p for p in data["programs"] if p["code"] != "aigc-prompt-engineer"]
    report = services.catalog_load(path=write(tmp_path, data))
    assert report.programs_closed == ["aigc-prompt-engineer"]
    assert Program.objects.get(code="aigc-prompt-engineer").status == "closed"
    [event] = audit_events(action="catalog.load")[:1]
    assert event.data["closed"] == ["aigc-prompt-engineer"]
