"""Work uploads: an accepted file is stored and the slot's response points at it; a file of the wrong type, size or
content, for a slot that takes no files, from another device or after the deadline is refused and nothing changes."""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aigcert.accounts.api import Role
from aigcert.core.api import DomainError, now
from aigcert.delivery import services
from aigcert.delivery.models import Attempt, Response, Upload
from aigcert.delivery.tests.conftest import EN, config_of, english, post_json, responses_table, unlock
from aigcert.exams import api as exams

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def _upload(client, config, slot, name, data, *, seq=1, device=None, flagged="false"):
    return client.post(config["uploadUrl"], {"slot": slot, "seq": str(seq), "flagged": flagged,
                                             "device": config["device"] if device is None else device,
                                             "file": SimpleUploadedFile(name, data)})


def _allowed(attempt, slot):
    [item] = [i for i in exams.paper_get(attempt.paper_id).items if i["slot"] == slot]
    return item["payload"]["allowed_types"]


def test_an_accepted_file_is_stored_and_the_answer_points_at_it(examinee_client, practical):
    attempt, config, slot = practical
    assert "pdf" in _allowed(attempt, slot)
    response = _upload(examinee_client, config, slot, "制作说明.pdf", PDF, seq=4)
    assert response.status_code == 200
    upload = Upload.objects.get()
    value = {"upload": str(upload.code), "name": "制作说明.pdf", "size": len(PDF)}
    assert response.json() == {"saved": {slot: 4}, "value": value, "serverNow": response.json()["serverNow"]}
    assert (upload.attempt_id, upload.slot, upload.name, upload.size, upload.sha256) == (
        attempt.pk, slot, "制作说明.pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    assert upload.file.name.endswith(f"{attempt.code}-{slot}.pdf")
    with upload.file.open("rb") as stored:
        assert stored.read() == PDF
    assert {r.slot: (r.value, r.seq) for r in attempt.responses.all()} == {slot: (value, 4)}
    # A second hand-in replaces the answer; the resumed player shows the newest.
    again = _upload(examinee_client, config, slot, "v2.pdf", PDF + b"%v2\n", seq=6)
    newest = Upload.objects.get(name="v2.pdf")
    assert again.json()["value"] == {"upload": str(newest.code), "name": "v2.pdf", "size": len(PDF) + 4}
    resumed = config_of(examinee_client.get(f"/exam/{attempt.code}/"))
    assert resumed["saved"][slot] == {"value": again.json()["value"], "flagged": False, "seq": 6}
    # A handed-in file is an answer.
    submitted = post_json(examinee_client, resumed["submitUrl"], {"key": "k"})
    assert submitted.json()["answered"] == 1


BAD_FILES = {
    "a type the item doesn't take": ("virus.exe", b"MZ\x90\x00" + b"\x00" * 60, "upload_type"),
    "no extension": ("report", PDF, "upload_type"),
    "a PNG named .pdf": ("poster.pdf", PNG, "upload_content"),
    "text named .zip": ("bundle.zip", b"just some text", "upload_content"),
    "an empty file": ("empty.pdf", b"", "upload_empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_stored(examinee_client, practical, case):
    _attempt, config, slot = practical
    name, data, code = BAD_FILES[case]
    response = _upload(english(examinee_client), config, slot, name, data)
    assert response.status_code == 400
    assert response.json() == {"error": code, "message": EN[code], "slot": slot}
    assert Upload.objects.count() == 0
    assert responses_table() == []


def test_a_file_over_the_platforms_cap_is_refused_before_it_is_read(examinee_client, practical, settings):
    _attempt, config, slot = practical
    settings.EXAM_UPLOAD_MAX_MB = 1
    over = b"%PDF-" + b"0" * ((1 << 20) - 4)
    response = _upload(english(examinee_client), config, slot, "big.pdf", over)
    assert response.status_code == 400
    assert response.json() == {"error": "upload_size", "message": EN["upload_size"], "slot": slot}
    assert Upload.objects.count() == 0
    exactly = over[:-1]
    assert _upload(examinee_client, config, slot, "fits.pdf", exactly).status_code == 200


def test_the_items_own_size_limit_applies_below_the_platforms(practical):
    attempt, config, slot = practical
    attempt = Attempt.objects.get(pk=attempt.pk)
    with pytest.raises(DomainError) as refused:
        services.upload_save(attempt=attempt, device=config["device"], slot=slot, seq=1, name="big.pdf",
                             data=b"%PDF-" + b"0" * (1 << 20), allowed_types=["pdf"], max_mb=1)
    assert (refused.value.code, refused.value.field) == ("upload_size", slot)
    assert Upload.objects.count() == 0


def test_a_slot_that_takes_no_files_or_is_not_on_the_paper_is_refused(examinee_client, practical):
    attempt, config, _slot = practical
    essay = next(s for s in attempt.order["slots"] if attempt.schema[s][0] == "essay")
    for target in (essay, "q99"):
        response = _upload(english(examinee_client), config, target, "work.pdf", PDF)
        assert response.status_code == 400
        assert response.json() == {"error": "not_on_paper", "message": EN["not_on_paper"], "slot": target}
    assert Upload.objects.count() == 0
    assert responses_table() == []


@pytest.mark.parametrize("value", ["x.pdf", {"upload": "u", "name": "x.pdf"}, {"file": "x.pdf"},
                                   {"upload": "u", "name": "x.pdf", "size": "1"}], ids=["name", "no-size", "file",
                                                                                     "size-text"])
def test_a_file_cannot_be_autosaved_as_a_value(examinee_client, practical, value):
    _attempt, config, slot = practical
    response = post_json(english(examinee_client), config["saveUrl"], {
        "device": config["device"], "responses": [{"slot": slot, "value": value, "seq": 1}]})
    assert response.status_code == 400
    assert response.json() == {"error": "upload_only", "message": EN["upload_only"], "slot": slot}
    assert responses_table() == []


def test_flagging_an_uploaded_work_keeps_the_file(examinee_client, practical):
    """The player saves a work item's flag by sending back what the upload stored: the file stays the answer."""
    attempt, config, slot = practical
    stored = _upload(examinee_client, config, slot, "work.pdf", PDF, seq=4).json()["value"]
    response = post_json(examinee_client, config["saveUrl"], {
        "device": config["device"], "responses": [{"slot": slot, "value": stored, "flagged": True, "seq": 5}]})
    assert response.status_code == 200 and response.json()["saved"] == {slot: 5}
    row = Response.objects.get(attempt=attempt, slot=slot)
    assert (row.value, row.flagged) == (stored, True)
    again = _upload(examinee_client, config, slot, "better.pdf", PDF, seq=6, flagged="true").json()["value"]
    row.refresh_from_db()
    assert (row.value, row.flagged) == (again, True)  # a new file keeps the flag the page shows


def test_after_the_deadline_an_upload_is_refused(examinee_client, practical, settings):
    attempt, config, slot = practical
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=now() - timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS + 5))
    response = _upload(english(examinee_client), config, slot, "late.pdf", PDF)
    assert response.status_code == 409
    assert response.json() == {"error": "time_up", "message": EN["time_up"], "redirect": config["doneUrl"]}
    assert Upload.objects.count() == 0
    assert responses_table() == []


def test_an_upload_from_a_superseded_device_is_refused(examinee_client, practical):
    attempt, config, slot = practical
    examinee_client.get(f"/exam/{attempt.code}/")  # taken over by a newer page load
    response = _upload(english(examinee_client), config, slot, "work.pdf", PDF)
    assert response.status_code == 409
    assert response.json() == {"error": "superseded", "message": EN["superseded"]}
    assert Upload.objects.count() == 0


def test_an_older_upload_does_not_replace_a_newer_answer(examinee_client, practical):
    attempt, config, slot = practical
    assert _upload(examinee_client, config, slot, "new.pdf", PDF, seq=9).status_code == 200
    response = _upload(english(examinee_client), config, slot, "old.pdf", PDF, seq=8)
    assert response.status_code == 400
    assert response.json() == {"error": "stale", "message": EN["stale"], "slot": slot}
    assert list(Upload.objects.values_list("name", flat=True)) == ["new.pdf"]
    assert attempt.responses.get().value["name"] == "new.pdf"


@pytest.mark.parametrize(("form", "code"), [({"seq": "x"}, "malformed"), ({"seq": "1"}, "upload_empty")],
                         ids=["seq-not-a-number", "no-file"])
def test_an_upload_without_a_number_or_a_file_is_refused(examinee_client, practical, form, code):
    _attempt, config, slot = practical
    response = english(examinee_client).post(config["uploadUrl"], {"slot": slot, "device": config["device"], **form})
    assert response.status_code == 400
    expected = {"error": code, "message": EN[code]}
    if code != "malformed":
        expected["slot"] = slot
    assert response.json() == expected


def test_someone_elses_upload_is_not_found(practical, make_user):
    _attempt, config, slot = practical
    stranger = english(Client())
    stranger.force_login(unlock(make_user(Role.CANDIDATE), "aigc-professional"))
    response = _upload(stranger, config, slot, "work.pdf", PDF)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": EN["not_found"]}
    assert Upload.objects.count() == 0


def _stored_files(settings) -> list[str]:
    return sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def test_a_refused_stale_upload_leaves_no_file_behind(examinee_client, practical, settings):
    _attempt, config, slot = practical
    _upload(examinee_client, config, slot, "new.pdf", PDF, seq=9)
    assert _upload(examinee_client, config, slot, "old.pdf", PDF, seq=8).status_code == 400
    assert _stored_files(settings) == [Upload.objects.get().file.name.rsplit("/", 1)[-1]]
