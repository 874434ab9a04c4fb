"""Notifications: what happened that concerns someone, shown in the app and sent by e-mail.

Each event makes at most one row per person, keyed by the event (`comment:12`, `round:3:opened`):
the unique (recipient, key) constraint is what makes a repeated signal, a retried task or two
concurrent sweeps harmless. Rows are written synchronously where the event happens (cheap
inserts); e-mails go out from a background task (notifications.tasks) after the commit.

Who hears of what is decided here, with the same visibility rules the pages use: a person is only
told of (and only e-mailed the words of) a thread they may open.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chapters.models import Edition, Handbook, Round
from chapters.review import REMINDER_BEFORE_CLOSE
from comments.models import Comment, Decision, Kind, Thread
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User

EXCERPT_CHARS = 500
# The round reminder goes out this long before a round closes.
REMINDER_BEFORE = REMINDER_BEFORE_CLOSE


class Event(models.TextChoices):
    REPLY = "reply", gettext_lazy("Reply in your thread")
    MENTION = "mention", gettext_lazy("Mention")
    DECISION = "decision", gettext_lazy("Decision on your suggestion")
    ROUND_OPENED = "round_opened", gettext_lazy("Review round opened")
    ROUND_CLOSING = "round_closing", gettext_lazy("Review round closing soon")
    ROUND_CLOSED = "round_closed", gettext_lazy("Review round closed")
    EDITION_PUBLISHED = "edition_published", gettext_lazy("Edition published")


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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("notification preference")
        verbose_name_plural = gettext_lazy("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"

    @classmethod
    def of(cls, user: User) -> Preference:
        """The user's preference, or the (unsaved) default if they never set one."""
        return cls.objects.filter(user=user).first() or cls(user=user)


# --- Storing and handing over to e-mail


