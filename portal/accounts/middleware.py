"""Bureau sessions end after BUREAU_SESSION_IDLE_SECONDS without a request (sliding)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

# When the session's expiry was last pushed forward (a POSIX timestamp in the session).
_REFRESHED_AT = "_bureau_session_refreshed_at"


def touch_bureau_session(request: HttpRequest, user: Any) -> None:
    """Push a bureau user's session expiry to BUREAU_SESSION_IDLE_SECONDS from now.

    Writing the session costs a query, so an expiry set less than
    BUREAU_SESSION_REFRESH_SECONDS ago is left as it is: an idle session therefore ends
    between (idle − refresh) and idle seconds after its last request.
    """
    if not (user is not None and user.is_authenticated and user.is_staff):
        return
    session = request.session
    now = timezone.now().timestamp()
    refreshed_at = session.get(_REFRESHED_AT)
    if (
        isinstance(refreshed_at, int | float)
        and session.get_expiry_age() <= settings.BUREAU_SESSION_IDLE_SECONDS
        and now - refreshed_at < settings.BUREAU_SESSION_REFRESH_SECONDS
    ):
        return
    session.set_expiry(settings.BUREAU_SESSION_IDLE_SECONDS)
    session[_REFRESHED_AT] = now


class BureauSessionIdleMiddleware:
    """After each request of a bureau user, keep its session alive for another idle period.

    Runs inside SessionMiddleware and AuthenticationMiddleware; a session already past its
    expiry never gets here as a signed-in user (the session store treats it as empty).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: a login in this request counts, a logout leaves nothing to keep.
        touch_bureau_session(request, getattr(request, "user", None))
        return response


class UserLanguageMiddleware:
    """A signed-in person's chosen language (`User.language`) wins over the cookie and the
    browser's Accept-Language, so the choice follows them to another browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language and user is not None and user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
