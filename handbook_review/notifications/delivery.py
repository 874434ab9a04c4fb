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
from django.utils import formats, timezone
from django.utils.text import Truncator

from handbook_review.languages import in_each_language
from handbook_review.notifications.models import EmailMode, Event, Notification
from handbook_review.notifications.tasks import send_notification_emails

if TYPE_CHECKING:
    from handbook_review.people.models import User

EXCERPT_CHARS = 500


def notify(
    recipients: Iterable[User],
    *,
    event: Event,
    key: str,
    compose: Callable[[], tuple[str, str]],
    url: str,
) -> list[Notification]:
    """Tell each of `recipients` the same thing, once per event key, in their own language.

    `compose` writes the subject and the body; it is called once per language among the
    recipients, with that language active (`handbook_review.languages`).
    """
    return store(
        [
            Notification(
                recipient=person,
                event=event,
                reasons=[event.value],
                key=key,
                subject=subject,
                body=body,
                url=url,
            )
            for person, (subject, body) in in_each_language(recipients, compose)
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


def excerpt(text: str) -> str:
    """The first words of a text, quoted as e-mail quotes it."""
    short = Truncator(text.strip()).chars(EXCERPT_CHARS)
    return "\n".join(f"> {line}" if line else ">" for line in short.splitlines())


def when(moment: datetime) -> str:
    """A moment as the active language writes it, with the time zone's name."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"
