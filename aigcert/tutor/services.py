"""Asking the tutor: checks, retrieval, an answer quoted from the course or written by a language model from it.

An answer is produced as a series of events so that the same code serves the streamed page and the plain form:
``meta`` (citations, related practice), ``delta`` (text as it comes), then ``done`` (the stored message).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, LLMError, NotFound, audit_record, llm_configured, llm_stream, now
from aigcert.delivery import api as delivery
from aigcert.itembank import api as itembank
from aigcert.learning import api as learning
from aigcert.tutor import guards, index, prompts
from aigcert.tutor.models import Conversation, Message, Passage
from aigcert.tutor.policy import tutor_policy

logger = logging.getLogger(__name__)

_streams = threading.BoundedSemaphore(tutor_policy().streams_per_process)

REFUSED_INJECTION = "injection"


@dataclass
class Prepared:
    conversation: Conversation
    question: Message
    refusal: Message | None = None
    citations: list[dict] = field(default_factory=list)
    related: list[dict] = field(default_factory=list)
    sources: list[prompts.Source] = field(default_factory=list)
    practice_text: str = ""
    practice_answered: bool = False


def _excerpt(text: str, limit: int = 360) -> str:
    text = re.sub(r"\n{2,}", "\n", text.strip())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _visible(user, program_code: str, hits: list[index.Hit]) -> list[index.Hit]:
    """Lessons past the preview stay out of answers for someone who hasn't paid for them."""
    if learning.full_access(user, program_code):
        return hits
    previews = learning.preview_lessons(program_code)
    return [h for h in hits if h.passage.source != Passage.Source.LESSON or h.passage.ref in previews]


def _conversation(user, program_code: str, lesson_code: str, conversation_code, title: str) -> Conversation:
    if conversation_code:
        try:
            code = uuid.UUID(str(conversation_code))
        except ValueError:
            raise NotFound() from None
        found = Conversation.objects.filter(code=code, candidate=user).first()
        if found is None:
            raise NotFound()
        return found
    return Conversation.objects.create(candidate=user, program_code=program_code, lesson_code=lesson_code or "",
                                       title=title[:200])


def _refuse(prepared: Prepared, reason: str, text: str) -> Prepared:
    prepared.refusal = Message.objects.create(conversation=prepared.conversation, role=Message.Role.TUTOR,
                                              mode=Message.Mode.REFUSED, text=text, refusal=reason)
    return prepared


class ClosedDuringExam(DomainError):
    pass


def ask_prepare(*, user, text: str, program_code: str, lesson_code: str = "", conversation_code=None,
                practice_version: int | None = None) -> Prepared:
    """Check, store the question, retrieve. DomainError (nothing stored) for bad input and floods;
    ClosedDuringExam (logged) while a formal exam is open; a stored refusal for attempts to override the tutor."""
    question = guards.question_clean(text)
    try:
        lessons = {lesson.code for lesson in catalog.lessons_of(program_code)}
    except NotFound:
        raise DomainError(gettext_lazy("Choose a program first.")) from None
    lesson_code = lesson_code if lesson_code in lessons else ""  # a lesson of another program, or made up
    if delivery.has_open_formal_attempt(user.pk):
        # Refused before anything else, and logged (committed on its own) with what was asked: the exam office may
        # need to see it.
        audit_record(actor=user, action="tutor.refused_formal_exam", target_type="accounts.user",
                     target_id=str(user.pk), data={"program": program_code, "question": question[:500]})
        raise ClosedDuringExam(gettext_lazy("The tutor is closed while your formal exam is open. It opens again "
                                            "when you have submitted."))
    guards.rate_check(user.pk)
    with transaction.atomic():
        return _prepare(user=user, question=question, program_code=program_code, lesson_code=lesson_code,
                        conversation_code=conversation_code, practice_version=practice_version)


