"""Sessions end after SESSION_IDLE_TIMEOUT minutes without a request, besides their absolute
lifetime (SESSION_COOKIE_AGE) and the session hash (a password change, "log out everywhere")."""

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
# The time of the last request is written at most once a minute, not on every request (which
# would save the session every time).
RESOLUTION = 60


def mark_seen(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On login (user_logged_in): the session starts its idle clock now."""
    request.session[LAST_SEEN] = int(time.time())


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN)
            if isinstance(last_seen, int) and now - last_seen > settings.SESSION_IDLE_TIMEOUT * 60:
                auth.logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_TIMEOUT},
                )
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
            if not isinstance(last_seen, int) or now - last_seen >= RESOLUTION:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
