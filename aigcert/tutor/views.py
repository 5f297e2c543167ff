"""The tutor's pages: the chat (streamed with JavaScript, a plain form without), history, feedback, staff review."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, llm_configured
from aigcert.delivery import api as delivery
from aigcert.learning import api as learning
from aigcert.tutor import guards, services
from aigcert.tutor.models import Conversation, Message


def _number(text: str) -> int | None:
    """A posted id, or None for anything that isn't a plain number a database key can hold."""
    return int(text) if text.isdecimal() and len(text) <= 18 else None


def _closed_during_exam(request: HttpRequest) -> HttpResponse | None:
    """Past answers stay out of reach too while the candidate's formal exam is open, not only new ones."""
    if delivery.has_open_formal_attempt(request.user.pk):
        return render(request, "learning/closed_during_exam.html", status=409)
    return None


def _programs(user) -> list[tuple[str, str, bool]]:
    """(code, name, full access) of the open programs: the tutor quotes only what the candidate may read."""
    return [(p.code, p.name, learning.full_access(user, p.code)) for p in catalog.program_list_open()]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    conversations = Conversation.objects.filter(candidate=request.user)[:50]
    programs = _programs(request.user)
    chosen = request.GET.get("program") or next((c for c, _n, full in programs if full), programs[0][0]
                                                  if programs else "")
    practice = request.GET.get("practice", "")
    number = _number(practice)
    item = learning.practice_item_of(request.user.pk, number) if number is not None else None
    if item is not None:
        chosen = item.program_code
    return render(request, "tutor/home.html", {"conversations": conversations, "programs": programs,
                                               "chosen": chosen, "llm": llm_configured(), "practice_item": item})


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _message_json(message: Message) -> dict:
    return {"id": message.pk, "mode": message.mode, "text": message.text, "citations": message.citations,
            "related": message.related, "feedback_url": reverse("tutor:feedback", args=[message.pk])}


def _sse(prepared: services.Prepared, language: str) -> Iterator[str]:
    # The body is written after the view has returned and the middleware has switched the language back: answer
    # in the language of the request that asked.
    with translation.override(language):
        yield _event("conversation", {"code": str(prepared.conversation.code),
                                      "url": reverse("tutor:conversation", args=[prepared.conversation.code])})
        for event in services.answer_events(prepared):
            kind = event.pop("type")
            if kind == "done":
                yield _event("done", _message_json(event["message"]))
            else:
                yield _event(kind, event)


@login_required
@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    wants_stream = "text/event-stream" in request.headers.get("Accept", "")
    practice = request.POST.get("practice", "")
    try:
        prepared = services.ask_prepare(
            user=request.user, text=request.POST.get("text", ""), program_code=request.POST.get("program", ""),
            lesson_code=request.POST.get("lesson", ""), conversation_code=request.POST.get("conversation") or None,
            practice_version=_number(practice))
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        status = 429 if isinstance(error, guards.RateLimited) else (
            409 if isinstance(error, services.ClosedDuringExam) else 400)
        if wants_stream:
            return JsonResponse({"error": str(error)}, status=status)
        messages.error(request, str(error))
        back = request.POST.get("back", "")
        safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure())
        return redirect(back if back and safe else reverse("tutor:home"))
    if wants_stream:
        response = StreamingHttpResponse(_sse(prepared, translation.get_language()),
                                         content_type="text/event-stream; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
    services.answer_complete(prepared)
    return redirect("tutor:conversation", code=prepared.conversation.code)


@login_required
def conversation(request: HttpRequest, code) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    found = Conversation.objects.filter(code=code, candidate=request.user).first()
    if found is None:
        raise Http404
    return render(request, "tutor/conversation.html", {
        "conversation": found, "messages_list": found.messages.all(), "llm": llm_configured(),
        "program_name": _name(found.program_code)})


def _name(program_code: str) -> str:
    try:
        return catalog.program_name(program_code)
    except NotFound:
        return program_code


@login_required
@require_POST
def feedback(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        message = services.message_feedback(user=request.user, message_id=message_id,
                                            helpful=request.POST.get("helpful") == "1")
    except NotFound:
        raise Http404 from None
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"feedback": message.feedback})
    return redirect("tutor:conversation", code=message.conversation.code)


def _reviewable(request: HttpRequest):
    """The conversations this reviewer may read: platform staff all of them, a tutor those of their programs."""
    if accounts.user_has_any_role(request.user, (accounts.Role.STAFF,)):
        return Conversation.objects.select_related("candidate")
    if accounts.user_has_any_role(request.user, (accounts.Role.TUTOR,)):
        return Conversation.objects.select_related("candidate").filter(
            program_code__in=learning.tutor_programs(request.user))
    raise Http404


@login_required
def review(request: HttpRequest) -> HttpResponse:
    conversations = _reviewable(request)
    shown = request.GET.get("show", "flagged")
    if shown == "flagged":
        conversations = conversations.filter(flagged=True)
    elif shown == "not_helpful":
        conversations = conversations.filter(messages__feedback=Message.Feedback.NOT_HELPFUL).distinct()
    elif shown == "refused":
        conversations = conversations.filter(messages__mode=Message.Mode.REFUSED).distinct()
    return render(request, "tutor/review.html", {"conversations": conversations[:200], "shown": shown})


@login_required
def review_detail(request: HttpRequest, code) -> HttpResponse:
    found = _reviewable(request).filter(code=code).first()
    if found is None:
        raise Http404
    if request.method == "POST":
        services.conversation_flag(actor=request.user, conversation=found, flagged=request.POST.get("flagged") == "1",
                                   note=request.POST.get("note", ""))
        messages.success(request, _("Review saved."))
        return redirect("tutor:review_detail", code=code)
    return render(request, "tutor/review_detail.html", {"conversation": found, "messages_list": found.messages.all()})
