"""E-mailing notifications, in the background (`manage.py db_worker` runs these tasks).

Each notification is e-mailed at most once: it is locked, sent and marked `emailed_at` in one
transaction, so a retried task or two workers never send it twice. A failed send leaves it
unmarked (the transaction rolls back) and the task fails, to be seen in the task results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from handbook_review import clock
from handbook_review.languages import speaking
from handbook_review.notifications.models import EmailMode, Notification, Preference

if TYPE_CHECKING:
    from handbook_review.people.models import User

SUBJECT_PREFIX = "[Handbook Review] "
# A digest lists at most this many; the rest are a link away.
DIGEST_MAX = 50


def site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def footer() -> str:
    return _(
        "You get this e-mail because you take part in a review on Handbook Review.\n"
        "Choose how you are notified: %(url)s"
    ) % {"url": site_url(reverse("notifications:settings"))}


def message(recipient: User, subject: str, body: str) -> EmailMessage:
    return EmailMessage(
        subject=SUBJECT_PREFIX + subject,
        body=body,
        to=[recipient.email],
    )


def single(notification: Notification) -> EmailMessage:
    """One notification as an e-mail, in its recipient's language (so is the notification)."""
    with speaking(notification.recipient):
        return _single(notification)


def _single(notification: Notification) -> EmailMessage:
    recipient = notification.recipient
    body = "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": recipient.name or recipient.email},
            notification.body,
            _("Open it: %(url)s") % {"url": site_url(notification.url)},
            "-- \n" + footer(),
        ]
    )
    return message(recipient, notification.subject, body)


@task
def send_notification_emails(ids: list[int]) -> int:
    """E-mail each of these notifications whose recipient wants e-mail at once; return how many.

    Skips those already e-mailed (a retry, or a repeated event), and people who chose the daily
    digest or no e-mail since the notification was made.
    """
    sent = 0
    with mailers.default as mailer:
        for pk in ids:
            with transaction.atomic():
                notification = (
                    Notification.objects.select_for_update(of=("self",))
                    .select_related("recipient")
                    .filter(pk=pk, emailed_at__isnull=True, recipient__is_active=True)
                    .wanting(EmailMode.IMMEDIATE)
                    .first()
                )
                if notification is None or not notification.recipient.email:
                    continue
                mailer.send_messages([single(notification)])
                notification.emailed_at = clock.now()
                notification.save(update_fields=["emailed_at"])
                sent += 1
    return sent


def digest(preference: Preference, notifications: list[Notification]) -> EmailMessage:
    """The day's notifications in one e-mail, in the recipient's language."""
    with speaking(preference.user):
        return _digest(preference, notifications)


def _digest(preference: Preference, notifications: list[Notification]) -> EmailMessage:
    user = preference.user
    count = len(notifications)
    shown = notifications[:DIGEST_MAX]
    # Each with the item it is about, by its number ("Comment #12"), as the page names it.
    items = [
        f"- {n.subject}" + (f" ({n.about})" if n.about else "") + f"\n  {site_url(n.url)}"
        for n in shown
    ]
    if count > len(shown):
        items.append(
            _("… and %(n)s more: %(url)s")
            % {"n": count - len(shown), "url": site_url(reverse("notifications:list"))}
        )
    body = "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": user.name or user.email},
            ngettext(
                "Here is what happened since your last digest (%(n)s notification):",
                "Here is what happened since your last digest (%(n)s notifications):",
                count,
            )
            % {"n": count},
            "\n\n".join(items),
            "-- \n" + footer(),
        ]
    )
    subject = ngettext(
        "Your daily digest: %(n)s notification", "Your daily digest: %(n)s notifications", count
    ) % {"n": count}
    return message(user, subject, body)


@task
def send_digests() -> int:
    """Send each person who chose the daily digest one e-mail of their new notifications.

    A digest lists the notifications not e-mailed yet and not already read in the app (newest
    last), then marks them e-mailed, so the next digest starts where this one ended. Each person
    is one transaction, locked on their preference: two runs at once send one digest.
    """
    waiting = (
        Notification.objects.not_emailed()
        .unread()
        .wanting(EmailMode.DIGEST)
        .filter(recipient__is_active=True)
        .exclude(recipient__email="")
    )
    people = set(waiting.values_list("recipient_id", flat=True))
    sent = 0
    with mailers.default as mailer:
        for user_id in sorted(people):
            with transaction.atomic():
                preference = (
                    Preference.objects.select_for_update(of=("self",))
                    .select_related("user")
                    .get(user_id=user_id)
                )
                notifications = list(
                    waiting.filter(recipient_id=user_id).order_by("created_at", "pk")
                )
                if preference.email != EmailMode.DIGEST or not notifications:
                    continue
                mailer.send_messages([digest(preference, notifications)])
                now = clock.now()
                Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                    emailed_at=now
                )
                preference.last_digest_at = now
                preference.save(update_fields=["last_digest_at"])
                sent += 1
    return sent
