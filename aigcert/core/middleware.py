from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class DefaultLanguageMiddleware:
    """Pick the language from the visitor's explicit choice only, never from Accept-Language.

    The platform is Chinese first: a visitor who has not used the language switch sees zh-Hans
    even if their browser prefers English. A signed-in user's saved choice applies on a new device.
    Runs after AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        with self.activated(request):
            return self.finish(request, self.get_response(request))

    @contextmanager
    def activated(self, request):
        """The visitor's language, active for what runs inside (the exam's hot path calls this directly)."""
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            user = getattr(request, "user", None)
            language = getattr(user, "language", None) if getattr(user, "is_authenticated", False) else None
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            yield language
        finally:
            translation.deactivate()

    def finish(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
