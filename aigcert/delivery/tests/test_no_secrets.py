"""No key, rubric, explanation, test case, reference or accepted answer ever reaches a candidate: not in the
frozen paper, not in the player page or its embedded config, not in any answer of autosave, upload or submit.

One approved item of every type gets marker strings planted in each of its secrets (rows arranged through the app
registry); a paper holding those eight items is sat from start to submit and everything sent is searched."""

import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from aigcert.accounts.api import Role
from aigcert.delivery import services
from aigcert.delivery.tests.conftest import config_of, post_json, unlock
from aigcert.exams import api as exams
from aigcert.itembank import api as itembank

MARK = "SECRET-"
# Field names that would carry a secret, whatever their value.
SECRET_FIELDS = {"key", "keys", "answer", "answers", "correct", "rubric", "explanation", "explanation_html", "tests",
                 "reference", "reference_solution", "reference_prompt", "accepted", "qualities", "map", "scoring",
                 "partial_credit", "choice_map", "levels", "solution"}
PROGRAMS = {"single_choice": "aigc-general", "multiple_choice": "aigc-general", "true_false": "aigc-general",
            "fill_in": "aigc-general", "essay": "aigc-professional", "work_upload": "aigc-professional",
            "program": "aigc-professional", "prompt_task": "aigc-professional"}
# What the payload of each type holds: an allow-list, so a field added to items later can't slip through.
PAYLOAD_FIELDS = {
    "single_choice": {"type", "points", "stem_html", "options", "multiple"},
    "multiple_choice": {"type", "points", "stem_html", "options", "multiple"},
    "true_false": {"type", "points", "stem_html"},
    "fill_in": {"type", "points", "stem_parts", "blanks"},
    "essay": {"type", "points", "stem_html", "min_words", "max_words"},
    "work_upload": {"type", "points", "stem_html", "allowed_types", "max_size_mb"},
    "program": {"type", "points", "stem_html", "language", "starter_code", "time_limit_ms", "memory_limit_mb"},
    "prompt_task": {"type", "points", "stem_html"},
}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def _field_names(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _field_names(v)}
    if isinstance(value, list | tuple):
        return {k for v in value for k in _field_names(v)}
    return set()


def _assert_clean(data, where: str) -> None:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    assert MARK not in text, f"a secret reached the candidate in {where}"
    if not isinstance(data, str):
        assert not (_field_names(data) & SECRET_FIELDS), f"{where}: {_field_names(data) & SECRET_FIELDS}"


def _plant(version_id: int, item_type: str) -> None:
    """Replace every secret of a version with a marker (the key of a choice item is an option id: it can't be
    marked, its field name is checked instead)."""
    versions = apps.get_model("itembank", "ItemVersion").objects
    content = dict(versions.get(pk=version_id).content)
    tag = item_type.upper()
    if content.get("rubric"):
        content["rubric"] = [
            {"name": f"SECRET-RUBRIC-{tag}-{n}",
             "levels": [{**level, "label": f"SECRET-LEVEL-{tag}-{n}-{m}", "description": f"SECRET-DESC-{tag}-{n}-{m}"}
                        for m, level in enumerate(criterion["levels"])]}
            for n, criterion in enumerate(content["rubric"])]
    if item_type == "program":
        content["reference_solution"] = "print('SECRET-REFERENCE-SOLUTION')"
        content["tests"] = [{**case, "input": f"SECRET-TEST-IN-{n}", "output": f"SECRET-TEST-OUT-{n}"}
                            for n, case in enumerate(content["tests"])]
    if item_type == "prompt_task":
        content["reference_prompt"] = "SECRET-REFERENCE-PROMPT"
        content["qualities"] = ["SECRET-QUALITY"]
    if item_type == "fill_in":
        content["blanks"] = [{**blank, "answers": [{**answer, "text": f"SECRET-ACCEPTED-{n}-{m}"}
                                                   for m, answer in enumerate(blank["answers"])]}
                             for n, blank in enumerate(content["blanks"])]
    versions.filter(pk=version_id).update(explanation=f"<p>SECRET-EXPLANATION-7f3-{tag}</p>", content=content)