def _prepare(*, user, question: str, program_code: str, lesson_code: str, conversation_code,
             practice_version: int | None) -> Prepared:
    conversation = _conversation(user, program_code, lesson_code, conversation_code, question)
    practice = learning.practice_item_of(user.pk, practice_version) if practice_version else None
    message = Message.objects.create(conversation=conversation, role=Message.Role.CANDIDATE,
                                     mode=Message.Mode.QUESTION, text=question,
                                     practice_version=practice.version_id if practice else None)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=now())
    prepared = Prepared(conversation=conversation, question=message)
    if guards.injection_detected(question):
        Conversation.objects.filter(pk=conversation.pk).update(flagged=True)
        audit_record(actor=user, action="tutor.refused_injection", target=message, data={"question": question[:500]})
        return _refuse(prepared, REFUSED_INJECTION, _(
            "I can't do that: I only help with the course, and I keep my instructions to myself. Ask me about a "
            "lesson, a concept or a practice question."))
    policy = tutor_policy()
    query = question
    if practice is not None:
        query = f"{question}\n{practice.stem_text}"
        prepared.practice_text = practice.stem_text
        prepared.practice_answered = practice.answered
        if practice.answered:
            review = itembank.versions_review([practice.version_id]).get(practice.version_id)
            if review is not None:
                prepared.practice_text += (f"\nAnswer: {', '.join(review.key_display)}\n"
                                           f"Explanation: {itembank.plain_text(review.explanation_html)}")
    quotable = [h for h in index.search(program_code, query, k=20, kinds=index.QUOTABLE)
                if h.score >= policy.min_score]
    quotable = _visible(user, program_code, quotable)
    practice_hits = [h for h in index.search(program_code, query, k=policy.related_practice, kinds=index.PRACTICE)
                     if h.score >= policy.min_score]
    # The index is refreshed daily and on lesson saves; an item moved to the formal pool since is dropped here.
    still_practice = itembank.practice_allowed([int(h.passage.ref) for h in practice_hits], only=True)
    practice_hits = [h for h in practice_hits if int(h.passage.ref) in still_practice]
    for n, hit in enumerate(quotable[:policy.passages_to_model], start=1):
        passage = hit.passage
        prepared.sources.append(prompts.Source(n=n, title=passage.title, text=passage.text))
        prepared.citations.append({"n": n, "title": passage.title, "url": passage.url, "source": passage.source,
                                   "excerpt": _excerpt(passage.text)})
    area_of = {h.passage.ref: h.passage.anchor.split(".")[0] for h in practice_hits}
    prepared.related = [{"text": _excerpt(re.sub(r"\[\[\d+\]\]", "____", h.passage.title), 160),
                         "url": f"/learn/{program_code}/#practice", "area": area_of.get(h.passage.ref, "")}
                        for h in practice_hits[:policy.related_practice]]
    return prepared


def _quote_text(prepared: Prepared, shown: list[dict], *, after_failure: bool) -> str:
    if not shown:
        return _("I couldn't find this in the course material. Try other words, name the lesson or the tool, or ask "
                 "a human tutor.")
    lead = (_("The language model didn't answer in time, so here are the most relevant passages of the course:")
            if after_failure else
            _("No language model is set up, so I am quoting the course: these passages are the most relevant to "
              "your question."))
    if prepared.practice_text and not prepared.practice_answered:
        lead += " " + _("I won't give away the answer to the practice question; these passages should help you "
                        "reason it out.")
    lines = [lead]
    for c in shown:
        lines.append(f"[{c['n']}] {c['title']}\n{c['excerpt']}")
    return "\n\n".join(lines)


def _store(prepared: Prepared, *, mode: str, text: str, citations: list[dict], llm_error: str = "") -> Message:
    message = Message.objects.create(conversation=prepared.conversation, role=Message.Role.TUTOR, mode=mode,
                                     text=text, citations=citations, related=prepared.related, llm_error=llm_error)
    Conversation.objects.filter(pk=prepared.conversation.pk).update(updated_at=now())
    return message


