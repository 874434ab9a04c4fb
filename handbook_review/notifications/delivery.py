"""The small API the domain calls to tell people of something: recipients, event key, text, link.

`notify` stores one notification per person (a person who already has one for the event key gets
nothing new) and queues the e-mail of those who want it at once, after the commit. Nothing here
knows what the event is about: the caller has already decided who may hear of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import Truncator

from handbook_review import dates
from handbook_review.languages import in_each_language
from handbook_review.notifications.models import EmailMode, Event, Notification
from handbook_review.notifications.tasks import send_notification_emails

if TYPE_CHECKING:
    from handbook_review.people.models import User

EXCERPT_CHARS = 500
# What the list shows of a notification's words (Notification.quote, Notification.said).
QUOTE_CHARS = 120
SAID_CHARS = 200
SAID_LINES = 3


def notify(
    recipients: Iterable[User],
    *,
    event: Event,
    key: str,
    compose: Callable[[], tuple[str, str]],
    url: str,
    about: Callable[[], str] | None = None,
    quote: str = "",
    said: str = "",
) -> list[Notification]:
    """Tell each of `recipients` the same thing, once per event key, in their own language.

    `compose` writes the subject and the body, `about` the name of the item it is about
    ("Suggestion #12"); each is called once per language among the recipients, with that
    language active (`handbook_review.languages`). `quote` (the words of the text it is on) and
    `said` (what was said) are people's own words, the same in every language; they are
    shortened here (`quoted`, `first_lines`).
    """

    def written() -> tuple[str, str, str]:
        subject, body = compose()
        return subject, body, about() if about is not None else ""

    return store(
        [
            Notification(
                recipient=person,
                event=event,
                reasons=[event.value],
                key=key,
                subject=subject,
                body=body,
                about=named,
                quote=quoted(quote),
                said=first_lines(said),
                url=url,
            )
            for person, (subject, body, named) in in_each_language(recipients, written)
        ]
    )


def store(rows: list[Notification]) -> list[Notification]:
    """Insert the notifications of one event, skipping any a person already has for it.

    For events whose text differs per person (a reply that also mentions you); the caller writes
    each row in its recipient's language (`handbook_review.languages.speaking`). The e-mail task
    for those who want immediate e-mail is queued once the rows are committed; it sends each
    notification at most once, so a repeated event sends nothing new.
    """
    if not rows:
        return []
    keys = {row.key for row in rows}
    recipients = {row.recipient_id for row in rows}
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        stored = Notification.objects.filter(key__in=keys, recipient_id__in=recipients)
        to_email = list(
            stored.not_emailed().wanting(EmailMode.IMMEDIATE).values_list("pk", flat=True)
        )
        if to_email:
            transaction.on_commit(partial(send_notification_emails.enqueue, to_email), robust=True)
    return list(stored)


def forget_words(key: str) -> int:
    """Blank what was said in the notifications of one event (a comment its author deleted or
    an editor hid): the list shows it no more. E-mails already sent are beyond recall."""
    return Notification.objects.filter(key=key).exclude(said="").update(said="")


def quoted(words: str) -> str:
    """The words of the text a notification is about, on one line and cut short."""
    return Truncator(" ".join(words.split())).chars(QUOTE_CHARS)


def first_lines(text: str) -> str:
    """The first lines of what was said, cut short: enough to recognise it in a list."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    shown = "\n".join(lines[:SAID_LINES])
    if len(lines) > SAID_LINES and len(shown) < SAID_CHARS:
        shown += " …"
    return Truncator(shown).chars(SAID_CHARS)


def excerpt(text: str) -> str:
    """The first words of a text, quoted as e-mail quotes it."""
    short = Truncator(text.strip()).chars(EXCERPT_CHARS)
    return "\n".join(f"> {line}" if line else ">" for line in short.splitlines())


def when(at: datetime) -> str:
    """A moment as the active language writes it, with the time zone's name: as the pages
    write it (handbook_review.dates)."""
    return dates.moment(at)
