"""Which language a person reads: pages follow their choice, e-mails follow the recipient.

A person's choice is stored on the user (`User.language`) and follows them to every device; before
they choose, the language cookie (set by the menu on the login page) and then the browser's
Accept-Language decide, through Django's LocaleMiddleware. Whatever is written for someone else
(a notification, an e-mail, an invitation) is composed in *their* language with `speaking(user)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

if TYPE_CHECKING:
    from handbook_review.people.models import User

CODES = frozenset(code for code, _name in settings.LANGUAGES)


def language_of(user: User | None) -> str:
    """The language to write to this person in: their choice, else the site's default."""
    chosen = getattr(user, "language", "") or ""
    return chosen if chosen in CODES else settings.LANGUAGE_CODE


@contextmanager
def speaking(user: User | None) -> Iterator[str]:
    """Compose what is inside in the person's language (and give that language's code)."""
    language = language_of(user)
    with translation.override(language):
        yield language


def by_language(people: Iterable[User]) -> dict[str, list[User]]:
    """People grouped by the language they read, so a text is composed once per language."""
    groups: dict[str, list[User]] = defaultdict(list)
    for person in people:
        groups[language_of(person)].append(person)
    return dict(groups)


def in_each_language[T](
    people: Iterable[User], compose: Callable[[], T]
) -> Iterator[tuple[User, T]]:
    """(person, what `compose` wrote in that person's language), composing once per language."""
    for language, group in by_language(people).items():
        with translation.override(language):
            text = compose()
        for person in group:
            yield person, text


class UserLanguageMiddleware:
    """Activate a logged-in person's stored language (after AuthenticationMiddleware).

    LocaleMiddleware has already chosen from the cookie and Accept-Language; a stored choice wins
    over both, so a person reads their language on any device.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen in CODES and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]
        return self.get_response(request)
