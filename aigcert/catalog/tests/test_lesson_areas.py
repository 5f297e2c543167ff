"""Lessons mapped to evaluation-standard areas, for mock-exam gap reports ("weakest area A2: study L07, L08…")."""

import dataclasses
import re

import pytest
import yaml
from django.urls import reverse
from django.utils import translation

from aigcert.catalog import api
from aigcert.catalog.models import Chapter, Lesson, StandardArea
from aigcert.conftest import SHIPPED_CATALOG
from aigcert.core.api import NotFound

GENERAL_BY_AREA = {
    "A1": ["L02", "L04", "L05", "L06", "L18", "L26", "L35"],
    "A2": ["L01", "L02", "L03", "L07", "L08", "L09", "L10", "L11", "L12", "L35"],
    "A3": ["L13", *(f"L{n}" for n in range(14, 35)), "L35"],
}


def codes(lessons) -> list[str]:
    return [lesson.code for lesson in lessons]


def test_every_general_lesson_maps_to_at_least_one_area_of_its_standard():
    """Checked on the file itself, so a lesson added to 通用级 without `areas` fails here."""
    data = yaml.safe_load(SHIPPED_CATALOG.read_text(encoding="utf-8"))
    general = next(p for p in data["programs"] if p["code"] == "aigc-general")
    standard = {area["code"] for area in general["standard"]}
    lessons = [lesson for chapter in general["syllabus"]["chapters"] for lesson in chapter["lessons"]]
    assert len(lessons) == 35
    unmapped = [lesson["code"] for lesson in lessons if not lesson.get("areas")]
    assert unmapped == []
    for lesson in lessons:
        assert set(lesson["areas"]) <= standard, lesson["code"]


@pytest.mark.django_db
def test_loader_stores_the_mapping(catalog):
    stored = dict(Lesson.objects.filter(program__code="aigc-general").values_list("code", "area_codes"))
    assert stored["L01"] == ["A2"]
    assert stored["L02"] == ["A1", "A2"]
    assert stored["L06"] == ["A1"]
    assert stored["L20"] == ["A3"]
    assert stored["L35"] == ["A1", "A2", "A3"]
    assert all(stored.values())
    # Every stored code names an area of the lesson's own program.
    areas = set(StandardArea.objects.values_list("program__code", "code"))
    for program_code, area_codes in Lesson.objects.values_list("program__code", "area_codes"):
        for code in area_codes:
            assert (program_code, code) in areas


@pytest.mark.django_db
def test_lessons_for_areas_in_syllabus_order(catalog):
    found = api.lessons_for_areas("aigc-general", ["A1", "A2", "A3"])
    assert list(found) == ["A1", "A2", "A3"]
    assert {area: codes(lessons) for area, lessons in found.items()} == GENERAL_BY_AREA
    l07 = found["A2"][3]
    assert l07 == api.LessonData(code="L07", chapter_code="C03", title="AIGC资讯行业应用", area_codes=("A2",),
                                 url="/learn/aigc-general/L07/", chapter_title="AIGC的行业应用",
                                 chapter_part="理论篇")
    with pytest.raises(dataclasses.FrozenInstanceError):
        l07.title = "x"


@pytest.mark.django_db
def test_chapter_order_comes_before_lesson_order(catalog):
    Chapter.objects.filter(program__code="aigc-general", code="C01").update(order=50)
    found = api.lessons_for_areas("aigc-general", ["A1"])
    assert codes(found["A1"]) == ["L04", "L05", "L06", "L18", "L26", "L35", "L02"]


@pytest.mark.django_db
def test_keys_follow_the_request_once_each(catalog):
    found = api.lessons_for_areas("aigc-general", iter(["A3", "A1", "A3"]))
    assert list(found) == ["A3", "A1"]
    assert codes(found["A1"]) == GENERAL_BY_AREA["A1"]


@pytest.mark.django_db
def test_titles_follow_the_active_language(catalog):
    [first, *_] = api.lessons_for_areas("aigc-general", ["A2"])["A2"]
    assert first.title == "AIGC行业概述"
    with translation.override("en"):
        [first, *_] = api.lessons_for_areas("aigc-general", ["A2"])["A2"]
        assert first.title == "Overview of the AIGC industry"
        # No English title: the Chinese original rather than nothing.
        Lesson.objects.filter(program__code="aigc-general", code="L01").update(title_en="")
        assert api.lessons_of("aigc-general")[0].title == "AIGC行业概述"


@pytest.mark.django_db
def test_areas_without_lessons_get_an_empty_list(catalog):
    # A code the standard doesn't define, a program without a syllabus, and an area no lesson is mapped to.
    assert api.lessons_for_areas("aigc-general", ["A9"]) == {"A9": []}
    assert api.lessons_for_areas("aigc-expert", ["A1", "A2"]) == {"A1": [], "A2": []}
    Lesson.objects.filter(program__code="aigc-general").update(area_codes=["A2"])
    assert api.lessons_for_areas("aigc-general", ["A1"]) == {"A1": []}
    assert api.lessons_for_areas("aigc-general", []) == {}


@pytest.mark.django_db
def test_unknown_program_is_not_found(catalog):
    with pytest.raises(NotFound):
        api.lessons_for_areas("no-such-program", ["A1"])
    with pytest.raises(NotFound):
        api.lessons_of("no-such-program")


@pytest.mark.django_db
def test_one_string_is_refused_rather_than_read_as_letters(catalog):
    with pytest.raises(TypeError):
        api.lessons_for_areas("aigc-general", "A1")


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_areas(catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        found = api.lessons_for_areas("aigc-mentor", ["A1", "A2", "A3", "A4", "A5", "A6"])
    assert len(found["A2"]) > 40
    with django_assert_max_num_queries(1):
        api.lessons_of("aigc-professional")
    # A program without lessons costs one more query, to tell it from a program that doesn't exist.
    with django_assert_max_num_queries(2):
        api.lessons_for_areas("aigc-expert", ["A1", "A2", "A3"])


@pytest.mark.django_db
def test_lessons_of_lists_the_whole_syllabus(catalog):
    lessons = api.lessons_of("aigc-general")
    assert codes(lessons) == [f"L{n:02d}" for n in range(1, 36)]
    assert [lesson.chapter_code for lesson in lessons[:4]] == ["C01", "C01", "C01", "C02"]
    assert lessons[-1].area_codes == ("A1", "A2", "A3")
    assert api.lessons_of("aigc-engineer-junior") == []


def test_lesson_links_lead_to_the_lesson_pages_and_the_program_page_links_them(client, catalog):
    lesson = api.lessons_of("aigc-general")[6]
    assert lesson.url == reverse("learning:lesson", args=["aigc-general", "L07"]) == "/learn/aigc-general/L07/"
    html = client.get(reverse("catalog:program_detail", args=["aigc-general"])).content.decode()
    assert re.search(rf'<li id="lesson-L07" value="\d+"><a href="{lesson.url}">', html)
    assert html.count('id="lesson-') == 35
