"""Practice: drawn from items kept for mocks and practice (never formal-only), answered with feedback at once; a
miss lands in the wrong-answer notebook."""

import pytest
from django.apps import apps

from aigcert.accounts.api import Role
from aigcert.itembank import api as itembank
from aigcert.learning.models import PracticeAnswer, PracticeSet
from aigcert.learning.tests.conftest import GENERAL, enrol

pytestmark = pytest.mark.django_db


def usage_of(version_ids) -> dict[int, str]:
    Version = apps.get_model("itembank", "ItemVersion")
    return dict(Version.objects.filter(pk__in=version_ids).values_list("pk", "item__usage"))


def answer_post(version_id: int, *, right: bool) -> dict:
    payload = itembank.version_delivery_payload(version_id)
    review = itembank.versions_review([version_id])[version_id]
    kind = payload["type"]
    if kind == "single_choice":
        choice = review.key[0] if right else next(o["id"] for o in payload["options"] if o["id"] != review.key[0])
        return {"version": version_id, "r": choice}
    if kind == "multiple_choice":
        chosen = list(review.key) if right else [o["id"] for o in payload["options"] if o["id"] not in review.key][:1]
        return {"version": version_id, "r": chosen}
    if kind == "true_false":
        truth = review.key[0] == "true"
        return {"version": version_id, "r": "true" if truth == right else "false"}
    blanks = {f"blank-{n}": (text if right else "完全错误的答案") for n, text in enumerate(review.key, start=1)}
    return {"version": version_id, **blanks}


def test_practice_never_draws_formal_only_items(learner_client, learner):
    drawn: set[int] = set()
    for scope in ("area:A1", "area:A2", "area:A3", "chapter:C01", "chapter:C05", "chapter:C09"):
        for _ in range(4):
            response = learner_client.post(f"/learn/{GENERAL}/practice/", {"scope": scope})
            assert response.status_code == 302
        drawn |= {v for s in PracticeSet.objects.filter(candidate=learner) for v in s.version_ids}
    usages = usage_of(drawn)
    assert len(drawn) > 60
    assert "formal" not in set(usages.values())
    assert set(usages.values()) <= {"any", "practice"}
    # Not vacuous: the same program and areas hold plenty of formal-only items practice could have drawn.
    Item = apps.get_model("itembank", "Item")
    assert Item.objects.filter(program__code=GENERAL, usage="formal").count() > 60


def test_a_chapter_draws_from_the_areas_its_lessons_prepare_for(learner_client, learner):
    learner_client.post(f"/learn/{GENERAL}/practice/", {"scope": "chapter:C02"})  # C02's lessons: area A1 only
    practice = PracticeSet.objects.get(candidate=learner)
    assert len(practice.version_ids) == 10
    standards = apps.get_model("itembank", "ItemVersion").objects.filter(pk__in=practice.version_ids) \
        .values_list("standards__code", flat=True)
    assert {code.split(".")[0] for code in standards} == {"A1"}


def test_a_wrong_answer_gets_feedback_and_lands_in_the_notebook(learner_client, learner):
    learner_client.post(f"/learn/{GENERAL}/practice/", {"scope": "area:A1"})
    practice = PracticeSet.objects.get(candidate=learner)
    wrong, right = practice.version_ids[:2]
    response = learner_client.post(f"/learn/practice/{practice.code}/", answer_post(wrong, right=False))
    assert response.status_code == 302
    page = learner_client.get(response["Location"])
    review = itembank.versions_review([wrong])[wrong]
    row = next(r for r in page.context["rows"] if r["version_id"] == wrong)
    assert row["answer"].right is False and row["review"].explanation_html == review.explanation_html
    assert review.explanation_html and review.explanation_html in page.content.decode()

    Notebook = apps.get_model("scoring", "NotebookEntry")
    entry = Notebook.objects.get(candidate=learner, version_id=wrong)
    assert (entry.program_code, entry.area_code, entry.wrong_count, entry.mastered_at) == (GENERAL, "A1", 1, None)
    notebook = learner_client.get("/me/notebook/").content.decode()
    assert f"/me/notebook/{entry.code}/" in notebook

    learner_client.post(f"/learn/practice/{practice.code}/", answer_post(right, right=True))
    assert PracticeAnswer.objects.get(practice=practice, version_id=right).right is True
    assert not Notebook.objects.filter(candidate=learner, version_id=right).exists()

    # Answering the same question of the set again changes nothing (the first answer stands).
    learner_client.post(f"/learn/practice/{practice.code}/", answer_post(wrong, right=True))
    assert PracticeAnswer.objects.get(practice=practice, version_id=wrong).right is False


def test_a_right_answer_in_practice_masters_a_notebook_item(learner_client, learner):
    learner_client.post(f"/learn/{GENERAL}/practice/", {"scope": "area:A2"})
    first = PracticeSet.objects.get(candidate=learner)
    version = first.version_ids[0]
    learner_client.post(f"/learn/practice/{first.code}/", answer_post(version, right=False))
    again = PracticeSet.objects.create(candidate=learner, program_code=GENERAL, scope="area", scope_code="A2",
                                       version_ids=[version])
    learner_client.post(f"/learn/practice/{again.code}/", answer_post(version, right=True))
    entry = apps.get_model("scoring", "NotebookEntry").objects.get(candidate=learner, version_id=version)
    assert entry.mastered_at is not None


def test_practice_needs_the_deposit_and_sets_are_private(course, client, make_user, learner):
    client.force_login(enrol(make_user(Role.CANDIDATE), state="registered"))
    assert client.post(f"/learn/{GENERAL}/practice/", {"scope": "area:A1"}).status_code == 404
    practice = PracticeSet.objects.create(candidate=learner, program_code=GENERAL, scope="area", scope_code="A1",
                                          version_ids=[1])
    assert client.get(f"/learn/practice/{practice.code}/").status_code == 404


def test_bad_practice_choices_are_refused_with_a_message(learner_client, learner):
    learner_client.cookies["aigcert_language"] = "en"
    response = learner_client.post(f"/learn/{GENERAL}/practice/", {"scope": "area:Z9"}, follow=True)
    assert "There is nothing to practise for that choice." in [str(m) for m in response.context["messages"]]
    assert not PracticeSet.objects.filter(candidate=learner).exists()
    learner_client.post(f"/learn/{GENERAL}/practice/", {"scope": "area:A1"})
    practice = PracticeSet.objects.get(candidate=learner)
    outsider = apps.get_model("itembank", "ItemVersion").objects.exclude(pk__in=practice.version_ids) \
        .values_list("pk", flat=True).first()
    learner_client.post(f"/learn/practice/{practice.code}/", answer_post(outsider, right=True))
    learner_client.post(f"/learn/practice/{practice.code}/", {"version": "x"})
    assert not PracticeAnswer.objects.filter(practice=practice).exists()
