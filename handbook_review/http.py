"""The request type every view sees: LoginRequiredMiddleware guarantees a real user."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from handbook_review.people.models import User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails
