"""Language choice (Persian unless the user picked another language) and idle sessions."""

import time

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.rule_reader import rule_in_force
from apps.meter_service.permissions import Role, has_role
from apps.meter_service.reference_data import reference_scope


class ChosenLanguageMiddleware:
    """Activate the language from the language cookie, else the site's default (Persian).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the
    deployment is Persian first, and English is something a user chooses.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


class IdleSessionMiddleware:
    """End a signed-in session after a while without requests (OWASP ASVS 3.3.2).

    Staff sessions (desk, counter offices, agencies) end after STAFF_SESSION_IDLE_MINUTES,
    a subscriber's after SUBSCRIBER_SESSION_IDLE_MINUTES; the session's own expiry follows,
    so the stored session goes too. The time of the last request is written at most once a
    minute, not on every request.
    """

    KEY = "_meter_last_seen"
    WRITE_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        from django.contrib.auth import logout

        minutes = (
            rule_in_force("SUBSCRIBER_SESSION_IDLE_MINUTES")
            if has_role(user, Role.SUBSCRIBER)
            else rule_in_force("STAFF_SESSION_IDLE_MINUTES")
        )
        limit = int(minutes) * 60
        now = int(time.time())
        last_seen = request.session.get(self.KEY)
        if isinstance(last_seen, int) and now - last_seen > limit:
            logout(request)  # flushes the session; the view sees an anonymous user
            return
        if not isinstance(last_seen, int) or now - last_seen >= self.WRITE_EVERY_SECONDS:
            request.session[self.KEY] = now
            request.session.set_expiry(limit)


class RequestSizeMiddleware:
    """Refuse a request body larger than its endpoint takes, before anything reads it.

    Django reads a multipart body of any size into temporary files before a view can say
    no (a 100 MB anonymous POST to /portal/login/ was written to disk). Endpoints that take
    no file (sign-in, status look-up, the bank's callback, language choice) take at most
    METER_SMALL_REQUEST_BYTES; the others at most METER_MAX_REQUEST_BYTES (the largest
    upload, an import file, and its form). The reverse proxy's own limit
    (client_max_body_size) should be the larger of the two; see the README.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        small = request.path.startswith(tuple(settings.METER_SMALL_REQUEST_PATHS))
        limit = settings.METER_SMALL_REQUEST_BYTES if small else settings.METER_MAX_REQUEST_BYTES
        if length > limit:
            return self._too_large(request)
        return self.get_response(request)

    @staticmethod
    def _too_large(request):
        from django.http import HttpResponse, JsonResponse
        from django.utils.translation import gettext

        message = gettext("The request is too large.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"message": message, "extra": {"code": CommonErrorCode.TOO_LARGE}}, status=413
            )
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class ReferenceScopeMiddleware:
    """Each request reads the reference data's generation once, at its first use (see
    reference_data.reference_scope): one cache round trip a request, not one a read."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with reference_scope():
            return self.get_response(request)
