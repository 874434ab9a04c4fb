"""Who hears of what on the chapters floor: review rounds opening, closing soon and closed, and
new editions. Each notice goes to the people the policy lets read the handbook (and, for a round,
whose jurisdiction it invites), through the ground floor's notifications.delivery.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from chapters import policies
from chapters.models import Edition, Round
from chapters.review import REMINDER_BEFORE_CLOSE
from handbook_review import clock
from handbook_review.notifications.delivery import excerpt, notify, when
from handbook_review.notifications.models import Event, Notification
from handbook_review.people.models import User

# The round reminder goes out this long before a round closes.
REMINDER_BEFORE = REMINDER_BEFORE_CLOSE


# --- Review rounds (time-based: see sweep_rounds)


def notify_round(round: Round, event: Event) -> list[Notification]:
    chapters = "\n".join(f"- {chapter}" for chapter in round.chapters.order_by("number"))

    def compose() -> tuple[str, str]:
        names = {
            "round": round.name,
            "handbook": round.handbook,
            "opens": when(round.opens_at),
            "closes": when(round.closes_at),
        }
        if event == Event.ROUND_OPENED:
            subject = _("Review round “%(round)s” of %(handbook)s is open") % names
            opening = _(
                "The review round “%(round)s” is open for your jurisdiction until %(closes)s."
            )
        elif event == Event.ROUND_CLOSING:
            subject = _("Review round “%(round)s” of %(handbook)s closes in 48 hours") % names
            opening = _(
                "The review round “%(round)s” closes on %(closes)s. Comments, suggestions and "
                "sign-offs can be made until then."
            )
        else:
            subject = _("Review round “%(round)s” of %(handbook)s has closed") % names
            opening = _(
                "The review round “%(round)s” closed on %(closes)s. Thank you for taking part."
            )
        body = "\n\n".join([opening % names, _("Chapters in the round:") + "\n" + chapters])
        return subject, body

    # An extended round has a new deadline: its reminder and closing notice are new events.
    key = f"round:{round.pk}:{event.value}"
    if event != Event.ROUND_OPENED:
        key += f":{int(round.closes_at.timestamp())}"
    return notify(
        policies.rounds.invited(round),
        event=event,
        key=key,
        compose=compose,
        url=reverse("chapters:round", args=[round.handbook.slug, round.pk]),
    )


def claim(rounds: models.QuerySet[Round], round: Round, field: str, at: datetime) -> bool:
    """Set the round's bookkeeping field if no one has: True for the one sweep that did."""
    return rounds.filter(pk=round.pk, **{f"{field}__isnull": True}).update(**{field: at}) == 1


def sweep_rounds(at: datetime | None = None) -> list[tuple[Round, Event]]:
    """Send the round notices that are due at `at` (default: now), each once per round.

    Run every few minutes (`manage.py notify_rounds`). Each notice is claimed by a conditional
    UPDATE of its bookkeeping field (…_at IS NULL) in the transaction that stores its
    notifications, so two sweeps running at once never both send it. The rules:

    - opened: once the round has opened; if it has closed already by then, the opening is old
      news and is not sent (the field is still set).
    - closing: 48 hours before it closes, if the opening notice went out before that mark. When
      a round opens less than 48 hours before it closes, or the opening was announced late, the
      opening notice (which says when the round closes) is the reminder. An extended round whose
      new close is more than 48 hours after its opening notice gets its reminder then.
    - closed: once it has closed, if its opening was announced while it was open; people who
      were never told a round opened are not told it closed.
    """
    at = at or clock.now()
    sent: list[tuple[Round, Event]] = []
    rounds = Round.objects.all()
    for round in rounds.filter(opens_at__lte=at, announced_open_at__isnull=True):
        with transaction.atomic():
            if claim(rounds, round, "announced_open_at", at) and round.closes_at > at:
                notify_round(round, Event.ROUND_OPENED)
                sent.append((round, Event.ROUND_OPENED))
    reminder_due = Q(
        announced_open_at__lt=F("closes_at") - REMINDER_BEFORE,
        closes_at__lte=at + REMINDER_BEFORE,
        closes_at__gt=at,
        reminded_at__isnull=True,
    )
    for round in rounds.filter(reminder_due):
        with transaction.atomic():
            if rounds.filter(reminder_due, pk=round.pk).update(reminded_at=at) == 1:
                notify_round(round, Event.ROUND_CLOSING)
                sent.append((round, Event.ROUND_CLOSING))
    for round in rounds.filter(closes_at__lte=at, announced_closed_at__isnull=True):
        with transaction.atomic():
            announced = round.announced_open_at is not None and (
                round.announced_open_at < round.closes_at
            )
            if claim(rounds, round, "announced_closed_at", at) and announced:
                notify_round(round, Event.ROUND_CLOSED)
                sent.append((round, Event.ROUND_CLOSED))
    return sent


# --- Editions


def notify_edition(edition: Edition) -> list[Notification]:
    """Tell everyone taking part in the handbook (but the publisher) of a new edition."""
    edition = Edition.objects.select_related("handbook", "published_by").get(pk=edition.pk)
    names = {"label": edition.label, "title": edition.title}

    def compose() -> tuple[str, str]:
        lines = [
            _("%(publisher)s published edition %(label)s of “%(title)s”.")
            % {**names, "publisher": edition.published_by}
        ]
        if edition.release_notes:
            lines.append(_("Release notes:") + "\n" + excerpt(edition.release_notes))
        subject = _("Edition %(label)s of “%(title)s” is published") % names
        return subject, "\n\n".join(lines)

    return notify(
        policies.editions.users_who_can("view", edition).exclude(pk=edition.published_by_id),
        event=Event.EDITION_PUBLISHED,
        key=f"edition:{edition.pk}",
        compose=compose,
        url=edition.get_absolute_url(),
    )


# --- Invitations (handbook_review/people/invitations.py asks, through register_handbooks)


def handbooks_for_invitation(user: User) -> list[str]:
    """The handbooks an invitee will review because their jurisdiction takes part in them; none
    for someone who reads every handbook (an editor): the invitation names the site instead."""
    if policies.handbooks.can(user, "see_drafts"):
        return []
    found = policies.handbooks.visible_to(user).order_by("title")
    return list(found.values_list("title", flat=True))
