"""Response headers that depend on who asked."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

# A view may keep its own policy only if it already forbids shared caches.
_KEPT = ("no-store", "private")


class PrivatePagesMiddleware:
    """Responses to a logged-in user are not stored anywhere: Cache-Control: no-store.

    Every page here is private, and a browser's back button or a shared proxy must not show one
    person's page to the next person at the same computer. A view that already says `private`
    or `no-store` keeps its policy: uploaded images say `private, max-age=3600` (a chapter shows
    many and they never change under their name), so only that person's browser keeps them.
    Anything else, `public` included, becomes `no-store` (export downloads among them).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        policy = response.get("Cache-Control", "").lower()
        if "public" in policy or not any(word in policy for word in _KEPT):
            response["Cache-Control"] = "no-store"
        return response
