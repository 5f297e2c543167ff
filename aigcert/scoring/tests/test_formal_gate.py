"""While a candidate's formal exam is open, nothing that shows keys or explanations is reachable: no new mock, no
mock result, no notebook. Afterwards everything is back."""

from datetime import timedelta

from django.apps import apps

from aigcert.core.api import now
from aigcert.delivery import api as delivery
from aigcert.exams import api as exams
from aigcert.scoring.tests.conftest import GENERAL, answer_and_submit, english, start_mock


def _formal_attempt_open(candidate):
    # An open formal attempt row, as the exam day (#6) will start one (delivery's model, through the registry).
    paper = exams.paper_for_mock(program_code=GENERAL, candidate_id=candidate.pk, attempt_number=99)
    return apps.get_model("delivery", "Attempt").objects.create(
        candidate=candidate, program_code=GENERAL, kind="formal", paper_id=paper.pk, seed=1,
        order={"slots": [i["slot"] for i in paper.items], "options": {}}, schema={}, started_at=now(),
        deadline_at=now() + timedelta(hours=1))


def test_mocks_keys_and_notebook_are_closed_while_a_formal_exam_is_open(examinee, examinee_client,
                                                                       django_capture_on_commit_callbacks):
    client = english(examinee_client)
    mock, config = start_mock(client)
    with django_capture_on_commit_callbacks(execute=True):
        answer_and_submit(client, config, {})
    formal = _formal_attempt_open(examinee)
    assert delivery.has_open_formal_attempt(examinee.pk)

    started = client.post(f"/exam/mock/{GENERAL}/start/")
    assert started.status_code == 409
    assert "Mock exams and study tools are closed while your formal exam is open." in started.content.decode()
    for url in (f"/me/mocks/{mock.code}/", "/me/notebook/"):
        page = client.get(url)
        assert page.status_code == 409, url
        assert "closed while your formal exam is open" in page.content.decode()
        assert "Correct answer" not in page.content.decode()
    entry = apps.get_model("scoring", "NotebookEntry").objects.filter(candidate=examinee).first()
    if entry is not None:
        assert client.get(f"/me/notebook/{entry.code}/").status_code == 409

    apps.get_model("delivery", "Attempt").objects.filter(pk=formal.pk).update(state="submitted")
    assert not delivery.has_open_formal_attempt(examinee.pk)
    assert client.get(f"/me/mocks/{mock.code}/").status_code == 200
    assert client.get("/me/notebook/").status_code == 200
