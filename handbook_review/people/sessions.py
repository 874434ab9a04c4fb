"""Sessions end after SESSION_IDLE_TIMEOUT minutes without a request, and SESSION_COOKIE_AGE
seconds after the login however active they are; besides, the session hash ends them on a
password change or "log out everywhere"."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_SEEN = "last_seen"
LOGGED_IN_AT = "logged_in_at"
# The time of the last request is written at most once a minute, not on every request (which
# would save the session every time).
RESOLUTION = 60


def mark_seen(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On login (user_logged_in): the session starts its idle clock now."""
    request.session[LAST_SEEN] = request.session[LOGGED_IN_AT] = int(time.time())


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN)
        logged_in_at = request.session.get(LOGGED_IN_AT)
        idle = settings.SESSION_IDLE_TIMEOUT
        if isinstance(last_seen, int) and now - last_seen > idle * 60:
            return self._end(
                request,
                _("You were logged out after %(minutes)d minutes without activity.")
                % {"minutes": idle},
            )
        # Django moves a session's expiry on with every save; the login time does not move.
        if isinstance(logged_in_at, int) and now - logged_in_at > settings.SESSION_COOKIE_AGE:
            return self._end(request, _("Your session has ended. Please log in again."))
        if not isinstance(last_seen, int) or now - last_seen >= RESOLUTION:
            request.session[LAST_SEEN] = now
        return self.get_response(request)

    def _end(self, request: HttpRequest, message: str) -> HttpResponse:
        auth.logout(request)
        messages.info(request, message)
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
