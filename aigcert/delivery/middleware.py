"""The exam's three hot requests — the start, an autosave, the submit — taken through Django the short way.

At the unlock and in the last minute every candidate makes one of them at once, and on a small machine the CPU each
one costs is what the load targets measure. These POSTs need only the session, the CSRF check, the language and
the lazy user (which none of them loads on its way: each checks the session against the account columns it reads
with its own row); this middleware, placed right after SecurityMiddleware, gives them exactly that and calls the
view itself, skipping the URL resolver and the rest of the middleware (static files, messages, the rest of
CommonMiddleware after its host check), which have nothing to do for a JSON POST. Every other request passes
straight through.

The views are the same ones the URLconf names, so a test through Django's client exercises this path too. See
ADR 0011.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware

from aigcert.core.api import DefaultLanguageMiddleware
from aigcert.delivery import examday_views, views

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # Django's <uuid:…> converter
# The same addresses as urls.py's autosave, submit and exam_day_start (a test checks that they resolve alike).
HOT_PATH = re.compile(rf"/exam/(?:(?P<code>{_UUID})/(?P<kind>save|submit)|session/(?P<session_code>{_UUID})/start)/")


def _passthrough(request: HttpRequest) -> HttpResponse:  # the inner get_response the borrowed middleware never call
    raise AssertionError("not used")


class ExamHotPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.sessions = SessionMiddleware(_passthrough)
        self.auth = AuthenticationMiddleware(_passthrough)
        self.csrf = CsrfViewMiddleware(_passthrough)
        self.language = DefaultLanguageMiddleware(_passthrough)
        self.frames = XFrameOptionsMiddleware(_passthrough)
        self.views = {"save": views.autosave, "submit": views.submit, "start": examday_views.exam_day_start}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = HOT_PATH.fullmatch(request.path_info) if request.method == "POST" else None  # as the resolver
        if match is None:
            return self.get_response(request)
        try:
            request.get_host()  # CommonMiddleware's check: a Host not in ALLOWED_HOSTS is refused (400) and logged
        except DisallowedHost as exc:
            return response_for_exception(request, exc)
        if match["kind"]:
            view, kwargs = self.views[match["kind"]], {"code": uuid.UUID(match["code"])}
        else:
            view, kwargs = self.views["start"], {"session_code": uuid.UUID(match["session_code"])}
        # What SessionMiddleware, CsrfViewMiddleware, AuthenticationMiddleware and DefaultLanguageMiddleware do on
        # the way in, in their order; their own methods, so their rules (and their settings) stay theirs.
        self.sessions.process_request(request)
        self.csrf.process_request(request)
        self.auth.process_request(request)
        with self.language.activated(request):
            response = self.csrf.process_view(request, view, (), kwargs)
            if response is None:
                try:
                    response = view(request, **kwargs)
                except Exception as exc:  # Http404 and the rest become their response, as Django's
                    response = response_for_exception(request, exc)  # handler makes it, inside the language
            response = self.language.finish(request, response)
        response = self.csrf.process_response(request, response)
        response = self.frames.process_response(request, response)
        if not response.streaming and "Content-Length" not in response:  # as CommonMiddleware: no chunked reply
            response.headers["Content-Length"] = str(len(response.content))
        return self.sessions.process_response(request, response)
