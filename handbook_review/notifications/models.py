"""Notifications: what happened that concerns someone, shown in the app and sent by e-mail.

Each event makes at most one row per person, keyed by the event (`comment:12`, `round:3:opened`):
the unique (recipient, key) constraint is what makes a repeated event, a retried task or two
concurrent sweeps harmless. Rows are written where the event happens (notifications/delivery.py);
e-mails go out from a background task (notifications/tasks.py) after the commit.

This is a service of the ground floor: it knows nothing of handbooks, chapters or comments. Who
hears of what is decided by the domain (chapters/notices.py, comments/notices.py), which asks its
permission policies and hands over recipients, an event key, a text and a link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User


class Event(models.TextChoices):
    REPLY = "reply", gettext_lazy("Reply in your thread")
    MENTION = "mention", gettext_lazy("Mention")
    DECISION = "decision", gettext_lazy("Decision on your suggestion")
    DISPOSITION = "disposition", gettext_lazy("Disposition of your comment")
    ANSWER = "answer", gettext_lazy("Answer to a disposition")
    ROUND_OPENED = "round_opened", gettext_lazy("Review round opened")
    ROUND_CLOSING = "round_closing", gettext_lazy("Review round closing soon")
    ROUND_CLOSED = "round_closed", gettext_lazy("Review round closed")
    EDITION_PUBLISHED = "edition_published", gettext_lazy("Edition published")
    # A coordinator held back or merged your comment; a jurisdiction voted on a chapter.
    POSITION = "position", gettext_lazy("Your comment consolidated by your coordinator")
    VOTE = "vote", gettext_lazy("A jurisdiction's vote on a chapter")


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", gettext_lazy("Immediately: one e-mail per notification")
    DIGEST = "digest", gettext_lazy("Once a day: one e-mail listing them all")
    OFF = "off", gettext_lazy("Never: only here in the app")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def not_emailed(self) -> NotificationQuerySet:
        return self.filter(emailed_at__isnull=True)

    def wanting(self, mode: EmailMode) -> NotificationQuerySet:
        """Notifications of people whose e-mail preference is `mode` (no row: immediate)."""
        wants = Q(recipient__notification_preference__email=mode)
        if mode == EmailMode.IMMEDIATE:
            wants |= Q(recipient__notification_preference__isnull=True)
        return self.filter(wants)

    def mark_read(self) -> int:
        return self.unread().update(read_at=clock.now())


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(gettext_lazy("event"), max_length=20, choices=Event.choices)
    # One per event and person: a comment that both replies to and mentions someone is one row.
    key = models.CharField(max_length=100)
    # Every reason the person was told (["reply", "mention"]); `event` is the main one.
    reasons = models.JSONField(default=list, blank=True)
    subject = models.CharField(gettext_lazy("subject"), max_length=300)
    body = models.TextField(gettext_lazy("text"))
    # What it is about, shown with it in the list: the item as its page names it ("Suggestion
    # #12", in the recipient's language), the words of the text it is on, and the first lines of
    # what was said. Written with the notification, as the body is; blank for events about no
    # one's words (a round opening).
    about = models.CharField(gettext_lazy("about"), max_length=100, blank=True)
    quote = models.CharField(gettext_lazy("quoted words"), max_length=300, blank=True)
    said = models.TextField(gettext_lazy("what was said"), blank=True)
    url = models.CharField(gettext_lazy("link"), max_length=500)
    created_at = models.DateTimeField(gettext_lazy("created"), default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_event")
        ]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Preference(models.Model):
    """How a person wants to be e-mailed; made the first time they change it (default: at once)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.CharField(
        gettext_lazy("e-mail me"),
        max_length=10,
        choices=EmailMode.choices,
        default=EmailMode.IMMEDIATE,
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = clock.Stamp(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("notification preference")
        verbose_name_plural = gettext_lazy("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"

    @classmethod
    def of(cls, user: User) -> Preference:
        """The user's preference, or the (unsaved) default if they never set one."""
        return cls.objects.filter(user=user).first() or cls(user=user)
