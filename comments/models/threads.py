"""Comment threads anchored to the text of a chapter, and their comments.

The anchor is split as Wagtail splits its comment positions: the thread keeps the quote as it was
made (the stable part), and `Anchor` keeps where that quote stands in each chapter version (the
per-version part), so an old version shows its threads where they were then. The thread also
carries its current position, denormalised, so the chapter page reads it without a join.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chapters import rendering
from chapters.models import Chapter
from comments import anchoring
from handbook_review import clock
from handbook_review.people.models import Agency

COMMENT_MAX_CHARS = 20_000


class NotAllowed(Exception):
    """A state change the user may not make, or that the object's state does not allow."""


class Visibility(models.TextChoices):
    EVERYONE = "everyone", _("Everyone taking part")
    EDITORS = "editors", _("Editors only")


class ThreadStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Kind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    SUGGESTION = "suggestion", _("Suggestion")


class Category(models.TextChoices):
    """The type of a comment, as the ISO/IEC commenting template has it (ge, te, ed)."""

    GENERAL = "general", _("General")
    TECHNICAL = "technical", _("Technical")
    EDITORIAL = "editorial", _("Editorial")


CATEGORY_HELP = {
    Category.GENERAL: _("About the chapter as a whole: its scope, structure or approach."),
    Category.TECHNICAL: _(
        "About the substance: a procedure, a legal reference, a fact or a figure that is wrong, "
        "missing or unsafe. Only a technical comment can be essential."
    ),
    Category.EDITORIAL: _("About the wording: spelling, grammar, style, terms or layout."),
}
ESSENTIAL_HELP = _("Your jurisdiction cannot approve the chapter unless this comment is satisfied.")