def _quotes(prepared: Prepared, *, after_failure: bool = False, llm_error: str = "") -> Iterator[dict]:
    shown = prepared.citations[:tutor_policy().passages_shown]
    text = _quote_text(prepared, shown, after_failure=after_failure)
    if after_failure:
        yield {"type": "fallback", "reason": llm_error}
    yield {"type": "meta", "citations": shown, "related": prepared.related, "mode": "quotes"}
    yield {"type": "delta", "text": text}
    mode = Message.Mode.FALLBACK if after_failure else Message.Mode.QUOTES
    yield {"type": "done", "message": _store(prepared, mode=mode, text=text, citations=shown, llm_error=llm_error)}


def _cited(text: str, citations: list[dict]) -> list[dict]:
    """The citations the generated text actually refers to (a model may cite fewer passages than it got)."""
    used = {int(n) for n in re.findall(r"\[(\d{1,2})\]", text)}
    return [c for c in citations if c["n"] in used]


def answer_events(prepared: Prepared) -> Iterator[dict]:
    """The tutor's answer as events. Quotes without a language model; with one, a generated answer streamed, and
    quotes again if the model is down, slow or talks nonsense."""
    if prepared.refusal is not None:
        yield {"type": "meta", "citations": [], "related": [], "mode": "refused"}
        yield {"type": "delta", "text": prepared.refusal.text}
        yield {"type": "done", "message": prepared.refusal}
        return
    if not llm_configured() or not prepared.sources:
        yield from _quotes(prepared)
        return
    messages = prompts.chat_messages(question=prepared.question.text, sources=prepared.sources,
                                     practice=prepared.practice_text, answered=prepared.practice_answered)
    # A streamed answer holds a server thread for as long as the model writes; the exam's requests share those
    # threads, so only a few streams run at once and the rest get the quoted course straight away.
    if not _streams.acquire(blocking=False):
        yield from _quotes(prepared, after_failure=True, llm_error="busy")
        return
    pieces: list[str] = []
    try:
        try:
            stream = llm_stream(messages=messages, max_tokens=tutor_policy().answer_max_tokens)
        except LLMError as error:
            yield from _quotes(prepared, after_failure=True, llm_error=error.code)
            return
        yield {"type": "meta", "citations": prepared.citations, "related": prepared.related, "mode": "generated"}
        try:
            with stream:
                for piece in stream:
                    pieces.append(piece)
                    yield {"type": "delta", "text": piece}
        except LLMError as error:
            logger.warning("tutor: language model failed mid-answer: %s", error.code)
            yield {"type": "reset"}
            yield from _quotes(prepared, after_failure=True, llm_error=error.code)
            return
    finally:
        _streams.release()
    text = "".join(pieces).strip()
    if not text:
        yield {"type": "reset"}
        yield from _quotes(prepared, after_failure=True, llm_error="bad_reply")
        return
    cited = _cited(text, prepared.citations)
    yield {"type": "done", "message": _store(prepared, mode=Message.Mode.GENERATED, text=text, citations=cited)}


def answer_complete(prepared: Prepared) -> Message:
    """Run the answer to its end (the page without JavaScript, and tests)."""
    message = None
    for event in answer_events(prepared):
        if event["type"] == "done":
            message = event["message"]
    assert message is not None
    return message


def message_feedback(*, user, message_id: int, helpful: bool) -> Message:
    message = Message.objects.filter(pk=message_id, conversation__candidate=user, role=Message.Role.TUTOR).first()
    if message is None:
        raise NotFound()
    message.feedback = Message.Feedback.HELPFUL if helpful else Message.Feedback.NOT_HELPFUL
    message.save(update_fields=["feedback", "updated_at"])
    if not helpful:
        Conversation.objects.filter(pk=message.conversation_id).update(flagged=True)
    return message


@transaction.atomic
def conversation_flag(*, actor, conversation: Conversation, flagged: bool, note: str = "") -> None:
    Conversation.objects.filter(pk=conversation.pk).update(flagged=flagged)
    audit_record(actor=actor, action="tutor.conversation_reviewed", target=conversation,
                 data={"flagged": flagged, "note": note[:500]})