def store(rows: list[Notification]) -> list[Notification]:
    """Insert the notifications of one event, skipping any a person already has for it.

    The e-mail task for those who want immediate e-mail is queued once the rows are committed;
    it sends each notification at most once, so a repeated event sends nothing new.
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
            from handbook_review.notifications.tasks import send_notification_emails

            transaction.on_commit(partial(send_notification_emails.enqueue, to_email), robust=True)
    return list(stored)


def readers(handbook: Handbook) -> models.QuerySet[User]:
    """Active people who can read the handbook: Handbook.objects.visible_to, for many users.

    Editors (who may see drafts) read every handbook; counterparts those their jurisdiction takes
    part in. Permissions come from groups, the user's own permissions, or superuser status.
    """
    from handbook_review.people.models import User

    def having(codename: str) -> Q:
        permission = Permission.objects.filter(
            content_type__app_label="chapters", codename=codename
        )
        return Q(
            pk__in=User.objects.filter(
                Q(is_superuser=True)
                | Q(groups__permissions__in=permission)
                | Q(user_permissions__in=permission)
            ).values("pk")
        )

    return (
        User.objects.filter(is_active=True)
        .filter(having("view_handbook"))
        .filter(having("view_draft_chapter") | Q(jurisdiction__in=handbook.jurisdictions.all()))
    )


def can_see(user: User, thread: Thread) -> bool:
    return user.is_active and Thread.objects.visible_to(user).filter(pk=thread.pk).exists()


def thread_url(thread: Thread) -> str:
    return f"{thread.chapter.get_absolute_url()}?thread={thread.pk}#thread-{thread.pk}"


def excerpt(text: str) -> str:
    """The first words of a comment, quoted as e-mail quotes it."""
    short = Truncator(text.strip()).chars(EXCERPT_CHARS)
    return "\n".join(f"> {line}" if line else ">" for line in short.splitlines())


def when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%d %B %Y, %H:%M} ({local.tzname()})"


# --- Comments: replies and mentions


def notify_comment(comment: Comment) -> list[Notification]:
    """Tell the thread's people of a new comment, and those it mentions; never its author.

    Thread participants are its author and the authors of the comments before this one; each is
    told only if they may still see the thread (an editors-only thread reaches editors and its
    author). Someone who is both replied to and mentioned gets one notification saying both.
    """
    from handbook_review.people.models import User

    comment = Comment.objects.select_related("author", "thread__chapter__handbook").get(
        pk=comment.pk
    )
    thread = comment.thread
    earlier = set(
        thread.comments.shown().filter(pk__lt=comment.pk).values_list("author_id", flat=True)
    )
    participants = {thread.author_id} | earlier
    mentioned = set(comment.mentions.values_list("pk", flat=True))
    candidates = (participants | mentioned) - {comment.author_id}
    chapter = thread.chapter
    what = _("suggestion") if thread.kind == Kind.SUGGESTION else _("thread")
    where = _("“%(chapter)s” in %(handbook)s") % {"chapter": chapter, "handbook": chapter.handbook}
    author = comment.author
    rows = []
    for person in User.objects.filter(pk__in=candidates).select_related("jurisdiction"):
        if not can_see(person, thread):
            continue
        reasons = []
        if person.pk in participants:
            reasons.append(Event.REPLY)
        if person.pk in mentioned:
            reasons.append(Event.MENTION)
        if reasons == [Event.REPLY]:
            subject = _("%(author)s replied on %(where)s")
            opening = _("%(author)s (%(affiliation)s) replied in a %(what)s you take part in.")
        elif reasons == [Event.MENTION]:
            subject = _("%(author)s mentioned you on %(where)s")
            opening = _("%(author)s (%(affiliation)s) mentioned you in a %(what)s.")
        else:
            subject = _("%(author)s mentioned you in a reply on %(where)s")
            opening = _(
                "%(author)s (%(affiliation)s) replied in a %(what)s you take part in,"
                " and mentioned you."
            )
        names = {
            "author": author.name,
            "affiliation": author.affiliation,
            "what": what,
            "where": where,
        }
        rows.append(
            Notification(
                recipient=person,
                event=Event.MENTION if Event.MENTION in reasons else Event.REPLY,
                reasons=[str(reason) for reason in reasons],
                key=f"comment:{comment.pk}",
                subject=subject % names,
                body="\n\n".join(
                    [
                        opening % names,
                        _("On %(where)s, about: “%(quote)s”")
                        % {"where": where, "quote": Truncator(thread.exact).chars(120)},
                        excerpt(comment.body),
                    ]
                ),
                url=thread_url(thread),
            )
        )
    return store(rows)


def on_comment_posted(sender: Any, *, comment: Comment, **kwargs: Any) -> None:
    notify_comment(comment)


# --- Decisions on suggestions

DECIDED = {
    Decision.Kind.ACCEPTED: gettext_lazy("Your suggestion on %(chapter)s was accepted"),
    Decision.Kind.MODIFIED: gettext_lazy(
        "Your suggestion on %(chapter)s was accepted with changes"
    ),
    Decision.Kind.REJECTED: gettext_lazy("Your suggestion on %(chapter)s was rejected"),
    Decision.Kind.WITHDRAWN: gettext_lazy("Your suggestion on %(chapter)s was withdrawn"),
    Decision.Kind.CONFLICTED: gettext_lazy(
        "Your suggestion on %(chapter)s conflicts with a later change"
    ),
}


def notify_decision(decision: Decision) -> list[Notification]:
    """Tell the proposer what became of their suggestion, with the reason given.

    Not when the proposer made the decision themselves (withdrawing, or an editor deciding on
    their own suggestion). A conflict is decided by no one: the proposer learns that an editor
    will have to decide against the changed text.
    """
    decision = Decision.objects.select_related(
        "by", "suggestion__thread__author", "suggestion__thread__chapter__handbook"
    ).get(pk=decision.pk)
    thread = decision.suggestion.thread
    proposer = thread.author
    if decision.by_id == proposer.pk or not can_see(proposer, thread):
        return []
    chapter = thread.chapter
    subject = DECIDED[Decision.Kind(decision.kind)] % {"chapter": f"“{chapter}”"}
    lines = [f"{subject}."]
    if decision.by is not None:
        lines[0] = _("%(subject)s by %(editor)s.") % {"subject": subject, "editor": decision.by}
    if decision.kind == Decision.Kind.CONFLICTED:
        lines.append(
            _(
                "The words it replaces were changed since you made it; "
                "an editor will decide on it against the current text."
            )
        )
    if decision.kind == Decision.Kind.MODIFIED:
        lines.append(_("The text as accepted:") + "\n" + excerpt(decision.applied_text))
    if decision.reason:
        lines.append(_("Reason:") + "\n" + excerpt(decision.reason))
    lines.append(_("You proposed:") + "\n" + excerpt(decision.suggestion.replacement or "—"))
    return store(
        [
            Notification(
                recipient=proposer,
                event=Event.DECISION,
                reasons=[Event.DECISION.value],
                key=f"decision:{decision.pk}",
                subject=subject,
                body="\n\n".join(lines),
                url=thread_url(thread),
            )
        ]
    )


def on_decision_saved(sender: Any, *, instance: Decision, created: bool, **kwargs: Any) -> None:
    # Decisions are written once, inside the deciding transaction: tell once it has committed.
    if created and not kwargs.get("raw"):
        transaction.on_commit(partial(notify_decision, instance), robust=True)


# --- Review rounds (time-based: see sweep_rounds)


def round_readers(round: Round) -> models.QuerySet[User]:
    return readers(round.handbook).filter(jurisdiction__in=round.jurisdictions.all())


def notify_round(round: Round, event: Event) -> list[Notification]:
    names = {
        "round": round.name,
        "handbook": round.handbook,
        "opens": when(round.opens_at),
        "closes": when(round.closes_at),
    }
    if event == Event.ROUND_OPENED:
        subject = _("Review round “%(round)s” of %(handbook)s is open") % names
        opening = _("The review round “%(round)s” is open for your jurisdiction until %(closes)s.")
    elif event == Event.ROUND_CLOSING:
        subject = _("Review round “%(round)s” of %(handbook)s closes in 48 hours") % names
        opening = _(
            "The review round “%(round)s” closes on %(closes)s. Comments, suggestions and "
            "sign-offs can be made until then."
        )
    else:
        subject = _("Review round “%(round)s” of %(handbook)s has closed") % names
        opening = _("The review round “%(round)s” closed on %(closes)s. Thank you for taking part.")
    chapters = "\n".join(f"- {chapter}" for chapter in round.chapters.order_by("number"))
    body = "\n\n".join([opening % names, _("Chapters in the round:") + "\n" + chapters])
    # An extended round has a new deadline: its reminder and closing notice are new events.
    key = f"round:{round.pk}:{event.value}"
    if event != Event.ROUND_OPENED:
        key += f":{int(round.closes_at.timestamp())}"
    return store(
        [
            Notification(
                recipient=person,
                event=event,
                reasons=[event.value],
                key=key,
                subject=subject,
                body=body,
                url=reverse("chapters:round", args=[round.handbook.slug, round.pk]),
            )
            for person in round_readers(round)
        ]
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
    lines = [
        _("%(publisher)s published edition %(label)s of “%(title)s”.")
        % {**names, "publisher": edition.published_by}
    ]
    if edition.release_notes:
        lines.append(_("Release notes:") + "\n" + excerpt(edition.release_notes))
    body = "\n\n".join(lines)
    return store(
        [
            Notification(
                recipient=person,
                event=Event.EDITION_PUBLISHED,
                reasons=[Event.EDITION_PUBLISHED.value],
                key=f"edition:{edition.pk}",
                subject=_("Edition %(label)s of “%(title)s” is published") % names,
                body=body,
                url=edition.get_absolute_url(),
            )
            for person in readers(edition.handbook).exclude(pk=edition.published_by_id)
        ]
    )


def on_edition_published(sender: Any, *, edition: Edition, **kwargs: Any) -> None:
    notify_edition(edition)
