"""Pure rules of an attempt: presentation order, what a response may hold, the clock, the receipt. No ORM."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

CHOICE_TYPES = ("single_choice", "multiple_choice")
TEXT_LIMITS = {  # characters; generous for answers, small enough to keep an autosave light
    "essay": 20_000,
    "prompt_task": 10_000,
    "program": 64_000,
}
BLANK_LIMIT = 200

# Refusal codes; views turn them into messages in the candidate's language.
NOT_ON_PAPER = "not_on_paper"
BAD_OPTION = "bad_option"
BAD_SHAPE = "bad_shape"
TOO_LONG = "too_long"
UPLOAD_ONLY = "upload_only"


def presentation_order(items: list[dict[str, Any]], *, seed: int, shuffle_items: bool,
                       shuffle_options: bool) -> dict[str, Any]:
    """The candidate's order of items and of each choice item's options, reproducible from the seed."""
    slots = [item["slot"] for item in items]
    if shuffle_items:
        random.Random(f"{seed}:items").shuffle(slots)
    options = {}
    for item in items:
        ids = [o["id"] for o in item["payload"].get("options", [])]
        if ids and shuffle_options:
            random.Random(f"{seed}:{item['slot']}").shuffle(ids)
        if ids:
            options[item["slot"]] = ids
    return {"slots": slots, "options": options}


def response_schema(items: list[dict[str, Any]]) -> dict[str, list[Any]]:
    schema: dict[str, list[Any]] = {}
    for item in items:
        payload = item["payload"]
        t = item["item_type"]
        if t in CHOICE_TYPES:
            schema[item["slot"]] = [t, [o["id"] for o in payload.get("options", [])]]
        elif t == "fill_in":
            schema[item["slot"]] = [t, int(payload.get("blanks") or 0)]
        else:
            schema[item["slot"]] = [t, None]
    return schema


def value_problem(schema: dict[str, list[Any]], slot: str, value: Any) -> str | None:
    """Why ``value`` can't be the answer to ``slot``, or None. ``None`` clears an answer and is always fine."""
    if slot not in schema:
        return NOT_ON_PAPER
    item_type, detail = schema[slot]
    if value is None:
        return None
    if item_type == "single_choice":
        if not isinstance(value, str):
            return BAD_SHAPE
        return None if value in detail else BAD_OPTION
    if item_type == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
            return BAD_SHAPE
        return None if set(value) <= set(detail) else BAD_OPTION
    if item_type == "true_false":
        return None if isinstance(value, bool) else BAD_SHAPE
    if item_type == "fill_in":
        if not isinstance(value, list) or len(value) != detail or not all(_text(v) for v in value):
            return BAD_SHAPE
        return TOO_LONG if any(len(v) > BLANK_LIMIT for v in value) else None
    if item_type == "work_upload":
        # Files arrive through the upload endpoint. An autosave may only repeat what that endpoint stored (to save
        # the item's flag); it is resolved within the attempt wherever it is read, so it can't borrow another file.
        return None if _upload_reference(value) else UPLOAD_ONLY
    if not _text(value):
        return BAD_SHAPE
    return TOO_LONG if len(value) > TEXT_LIMITS.get(item_type, 10_000) else None


def _text(value: Any) -> bool:
    # NUL is no character anyone types, and PostgreSQL's jsonb refuses it; a lone surrogate can't be stored as
    # UTF-8 at all. One answer on every database: refused.
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _upload_reference(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {"upload", "name", "size"} and isinstance(value["upload"], str)
            and len(value["upload"]) <= 64 and _text(value["name"]) and len(value["name"]) <= 200
            and isinstance(value["size"], int) and not isinstance(value["size"], bool))


def accepts_saves(*, state: str, deadline_at: datetime, moment: datetime, grace_seconds: int) -> bool:
    """Saves count until the deadline plus a short grace for requests already on their way."""
    return state == "open" and moment <= deadline_at + timedelta(seconds=grace_seconds)


def due_for_close(*, deadline_at: datetime, moment: datetime, grace_seconds: int) -> bool:
    return moment > deadline_at + timedelta(seconds=grace_seconds)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """A moment as the browser's clock counts it (milliseconds since the epoch)."""
    # In whole numbers: through a float an unlock at .640 s could come out as .639, a millisecond early.
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def remaining_seconds(deadline_at: datetime, moment: datetime) -> int:
    return max(0, int((deadline_at - moment).total_seconds()))


