"""Human tutoring on 专业级 lessons: the candidate asks, an assigned tutor answers, the candidate is notified."""

import pytest

from aigcert.accounts.api import Role
from aigcert.core.api import inbox
from aigcert.learning import api as learning
from aigcert.learning.models import LessonQuestion
from aigcert.learning.tests.conftest import GENERAL, PROFESSIONAL, enrol

pytestmark = pytest.mark.django_db
LESSON = f"/learn/{PROFESSIONAL}/L04/"


def test_a_question_goes_to_the_assigned_tutor_and_the_answer_comes_back(course, client, make_user):
    candidate = enrol(make_user(Role.CANDIDATE), program_code=PROFESSIONAL)
    tutor, other_tutor = make_user(Role.TUTOR), make_user(Role.TUTOR)
    learning.demo_tutoring_load(tutor=tutor)
    client.force_login(candidate)
    client.post(f"{LESSON}ask/", {"text": "垫图的权重 <b>怎么</b> 设置？"})
    question = LessonQuestion.objects.get(candidate=candidate)
    assert (question.lesson_code, question.state) == ("L04", "open")

    client.force_login(other_tutor)  # not assigned to the program: neither the queue nor the question
    assert question.text not in client.get("/learn/tutoring/").content.decode()
    assert client.get(f"/learn/tutoring/{question.code}/").status_code == 404

    client.force_login(tutor)
    queue = client.get("/learn/tutoring/").content.decode()
    assert "垫图的权重 &lt;b&gt;怎么&lt;/b&gt; 设置？" in queue  # escaped, not rendered
    client.post(f"/learn/tutoring/{question.code}/", {"answer": "用 --iw 调整，数值越大越像参考图。"})
    question.refresh_from_db()
    assert (question.state, question.answered_by) == ("answered", tutor)
    [note] = inbox(candidate.pk)
    assert note.kind == "tutoring" and note.link == f"{LESSON}#questions"
    client.post(f"/learn/tutoring/{question.code}/", {"answer": "second answer"})
    question.refresh_from_db()
    assert question.answer == "用 --iw 调整，数值越大越像参考图。"  # a second answer doesn't overwrite

    client.force_login(candidate)
    assert "用 --iw 调整" in client.get(LESSON).content.decode()


def test_no_human_tutoring_for_the_general_level_and_none_without_the_deposit(course, client, make_user):
    client.force_login(enrol(make_user(Role.CANDIDATE)))
    client.cookies["aigcert_language"] = "en"
    response = client.post(f"/learn/{GENERAL}/L04/ask/", {"text": "问题"}, follow=True)
    assert "This program has no human tutoring; ask the AI tutor instead." in \
        [str(m) for m in response.context["messages"]]
    client.force_login(enrol(make_user(Role.CANDIDATE), program_code=PROFESSIONAL, state="registered"))
    assert client.post(f"{LESSON}ask/", {"text": "问题"}).status_code == 404
    assert not LessonQuestion.objects.exists()


def test_empty_and_overlong_questions_are_refused(course, client, make_user):
    client.force_login(enrol(make_user(Role.CANDIDATE), program_code=PROFESSIONAL))
    client.post(f"{LESSON}ask/", {"text": "   "})
    client.post(f"{LESSON}ask/", {"text": "长" * 2001})
    assert not LessonQuestion.objects.exists()
