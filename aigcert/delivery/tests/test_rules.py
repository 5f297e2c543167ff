"""The attempt's pure rules, without a database: presentation order, what a response may hold, the clock, the
receipt hash and the checks on handed-in files."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from aigcert.delivery import rules

CHOICE_IDS = ["A", "B", "C", "D", "E"]


def _choice(slot, item_type="single_choice", ids=CHOICE_IDS[:4]):
    options = [{"id": i, "html": f"<p>{i}</p>"} for i in ids]
    return {"slot": slot, "item_type": item_type, "payload": {"options": options}}


def _paper():
    """Twelve items of every type, in paper order."""
    return [
        _choice("q1"), _choice("q2", "multiple_choice", CHOICE_IDS), _choice("q3"),
        {"slot": "q4", "item_type": "true_false", "payload": {}},
        {"slot": "q5", "item_type": "fill_in", "payload": {"blanks": 2}},
        {"slot": "q6", "item_type": "essay", "payload": {"min_words": 10, "max_words": 800}},
        {"slot": "q7", "item_type": "prompt_task", "payload": {}},
        {"slot": "q8", "item_type": "program", "payload": {"language": "python3"}},
        {"slot": "q9", "item_type": "work_upload", "payload": {"allowed_types": ["pdf"], "max_size_mb": 5}},
        _choice("q10", "multiple_choice"), _choice("q11"), {"slot": "q12", "item_type": "true_false", "payload": {}},
    ]


CHOICE_SLOTS = {"q1", "q2", "q3", "q10", "q11"}
SEEDS = range(300)


# -- presentation order -------------------------------------------------------------------------------------

def test_the_order_is_reproducible_from_the_seed():
    items = [_choice("q1"), _choice("q2"), _choice("q3"), {"slot": "q4", "item_type": "true_false", "payload": {}}]
    # Pinned: an attempt's recorded order must be recomputable from its seed, on any machine, at any later time.
    assert rules.presentation_order(items, seed=42, shuffle_items=True, shuffle_options=True) == {
        "slots": ["q2", "q1", "q4", "q3"],
        "options": {"q1": ["C", "A", "D", "B"], "q2": ["D", "A", "C", "B"], "q3": ["D", "A", "C", "B"]},
    }
    for seed in SEEDS:
        first = rules.presentation_order(_paper(), seed=seed, shuffle_items=True, shuffle_options=True)
        assert rules.presentation_order(_paper(), seed=seed, shuffle_items=True, shuffle_options=True) == first


def test_every_order_is_a_permutation_of_the_paper_and_of_each_items_options():
    paper = _paper()
    slot_orders, option_orders = set(), set()
    for seed in SEEDS:
        order = rules.presentation_order(paper, seed=seed, shuffle_items=True, shuffle_options=True)
        assert sorted(order["slots"]) == sorted(item["slot"] for item in paper)
        assert len(order["slots"]) == len(paper)
        assert set(order["options"]) == CHOICE_SLOTS  # true/false, fill-in and the rest have no options to shuffle
        for item in paper:
            if item["slot"] in CHOICE_SLOTS:
                ids = [o["id"] for o in item["payload"]["options"]]
                assert sorted(order["options"][item["slot"]]) == sorted(ids)
        slot_orders.add(tuple(order["slots"]))
        option_orders.add(tuple(order["options"]["q2"]))
    # The seed really shuffles: 300 seeds give many different orders (12! and 5! possibilities).
    assert len(slot_orders) > 250
    assert len(option_orders) > 60


def test_options_are_shuffled_per_slot_whatever_else_is_on_the_paper():
    alone = rules.presentation_order([_choice("q3")], seed=7, shuffle_items=True, shuffle_options=True)
    on_paper = rules.presentation_order(_paper(), seed=7, shuffle_items=True, shuffle_options=True)
    assert on_paper["options"]["q3"] == alone["options"]["q3"]
    # Two items with the same options get their own orders (the slot is part of the shuffle), not one shared one.
    assert any(
        rules.presentation_order(_paper(), seed=s, shuffle_items=False, shuffle_options=True)["options"]["q1"]
        != rules.presentation_order(_paper(), seed=s, shuffle_items=False, shuffle_options=True)["options"]["q3"]
        for s in range(5))


def test_no_shuffle_when_the_blueprint_says_so():
    paper = _paper()
    in_paper_order = [item["slot"] for item in paper]
    natural = {item["slot"]: [o["id"] for o in item["payload"]["options"]] for item in paper
               if item["slot"] in CHOICE_SLOTS}
    for seed in range(50):
        assert rules.presentation_order(paper, seed=seed, shuffle_items=False, shuffle_options=False) == {
            "slots": in_paper_order, "options": natural}
        items_only = rules.presentation_order(paper, seed=seed, shuffle_items=True, shuffle_options=False)
        assert items_only["options"] == natural
        options_only = rules.presentation_order(paper, seed=seed, shuffle_items=False, shuffle_options=True)
        assert options_only["slots"] == in_paper_order


# -- what a response may hold -------------------------------------------------------------------------------

def test_response_schema_of_every_item_type():
    assert rules.response_schema(_paper()) == {
        "q1": ["single_choice", ["A", "B", "C", "D"]],
        "q2": ["multiple_choice", ["A", "B", "C", "D", "E"]],
        "q3": ["single_choice", ["A", "B", "C", "D"]],
        "q4": ["true_false", None],
        "q5": ["fill_in", 2],
        "q6": ["essay", None],
        "q7": ["prompt_task", None],
        "q8": ["program", None],
        "q9": ["work_upload", None],
        "q10": ["multiple_choice", ["A", "B", "C", "D"]],
        "q11": ["single_choice", ["A", "B", "C", "D"]],
        "q12": ["true_false", None],
    }


SCHEMA = rules.response_schema(_paper())


@pytest.mark.parametrize(("slot", "value"), [
    ("q1", "A"), ("q1", "D"),
    ("q2", ["A"]), ("q2", ["E", "A", "C"]), ("q2", []),
    ("q4", True), ("q4", False),
    ("q5", ["零样本", ""]), ("q5", ["x" * 200, "y"]),
    ("q6", ""), ("q6", "字" * 20_000),
    ("q7", "p" * 10_000),
    ("q8", "print(1)\n" * 7_000 + "#" * 1_000),  # 64,000 characters
])
def test_values_each_type_accepts(slot, value):
    assert rules.value_problem(SCHEMA, slot, value) is None


@pytest.mark.parametrize("slot", sorted(SCHEMA))
def test_none_clears_any_answer(slot):
    assert rules.value_problem(SCHEMA, slot, None) is None


@pytest.mark.parametrize(("slot", "value", "problem"), [
    # single choice
    ("q1", "Z", rules.BAD_OPTION), ("q1", "a", rules.BAD_OPTION), ("q1", "", rules.BAD_OPTION),
    ("q1", ["A"], rules.BAD_SHAPE), ("q1", 1, rules.BAD_SHAPE), ("q1", True, rules.BAD_SHAPE),
    ("q1", {"id": "A"}, rules.BAD_SHAPE),
    # multiple choice
    ("q2", ["A", "Z"], rules.BAD_OPTION), ("q10", ["E"], rules.BAD_OPTION),
    ("q2", "A", rules.BAD_SHAPE), ("q2", ["A", "A"], rules.BAD_SHAPE), ("q2", ["A", 1], rules.BAD_SHAPE),
    ("q2", {"A": True}, rules.BAD_SHAPE),
    # true/false: a real boolean only
    ("q4", "true", rules.BAD_SHAPE), ("q4", 1, rules.BAD_SHAPE), ("q4", 0, rules.BAD_SHAPE),
    ("q4", [True], rules.BAD_SHAPE),
    # fill-in: one string per blank, each at most 200 characters
    ("q5", ["only one"], rules.BAD_SHAPE), ("q5", ["a", "b", "c"], rules.BAD_SHAPE), ("q5", [], rules.BAD_SHAPE),
    ("q5", "a", rules.BAD_SHAPE), ("q5", ["a", 2], rules.BAD_SHAPE), ("q5", ["a", None], rules.BAD_SHAPE),
    ("q5", ["x" * 201, "y"], rules.TOO_LONG),
    # texts: strings within each type's limit
    ("q6", "字" * 20_001, rules.TOO_LONG), ("q7", "p" * 10_001, rules.TOO_LONG), ("q8", "c" * 64_001, rules.TOO_LONG),
    ("q6", ["text"], rules.BAD_SHAPE), ("q7", 42, rules.BAD_SHAPE), ("q8", {"code": "x"}, rules.BAD_SHAPE),
    # work arrives through the upload endpoint only
    ("q9", {"upload": "3f0e", "name": "a.pdf"}, rules.UPLOAD_ONLY), ("q9", "a.pdf", rules.UPLOAD_ONLY),
    ("q9", {"upload": "3f0e", "name": "a.pdf", "size": True}, rules.UPLOAD_ONLY),
    # not on the paper, whatever the value
    ("q13", "A", rules.NOT_ON_PAPER), ("Q1", "A", rules.NOT_ON_PAPER), ("", None, rules.NOT_ON_PAPER),
    ("q99", None, rules.NOT_ON_PAPER),
])
def test_values_refused_with_their_reason(slot, value, problem):
    assert rules.value_problem(SCHEMA, slot, value) == problem


def test_an_unknown_text_type_gets_the_default_limit():
    schema = {"q1": ["something_new", None]}
    assert rules.value_problem(schema, "q1", "x" * 10_000) is None
    assert rules.value_problem(schema, "q1", "x" * 10_001) == rules.TOO_LONG


# -- the clock ----------------------------------------------------------------------------------------------

DEADLINE = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
GRACE = 15
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("moment", "accepts", "due"), [
    (DEADLINE - timedelta(minutes=30), True, False),
    (DEADLINE, True, False),
    (DEADLINE + timedelta(seconds=GRACE) - TICK, True, False),
    (DEADLINE + timedelta(seconds=GRACE), True, False),  # the last moment of the grace still counts
    (DEADLINE + timedelta(seconds=GRACE) + TICK, False, True),
    (DEADLINE + timedelta(hours=5), False, True),
])
def test_saves_count_until_the_grace_ends_and_then_the_attempt_is_due(moment, accepts, due):
    assert rules.accepts_saves(state="open", deadline_at=DEADLINE, moment=moment, grace_seconds=GRACE) is accepts
    assert rules.due_for_close(deadline_at=DEADLINE, moment=moment, grace_seconds=GRACE) is due
    # Never both, never neither, for an open attempt.
    assert accepts is not due


@pytest.mark.parametrize("state", ["submitted", "expired"])
def test_a_closed_attempt_accepts_nothing_even_before_its_deadline(state):
    assert rules.accepts_saves(state=state, deadline_at=DEADLINE, moment=DEADLINE - timedelta(minutes=30),
                               grace_seconds=GRACE) is False


def test_zero_grace():
    assert rules.accepts_saves(state="open", deadline_at=DEADLINE, moment=DEADLINE, grace_seconds=0) is True
    assert rules.accepts_saves(state="open", deadline_at=DEADLINE, moment=DEADLINE + TICK, grace_seconds=0) is False
    assert rules.due_for_close(deadline_at=DEADLINE, moment=DEADLINE + TICK, grace_seconds=0) is True


@pytest.mark.parametrize(("moment", "left"), [
    (DEADLINE - timedelta(minutes=60), 3600),
    (DEADLINE - timedelta(seconds=1, milliseconds=999), 1),
    (DEADLINE - timedelta(milliseconds=1), 0),
    (DEADLINE, 0),
    (DEADLINE + timedelta(minutes=1), 0),
])
def test_remaining_seconds(moment, left):
    assert rules.remaining_seconds(DEADLINE, moment) == left


# -- the receipt hash ---------------------------------------------------------------------------------------

def test_answers_hash_is_the_sha256_of_the_canonical_json():
    assert rules.answers_hash({"q2": True, "q1": "A", "q3": ["零样本"], "q4": None}) == hashlib.sha256(
        '{"q1":"A","q2":true,"q3":["零样本"],"q4":null}'.encode()).hexdigest()
    assert rules.answers_hash({}) == hashlib.sha256(b"{}").hexdigest()


def test_answers_hash_does_not_depend_on_key_order_but_on_every_value():
    forward = {f"q{n}": ["A", "C"] if n % 2 else n % 3 == 0 for n in range(1, 101)}
    backward = dict(reversed(list(forward.items())))
    assert list(forward) != list(backward)
    assert rules.answers_hash(forward) == rules.answers_hash(backward)
    changed = {**forward, "q51": ["C", "A"]}  # the same options in another order is another answer
    assert rules.answers_hash(changed) != rules.answers_hash(forward)
    assert rules.answers_hash({**forward, "q101": None}) != rules.answers_hash(forward)
    assert len(rules.answers_hash(forward)) == 64


# -- handed-in files ----------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
PDF = b"%PDF-1.7\n" + b"x" * 55
ZIP = b"PK\x03\x04" + b"\x00" * 60
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 52
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 48
WEBP = b"RIFF\x24\x08\x00\x00WEBPVP8 " + b"\x00" * 48
ALL = ["pdf", "png", "jpg", "zip", "mp4", "mov", "webp", "wav", "txt", "md", "svg", "docx", "gif"]


def _problem(filename, head, *, size=None, allowed=ALL, max_bytes=1 << 20):
    return rules.upload_problem(filename=filename, head=head[:64], size=len(head) if size is None else size,
                                allowed_types=allowed, max_bytes=max_bytes)


@pytest.mark.parametrize(("filename", "head"), [
    ("work.pdf", PDF), ("海报.PNG", PNG), ("photo.jpg", JPG), ("bundle.zip", ZIP), ("clip.mp4", MP4),
    ("clip.mov", MP4), ("sound.wav", WAV), ("image.webp", WEBP), ("notes.txt", "提示词与参数".encode()),
    ("readme.md", b"# Title\n"), ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("report.docx", ZIP), ("anim.gif", b"GIF89a" + b"\x00" * 10),
])
def test_files_whose_content_matches_their_type_are_accepted(filename, head):
    assert _problem(filename, head) is None


def test_the_allowed_types_are_the_items_and_compared_without_case():
    assert _problem("work.pdf", PDF, allowed=["PDF"]) is None
    assert _problem("work.PDF", PDF, allowed=["pdf"]) is None
    assert _problem("work.png", PNG, allowed=["pdf", "zip"]) == "type"
    assert _problem("work", PDF, allowed=["pdf"]) == "type"  # no extension
    assert _problem("work.", PDF, allowed=["pdf"]) == "type"
    assert _problem("work.pdf.exe", PDF, allowed=["pdf"]) == "type"
    assert _problem("work.pdf", PDF, allowed=[]) == "type"


@pytest.mark.parametrize(("filename", "head"), [
    ("poster.pdf", PNG),  # a PNG named .pdf
    ("poster.png", PDF),
    ("photo.jpg", PNG),
    ("bundle.zip", PDF),
    ("clip.mp4", ZIP),
    ("clip.mov", b"\x00" * 64),
    ("notes.txt", PNG),  # binary bytes are no text
    ("logo.svg", b"\xff\xfe<\x00s\x00v\x00g\x00" + b"\x00" * 50),
])
def test_files_whose_bytes_say_otherwise_are_refused(filename, head):
    assert _problem(filename, head) == "content"


@pytest.mark.parametrize(("filename", "head"), [("image.webp", WAV), ("sound.wav", WEBP)],
                         ids=["wav-named-webp", "webp-named-wav"])
def test_riff_files_are_told_apart(filename, head):
    assert _problem(filename, head) == "content"


def test_a_character_cut_at_the_end_of_the_head_is_still_text():
    text = ("说明" * 30).encode()  # 180 bytes; the first 64 end inside a character
    assert len(text[:64].decode("utf-8", errors="ignore").encode()) < 64
    assert _problem("notes.txt", text, size=len(text)) is None


def test_size_limits():
    assert _problem("work.pdf", PDF, size=1024, max_bytes=1024) is None
    assert _problem("work.pdf", PDF, size=1025, max_bytes=1024) == "size"
    assert _problem("work.pdf", b"", size=0) == "empty"
    # The type is checked first: a wrong type is "type" whatever its size.
    assert _problem("work.exe", b"", size=0) == "type"