def answers_hash(values: dict[str, Any]) -> str:
    """A fingerprint of the submitted answers for the candidate's receipt: the same answers, the same hash."""
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Leading bytes of the formats a work upload may be: a file whose content says otherwise is refused.
_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": (b"PK\x03\x04",),
    "pptx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "webp": (b"RIFF",),
    "wav": (b"RIFF",),
    "psd": (b"8BPS",),
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "webm": (b"\x1a\x45\xdf\xa3",),
}
_RIFF_KIND = {"webp": b"WEBP", "wav": b"WAVE"}  # both start with RIFF; bytes 8–12 say which
_TEXT_TYPES = {"txt", "md", "svg"}


def upload_problem(*, filename: str, head: bytes, size: int, allowed_types: list[str], max_bytes: int) -> str | None:
    """Why a file can't be handed in: "type", "content" (bytes don't match the extension), "size" or "empty"."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not extension or extension not in {t.lower() for t in allowed_types}:
        return "type"
    if size <= 0:
        return "empty"
    if size > max_bytes:
        return "size"
    if extension in _MAGIC and not any(head.startswith(m) for m in _MAGIC[extension]):
        return "content"
    if extension in ("mp4", "mov") and head[4:8] != b"ftyp":
        return "content"
    if extension in _RIFF_KIND and head[8:12] != _RIFF_KIND[extension]:
        return "content"
    if extension in _TEXT_TYPES:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a cut in the middle of a character at the end of the head is fine
            if exc.start < len(head) - 4:
                return "content"
    return None


# ---- Formal sessions: entry, unlock, deadline, pause, integrity ------------------------------------------------

NOT_YET = "not_yet"            # before the candidate's unlock
TOO_LATE = "too_late"          # after the latest entry
NOT_ADMITTED = "not_admitted"  # check-in waiting for the proctor
REFUSED = "refused"            # check-in refused by the proctor
CHECK_IN_NOT_OPEN = "check_in_not_open"
CHECK_IN_CLOSED = "check_in_closed"


def stagger_offset(ticket_number: str, spread_seconds: int) -> timedelta:
    """Each candidate's unlock delay in 0..spread, fixed by their ticket so that a reload never moves it. In whole
    milliseconds: in whole seconds every candidate of a second unlocked at once, and at 10,000 candidates over a
    minute each second began with a burst of 170 starts that queued the saves behind it."""
    if spread_seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(ticket_number.encode("utf-8")).digest()
    return timedelta(milliseconds=int.from_bytes(digest[:4], "big") % (spread_seconds * 1000 + 1))


def check_in_problem(*, moment: datetime, start_at: datetime, opens_minutes: int,
                     latest_entry_minutes: int) -> str | None:
    if moment < start_at - timedelta(minutes=opens_minutes):
        return CHECK_IN_NOT_OPEN
    if moment > start_at + timedelta(minutes=latest_entry_minutes):
        return CHECK_IN_CLOSED
    return None


def formal_times(*, start_at: datetime, stagger: timedelta, duration_minutes: int, extra_minutes: int,
                 latest_entry_minutes: int) -> tuple[datetime, datetime, datetime]:
    """(unlock, latest entry, deadline). Everyone gets the full duration from their own unlock, plus extra time;
    a late arrival starts against the same deadline and so gets only what is left."""
    unlock = start_at + stagger
    deadline = unlock + timedelta(minutes=duration_minutes + extra_minutes)
    # Never before the candidate's own unlock (with no latest-entry slack a staggered candidate still gets in), and
    # never after their deadline (a latest entry longer than the exam would start an attempt already due).
    entry_closes = min(max(unlock, start_at + timedelta(minutes=latest_entry_minutes)), deadline)
    return unlock, entry_closes, deadline


def entry_problem(*, moment: datetime, state: str, unlock_at: datetime, entry_closes_at: datetime) -> str | None:
    """Why a checked-in candidate may not start now, or None."""
    if state == "refused":
        return REFUSED
    if state != "approved":
        return NOT_ADMITTED
    if moment < unlock_at:
        return NOT_YET
    if moment > entry_closes_at:
        return TOO_LATE
    return None


def resumed_deadline(*, deadline_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """A pause stops the clock: the deadline moves by exactly the time spent paused."""
    return deadline_at + max(resumed_at - paused_at, timedelta(0))


def time_left_seconds(*, deadline_at: datetime, moment: datetime, paused_at: datetime | None) -> int:
    return remaining_seconds(deadline_at, paused_at or moment)


def integrity_response(*, action: str, after: int, count: int) -> str | None:
    """What an event does once recorded (``count`` includes it): "warn" the candidate, "notify" the proctors (only
    when the count reaches ``after``, so they hear once), or nothing."""
    if action == "warn":
        return "warn"
    if action == "notify" and count == after:
        return "notify"
    return None


def integrity_flagged(*, action: str, after: int, count: int) -> bool:
    """Whether the console marks the candidate for this kind of event."""
    return action == "notify" and count >= after