class AnswerKind(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted by the commenter")
    CONTESTED = "contested", _("Contested by the commenter")


class PositionKind(models.TextChoices):
    ENDORSED = "endorsed", _("Endorsed as the jurisdiction's position")
    INTERNAL = "internal", _("Held back as internal")
    MERGED = "merged", _("Merged into another comment")
    OPEN = "open", _("Not yet consolidated")


class ThreadQuerySet(models.QuerySet["Thread"]):
    """Who may see which thread is comments/policies.py's to say."""

    def open(self) -> ThreadQuerySet:
        return self.filter(status=ThreadStatus.OPEN)

    def orphaned(self) -> ThreadQuerySet:
        return self.filter(start__isnull=True)

    def anchored(self) -> ThreadQuerySet:
        return self.filter(start__isnull=False)


class Thread(models.Model):
    chapter = models.ForeignKey(
        Chapter, verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="threads"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads"
    )
    # Who the author spoke for when they wrote it; people move, the record must not.
    author_jurisdiction = models.ForeignKey(
        "people.Jurisdiction", on_delete=models.PROTECT, null=True, related_name="+"
    )
    author_agency = models.CharField(max_length=20, blank=True, choices=Agency.choices)
    visibility = models.CharField(
        _("visible to"), max_length=10, choices=Visibility.choices, default=Visibility.EVERYONE
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    # The type (general, technical, editorial: see dispositions.Category), and whether the
    # author's jurisdiction cannot approve the chapter unless it is satisfied (technical only).
    category = models.CharField(
        _("type"), max_length=10, choices=Category.choices, default=Category.GENERAL
    )
    essential = models.BooleanField(_("essential"), default=False)
    # The round the author commented through (null: an editor's own, or outside any round).
    round = models.ForeignKey(
        "chapters.Round", on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    # The current disposition, answer and coordinator's position, denormalised from their
    # written-once rows (comments/models/dispositions.py) so that lists read them without joins.
    disposition = models.OneToOneField(
        "comments.Disposition", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answer = models.CharField(max_length=12, blank=True, choices=AnswerKind.choices)
    position = models.CharField(max_length=12, blank=True, choices=PositionKind.choices)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    status = models.CharField(
        max_length=10, choices=ThreadStatus.choices, default=ThreadStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True)
    # The quote as it was made: the anchor's stable part.
    version = models.PositiveIntegerField(_("made on version"))
    exact = models.TextField()
    prefix = models.TextField(blank=True)
    suffix = models.TextField(blank=True)
    section = models.CharField(max_length=200, blank=True)  # heading id, for whole-section threads
    # Read from a reviewed Word copy (comments/wordcopy.py): which upload, and the Word author's
    # name when no user matched it (the thread is then the uploader's).
    word_review = models.ForeignKey(
        "comments.WordReview",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="threads",
    )
    word_author = models.CharField(_("author in the Word file"), max_length=200, blank=True)
    # Where it stands now (start/end null: orphaned), in the text of `anchored_version`.
    anchored_version = models.PositiveIntegerField()
    start = models.PositiveIntegerField(null=True)
    end = models.PositiveIntegerField(null=True)
    current_exact = models.TextField(blank=True)
    created_at = clock.Stamp(auto_now_add=True)
    updated_at = clock.Stamp(auto_now=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["chapter", "start", "pk"]
        indexes: ClassVar = [models.Index(fields=["chapter", "status"])]
        permissions: ClassVar = [
            ("view_all_threads", _("Can see editors-only threads of others")),
            ("moderate_thread", _("Can resolve any thread and hide comments")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} on {self.chapter}: {self.exact[:40]}"

    @property
    def number(self) -> int:
        """The number the comment or suggestion goes by everywhere: on the pages ("Comment #12",
        "Suggestion #12", "merged into #12"), in notifications and e-mails, and in the
        disposition report. A suggestion is numbered by its thread, as a comment is, so no two
        items share a number and a report's numbers hold across rounds and jurisdictions."""
        return self.pk

    @property
    def label(self) -> str:
        """ "Comment #12" or "Suggestion #12", in the active language."""
        if self.kind == Kind.SUGGESTION:
            return gettext("Suggestion #%(n)s") % {"n": self.number}
        return gettext("Comment #%(n)s") % {"n": self.number}

    @property
    def is_orphaned(self) -> bool:
        return self.start is None

    @property
    def is_open(self) -> bool:
        return self.status == ThreadStatus.OPEN

    def touch(self) -> None:
        """Mark the thread changed (a comment in it was added, edited, hidden or deleted)."""
        self.updated_at = clock.now()
        Thread.objects.filter(pk=self.pk).update(updated_at=self.updated_at)

    def quote(self) -> anchoring.Quote:
        return anchoring.Quote(exact=self.exact, prefix=self.prefix, suffix=self.suffix)

    def current_anchor(self) -> anchoring.Anchor | None:
        if self.start is None or self.end is None:
            return None
        return anchoring.Anchor(
            start=self.start,
            end=self.end,
            quote=anchoring.Quote(exact=self.current_exact, prefix="", suffix=""),
        )

    def place(self, anchor: anchoring.Anchor | None, *, version: int) -> None:
        self.anchored_version = version
        if anchor is None:
            self.start = self.end = None
        else:
            self.start, self.end = anchor.start, anchor.end
            self.current_exact = anchor.quote.exact


class Anchor(models.Model):
    """Where a thread stood in one version of its chapter (start/end null: orphaned there)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="anchors")
    version = models.PositiveIntegerField()
    start = models.PositiveIntegerField(null=True)
    end = models.PositiveIntegerField(null=True)
    exact = models.TextField(blank=True)
    outcome = models.CharField(max_length=12)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["thread", "version"], name="one_anchor_per_version")
        ]

    def __str__(self) -> str:
        return f"Thread {self.thread_id} in version {self.version}: {self.outcome}"


class CommentQuerySet(models.QuerySet["Comment"]):
    def shown(self) -> CommentQuerySet:
        return self.filter(deleted_at__isnull=True)


class Comment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    author_jurisdiction = models.ForeignKey(
        "people.Jurisdiction", on_delete=models.PROTECT, null=True, related_name="+"
    )
    author_agency = models.CharField(max_length=20, blank=True, choices=Agency.choices)
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_CHARS)
    # Rendered once when written: a page with a thousand comments must not render Markdown.
    body_html = models.TextField(editable=False)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="mentioned_in", blank=True
    )
    created_at = clock.Stamp(auto_now_add=True)
    edited_at = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    # A reply read from a reviewed Word copy whose author matched no user: the Word name.
    word_author = models.CharField(_("author in the Word file"), max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=["body_html", "created_at"], user_related_name="+")
    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["thread", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_by_id is not None

    def set_body(self, body: str) -> None:
        self.body = body
        self.body_html = rendering.markdownify(body)
