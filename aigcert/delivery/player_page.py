"""The player page's configuration, shared by the player and by the waiting room that holds the sealed paper."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aigcert.core.api import now
from aigcert.delivery import rules
from aigcert.delivery.models import Attempt


def refusal_text(code: str) -> str:
    texts = {
        rules.NOT_ON_PAPER: _("This item is not on your paper."),
        rules.BAD_OPTION: _("That option is not one of this item's options."),
        rules.BAD_SHAPE: _("This answer is not in the form the item expects."),
        rules.TOO_LONG: _("This answer is too long."),
        rules.UPLOAD_ONLY: _("Hand in files with the upload button."),
        "time_up": _("Time is up. Your exam was submitted with the answers saved before the deadline."),
        "paused": _("Your exam is paused by the proctor. Your answers are kept; wait until it is resumed."),
        "ended": _("The proctor has ended your exam. The answers saved before that are kept."),
        "closed": _("This exam is closed."),
        "superseded": _("This exam is now open in another window or on another device. Continue there, or "
                        "reload this page to continue here."),
        "too_large": _("Too much at once. Please save again."),
        "reload": _("This page has to be reloaded before it can save again. Your answers are kept on this device."),
        "malformed": _("The request could not be read."),
        "login": _("Your login has ended. Log in again; your saved answers are kept."),
        "not_found": _("Not found."),
        "upload_type": _("Files of this type are not accepted for this item."),
        "upload_size": _("The file is larger than this item allows."),
        "upload_content": _("The file's content does not match its type."),
        "upload_empty": _("The file is empty."),
        "stale": _("A newer answer to this item is already saved."),
    }
    return str(texts.get(code, _("The answer could not be saved.")))


def done_url(attempt: Attempt) -> str:
    return reverse("delivery:done", args=[attempt.code])


def player_config_base(request: HttpRequest, *, layout: str, formal: bool) -> dict[str, Any]:
    """What the player needs that is not the attempt's: the same in the waiting room, before the attempt exists."""
    return {
        "layout": layout,
        "formal": formal,
        "csrf": get_token(request),
        "strings": {
            "saved": _("All answers saved"),
            "saving": _("Saving…"),
            "offline": _("Offline: answers are kept on this device and sent when the connection returns."),
            "retrying": _("Connection problem: trying again…"),
            "superseded": refusal_text("superseded"),
            "timeUp": refusal_text("time_up"),
            "refused": _("This answer was not accepted:"),
            "confirmSubmit": _("Submit your exam now? You can't change answers afterwards."),
            "unanswered": _("Unanswered items: %(n)s."),
            "timeLeft": _("Time left"),
            "minutesLeft": _("%(n)s minutes left."),
            "answered": _("answered"),
            "notAnswered": _("not answered"),
            "flagged": _("flagged for review"),
            "item": _("Item %(n)s"),
            "uploading": _("Uploading…"),
            "uploaded": _("Handed in:"),
            "submitting": _("Submitting…"),
            "logIn": _("Log in"),
            "reload": refusal_text("reload"),
            "paused": refusal_text("paused"),
            "fullscreen": _("Full screen"),
            "warning": _("Notice"),
        },
    }


def attempt_config(attempt: Attempt, *, device: str, responses: dict | None = None,
                   warnings: list | None = None) -> dict[str, Any]:
    """The attempt's part of the player's configuration: its addresses, device token, deadline and saved answers."""
    responses = responses or {}
    player_url = reverse("delivery:player", args=[attempt.code])
    return {
        "code": str(attempt.code),
        "device": device,
        "deadline": rules.epoch_ms(attempt.deadline_at),
        "serverNow": rules.epoch_ms(now()),
        "seqBase": max((r.seq for r in responses.values()), default=0) + 1,
        "saved": {slot: {"value": r.value, "flagged": r.flagged, "seq": r.seq} for slot, r in responses.items()},
        "saveUrl": reverse("delivery:autosave", args=[attempt.code]),
        "submitUrl": reverse("delivery:submit", args=[attempt.code]),
        "uploadUrl": reverse("delivery:upload", args=[attempt.code]),
        "doneUrl": done_url(attempt),
        "paused": attempt.paused_at is not None,
        "stateUrl": reverse("delivery:attempt_state", args=[attempt.code]),
        "integrityUrl": reverse("delivery:integrity", args=[attempt.code]),
        "warnings": warnings or [],
        "loginUrl": f"{reverse('accounts:login')}?next={player_url}",
    }


def remember_language(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Autosave then finds the language in the cookie and never has to load the user to pick it."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, get_language(), max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite="Lax")
    return response