@pytest.fixture
def secret_paper(exam_bank):
    """A 专业级 paper with one item of every type, each full of planted secrets: (paper, {slot: item type})."""
    chosen = {}
    for item_type, program in PROGRAMS.items():
        version = itembank.approved_versions(program, item_type=item_type, usage="mock")[0]
        _plant(version.id, item_type)
        chosen[item_type] = version
    reviews = itembank.versions_review(v.id for v in chosen.values())
    # The markers are really there, on the side that may show them after the exam.
    assert reviews[chosen["essay"].id].explanation_html == "<p>SECRET-EXPLANATION-7f3-ESSAY</p>"
    assert reviews[chosen["program"].id].reference == "print('SECRET-REFERENCE-SOLUTION')"
    assert reviews[chosen["prompt_task"].id].reference == "SECRET-REFERENCE-PROMPT"
    assert reviews[chosen["fill_in"].id].key[0] == "SECRET-ACCEPTED-0-0"
    assert reviews[chosen["work_upload"].id].rubric[0].name == "SECRET-RUBRIC-WORK_UPLOAD-0"
    payloads = itembank.versions_delivery_payloads(v.id for v in chosen.values())
    items = [{"slot": f"q{n}", "version_id": v.id, "item_type": t, "area_code": "A1",
              "points": format(v.points.normalize(), "f"), "payload": payloads[v.id]}
             for n, (t, v) in enumerate(chosen.items(), start=1)]
    blueprint = apps.get_model("exams", "Blueprint").objects.get(program_code="aigc-professional", mode="mock",
                                                                 active=True)
    row = apps.get_model("exams", "Paper").objects.create(blueprint=blueprint, form_number=0, seed=1, items=items,
                                                          total_points=sum(v.points for v in chosen.values()))
    return exams.paper_get(row.pk), {item["slot"]: item["item_type"] for item in items}


def test_the_payload_of_every_item_type_holds_only_what_the_player_needs(secret_paper):
    paper, types = secret_paper
    assert sorted(types.values()) == sorted(PROGRAMS)
    for item in paper.items:
        assert set(item["payload"]) == PAYLOAD_FIELDS[item["item_type"]], item["item_type"]
        for option in item["payload"].get("options", []):
            assert set(option) == {"id", "label", "html"}
        _assert_clean(item["payload"], f"the {item['item_type']} payload")
    _assert_clean(list(paper.items), "the frozen paper")


def test_nothing_secret_reaches_the_candidate_from_start_to_submit(secret_paper, client, make_user):
    paper, types = secret_paper
    candidate = unlock(make_user(Role.CANDIDATE), "aigc-professional")
    attempt, _created = services.attempt_start(candidate=candidate, paper=paper, kind="mock", duration_minutes=90)
    client.force_login(candidate)
    page = client.get(f"/exam/{attempt.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    config = config_of(page)
    for slot, item_type in types.items():
        assert f'data-slot="{slot}" data-type="{item_type}"' in html  # every type was rendered
    _assert_clean(html, "the player page")
    _assert_clean(config, "the exam-config")
    assert "is-key" not in html

    answers = {"single_choice": lambda s: attempt.schema[s][1][0],
               "multiple_choice": lambda s: attempt.schema[s][1][:2], "true_false": lambda s: False,
               "fill_in": lambda s: ["零样本"] * attempt.schema[s][1],
               "essay": lambda s: "我的方案", "program": lambda s: "print(42)", "prompt_task": lambda s: "你是一名助手"}
    entries = [{"slot": s, "value": answers[t](s), "seq": n} for n, (s, t) in enumerate(types.items(), start=1)
               if t != "work_upload"]
    bodies = []
    saved = post_json(client, config["saveUrl"], {"device": config["device"], "responses": entries})
    assert saved.status_code == 200
    bodies.append(saved.json())
    for refused in (
        post_json(client, config["saveUrl"], {"device": config["device"],
                                              "responses": [{"slot": "q1", "value": "nope", "seq": 90}]}),
        post_json(client, config["saveUrl"], {"device": "old", "responses": entries}),
    ):
        assert refused.status_code in (400, 409)
        bodies.append(refused.json())
    [upload_slot] = [s for s, t in types.items() if t == "work_upload"]
    uploaded = client.post(config["uploadUrl"], {"slot": upload_slot, "seq": "20", "device": config["device"],
                                                 "file": SimpleUploadedFile("work.pdf", PDF)})
    assert uploaded.status_code == 200
    bodies.append(uploaded.json())
    # Resumed with every answer saved (the page a candidate sees on another device): still nothing.
    resumed = client.get(f"/exam/{attempt.code}/")
    resumed_config = config_of(resumed)
    assert set(resumed_config["saved"]) == set(types)
    _assert_clean(resumed.content.decode(), "the resumed player page")
    _assert_clean(resumed_config, "the resumed exam-config")
    submitted = post_json(client, config["submitUrl"], {"key": "k", "device": resumed_config["device"]})
    assert submitted.status_code == 200
    assert submitted.json()["answered"] == 8
    bodies.append(submitted.json())
    bodies.append(post_json(client, config["submitUrl"], {"key": "k"}).json())
    for body in bodies:
        _assert_clean(body, "an endpoint's answer")

