"""Comment threads anchored to the text of a chapter, and their comments.

The anchor is split as Wagtail splits its comment positions: the thread keeps the quote as it was
made (the stable part), and `Anchor` keeps where that quote stands in each chapter version (the
per-version part), so an old version shows its threads where they were then. The thread also
carries its current position, denormalised, so the chapter page reads it without a join.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from chapters import rendering
from chapters.models import Chapter, normalise_newlines
from chapters.review import can_review
from chapters.signals import approval_check, draft_check
from comments import anchoring, merging
from handbook_review.people.models import Agency

if TYPE_CHECKING:
    from handbook_review.people.models import User

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


def can_see_all_threads(user: User) -> bool:
    return user.has_perm("comments.view_all_threads")


def can_moderate(user: User) -> bool:
    return user.has_perm("comments.moderate_thread")


class ThreadQuerySet(models.QuerySet["Thread"]):
    def visible_to(self, user: User) -> ThreadQuerySet:
        """Threads of chapters the user can read; editors-only ones for editors and the author."""
        visible = self.filter(chapter__in=Chapter.objects.visible_to(user))
        if can_see_all_threads(user):
            return visible
        return visible.filter(Q(visibility=Visibility.EVERYONE) | Q(author=user))

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
    # Where it stands now (start/end null: orphaned), in the text of `anchored_version`.
    anchored_version = models.PositiveIntegerField()
    start = models.PositiveIntegerField(null=True)
    end = models.PositiveIntegerField(null=True)
    current_exact = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
    def is_orphaned(self) -> bool:
        return self.start is None

    @property
    def is_open(self) -> bool:
        return self.status == ThreadStatus.OPEN

    def touch(self) -> None:
        """Mark the thread changed (a comment in it was added, edited, hidden or deleted)."""
        self.updated_at = timezone.now()
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

    def may_resolve(self, user: User) -> bool:
        return user.pk == self.author_id or can_moderate(user)

    def resolve(self, *, by: User) -> None:
        if not self.may_resolve(by):
            raise NotAllowed(_("Only editors and the thread's author may resolve it."))
        if self.status == ThreadStatus.RESOLVED:
            raise NotAllowed(_("This thread is already resolved."))
        self.status = ThreadStatus.RESOLVED
        self.resolved_by = by
        self.resolved_at = timezone.now()
        self.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])

    @transaction.atomic
    def reopen(self, *, by: User) -> None:
        """Reopen, and bring the anchor up to the chapter's current version if it fell behind."""
        if not self.may_resolve(by):
            raise NotAllowed(_("Only editors and the thread's author may reopen it."))
        if self.status == ThreadStatus.OPEN:
            raise NotAllowed(_("This thread is already open."))
        self.status = ThreadStatus.OPEN
        self.resolved_by = None
        self.resolved_at = None
        self.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])
        chapter = Chapter.objects.get(pk=self.chapter_id)
        if self.anchored_version != chapter.version and not self.is_orphaned:
            old = chapter.history.get(version=self.anchored_version)
            reanchor_threads(
                chapter,
                previous_version=old.version,
                previous_body=old.body,
                threads=[self],
            )

    @transaction.atomic
    def reattach(self, anchor: anchoring.Anchor, *, by: User) -> None:
        """Attach an orphaned (or misplaced) thread to a new selection in the current version."""
        if not self.may_resolve(by):
            raise NotAllowed(_("Only editors and the thread's author may re-attach it."))
        chapter = Chapter.objects.get(pk=self.chapter_id)
        self.place(anchor, version=chapter.version)
        self.save()
        Anchor.objects.update_or_create(
            thread=self,
            version=chapter.version,
            defaults={
                "start": anchor.start,
                "end": anchor.end,
                "exact": anchor.quote.exact,
                "outcome": "reattached",
            },
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
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=300, blank=True)

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

    def edit(self, body: str, *, by: User) -> None:
        """Change one's own comment; the earlier text stays in its history."""
        if by.pk != self.author_id:
            raise NotAllowed(_("Only its author may edit a comment."))
        if self.deleted_at is not None or self.is_hidden:
            raise NotAllowed(_("This comment can no longer be edited."))
        self.set_body(body)
        self.edited_at = timezone.now()
        self._history_user = by  # type: ignore[attr-defined]
        self._change_reason = "Edited"  # type: ignore[attr-defined]
        self.save()
        self.thread.touch()

    def delete_own(self, *, by: User) -> None:
        """Soft-delete one's own comment, if no one has replied after it."""
        if by.pk != self.author_id:
            raise NotAllowed(_("Only its author may delete a comment."))
        if self.thread.comments.shown().filter(pk__gt=self.pk).exists():
            raise NotAllowed(_("A comment with replies cannot be deleted."))
        self.deleted_at = timezone.now()
        self._history_user = by  # type: ignore[attr-defined]
        self._change_reason = "Deleted"  # type: ignore[attr-defined]
        self.save()
        self.thread.touch()

    def hide(self, *, by: User, reason: str) -> None:
        """An editor hides a comment (kept for the record) and says why."""
        if not can_moderate(by):
            raise NotAllowed(_("Only editors may hide comments."))
        if not reason.strip():
            raise NotAllowed(_("Say why the comment is hidden."))
        self.hidden_by = by
        self.hidden_reason = reason.strip()
        self._history_user = by  # type: ignore[attr-defined]
        self._change_reason = "Hidden"  # type: ignore[attr-defined]
        self.save()
        self.thread.touch()


MENTION = re.compile(r"@([^\s@][^@\n]{0,80})")


def find_mentions(body: str, candidates: list[User]) -> list[User]:
    """Users named as @Full Name in the text, matched against the people who may read it."""
    if "@" not in body:
        return []
    return [person for person in candidates if person.name and f"@{person.name}" in body]


def reanchor_threads(
    chapter: Chapter,
    *,
    previous_version: int,
    previous_body: str,
    threads: list[Thread] | None = None,
) -> list[anchoring.Reanchored]:
    """Move every open, anchored thread from the previous version's text to the current one.

    Runs inside the revising transaction, so the new version and its anchors commit together.
    Each thread's result is kept per version (`Anchor`), and the thread's current position is
    updated; a thread whose text cannot be found confidently becomes orphaned, never deleted.
    """
    if threads is None:
        threads = list(
            Thread.objects.open()
            .anchored()
            .filter(chapter=chapter, anchored_version=previous_version)
            .only("id", "chapter_id", "anchored_version", "start", "end", "current_exact")
        )
    if not threads:
        return []
    from chapters.models import plain_text

    old_text = plain_text(chapter.pk, previous_version, chapter.number, previous_body)
    new_text = chapter.plain_text()
    old_anchors = [
        anchoring.Anchor(
            start=t.start or 0,
            end=t.end or 0,
            quote=anchoring.Quote(
                exact=t.current_exact,
                prefix=old_text[max(0, (t.start or 0) - anchoring.CONTEXT) : t.start],
                suffix=old_text[t.end : (t.end or 0) + anchoring.CONTEXT],
            ),
        )
        for t in threads
    ]
    results = anchoring.reanchor(old_text, new_text, old_anchors)
    for thread, result in zip(threads, results, strict=True):
        thread.place(result.anchor, version=chapter.version)
    store_positions(threads, outcomes=[result.outcome.value for result in results])
    return results


def store_positions(threads: list[Thread], *, outcomes: list[str]) -> None:
    """Write the threads' new positions, and the `Anchor` of each at its new version (with
    its outcome), in as few statements as the database allows.

    Django's bulk_update builds a CASE expression per field and row in Python, which cost four
    times the re-anchoring itself, and bulk_create a model per row. PostgreSQL takes all rows
    in one statement over arrays (unnest: five parameters, not five per row); SQLite, in
    process, runs one small statement per row about as fast.
    """
    quote = connection.ops.quote_name
    table = quote(Thread._meta.db_table)
    anchors = quote(Anchor._meta.db_table)
    start, end = quote("start"), quote("end")
    rows = [
        (
            t.pk,
            t.anchored_version,
            t.start,
            t.end,
            t.current_exact,
            "" if t.start is None else t.current_exact,
            outcome,
        )
        for t, outcome in zip(threads, outcomes, strict=True)
    ]
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET anchored_version = %s, {start} = %s, {end} = %s, "  # noqa: S608 (names are ours)
                "current_exact = %s WHERE id = %s",
                [(*row[1:5], row[0]) for row in rows],
            )
            cursor.executemany(
                f"INSERT INTO {anchors} (thread_id, version, {start}, {end}, exact, outcome) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [(*row[:4], *row[5:]) for row in rows],
            )
            return
        ids, versions, starts, ends, current, exacts, kinds = (
            list(c) for c in zip(*rows, strict=True)
        )
        cursor.execute(
            f"UPDATE {table} AS t SET anchored_version = v.av, {start} = v.s, {end} = v.e, "  # noqa: S608
            "current_exact = v.ce FROM unnest(%s::bigint[], %s::integer[], %s::integer[], "
            "%s::integer[], %s::text[]) AS v(id, av, s, e, ce) WHERE t.id = v.id",
            [ids, versions, starts, ends, current],
        )
        cursor.execute(
            f"INSERT INTO {anchors} (thread_id, version, {start}, {end}, exact, outcome) "  # noqa: S608
            "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], "
            "%s::text[], %s::text[])",
            [ids, versions, starts, ends, exacts, kinds],
        )


@transaction.atomic
def open_thread(
    chapter: Chapter,
    *,
    by: User,
    anchor: anchoring.Anchor,
    body: str,
    visibility: str = Visibility.EVERYONE,
    section: str = "",
    mention_candidates: list[User] | None = None,
) -> Thread:
    """Start a thread on `anchor` (offsets in the current version's text) with its first comment."""
    if not commenting_allowed(chapter, by):
        raise NotAllowed(_("You cannot comment on this chapter now."))
    thread = Thread(
        chapter=chapter,
        author=by,
        author_jurisdiction_id=by.jurisdiction_id,
        author_agency=by.agency,
        visibility=visibility,
        version=chapter.version,
        exact=anchor.quote.exact,
        prefix=anchor.quote.prefix,
        suffix=anchor.quote.suffix,
        section=section,
    )
    thread.place(anchor, version=chapter.version)
    thread.save()
    Anchor.objects.create(
        thread=thread,
        version=chapter.version,
        start=anchor.start,
        end=anchor.end,
        exact=anchor.quote.exact,
        outcome="created",
    )
    add_comment(thread, by=by, body=body, mention_candidates=mention_candidates)
    return thread


def add_comment(
    thread: Thread, *, by: User, body: str, mention_candidates: list[User] | None = None
) -> Comment:
    """Add a comment (the first, or a reply) recording the author's affiliation at this moment."""
    comment = Comment(
        thread=thread,
        author=by,
        author_jurisdiction_id=by.jurisdiction_id,
        author_agency=by.agency,
    )
    comment.set_body(body)
    comment._history_user = by  # type: ignore[attr-defined]
    comment.save()
    mentioned = find_mentions(body, mention_candidates or [])
    if mentioned:
        comment.mentions.set([person for person in mentioned if person.pk != by.pk])
    thread.touch()
    # On commit, mentions stored: notifications go out only for comments that were kept.
    announce(comment)
    return comment


def announce(happened: Comment | Decision) -> None:
    """Tell the people concerned once the transaction that made `happened` has committed."""
    from comments import notices  # notices reads these models; the actions move out of this module

    if isinstance(happened, Comment):
        transaction.on_commit(partial(notices.notify_comment, happened), robust=True)
    else:
        transaction.on_commit(partial(notices.notify_decision, happened), robust=True)


def on_chapter_revised(
    sender: Any, *, chapter: Chapter, previous_version: int, previous_body: str, **kwargs: Any
) -> None:
    reanchor_threads(chapter, previous_version=previous_version, previous_body=previous_body)


def commenting_allowed(chapter: Chapter, user: User) -> bool:
    """Editors comment on any chapter they can read; counterparts while a round invites them."""
    if not user.has_perm("comments.add_thread"):
        return False
    return can_review(chapter, user)


def locate_selection(
    chapter: Chapter,
    *,
    version: int,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    start: int | None = None,
    end: int | None = None,
) -> anchoring.Anchor:
    """Turn a browser's selection into an anchor in the chapter's current text.

    A selection made on a version that has since been replaced is found in that version's text
    and carried forward like any thread; if its words are gone, the user is told so.
    """
    from chapters.models import plain_text

    if version == chapter.version:
        return anchoring.resolve_selection(
            chapter.plain_text(), exact=exact, prefix=prefix, suffix=suffix, start=start, end=end
        )
    old = chapter.history.filter(version=version).first()
    if old is None or version > chapter.version:
        raise anchoring.AnchorError(_("The page was made from a version that does not exist."))
    old_text = plain_text(chapter.pk, old.version, chapter.number, old.body)
    found = anchoring.resolve_selection(
        old_text, exact=exact, prefix=prefix, suffix=suffix, start=start, end=end
    )
    [moved] = anchoring.reanchor(old_text, chapter.plain_text(), [found])
    if moved.anchor is None:
        raise anchoring.AnchorError(
            _("The chapter changed since you loaded it and the selected words are gone.")
        )
    return moved.anchor


def locate_point(
    chapter: Chapter, *, version: int, prefix: str, suffix: str, start: int | None
) -> anchoring.Anchor:
    """A caret (a collapsed selection) in the chapter's current text: an empty anchor there.

    The browser's offset counts when the text around it is the context it sent; otherwise that
    context must occur exactly once. Only the current version: a point carries no words that
    could be followed into a newer text.
    """
    if version != chapter.version:
        raise anchoring.AnchorError(
            _("The chapter changed since you loaded it: place the cursor again.")
        )
    text = chapter.plain_text()
    # Browsers send the line breaks of form values as CR LF; the text has LF only.
    prefix, suffix = normalise_newlines(prefix), normalise_newlines(suffix)
    if not prefix and not suffix:
        raise anchoring.AnchorError(_("Place the cursor in the chapter where words should go."))
    if start is None or not (
        0 <= start <= len(text)
        and text.endswith(prefix, 0, start)
        and text.startswith(suffix, start)
    ):
        places = [m.start() + len(prefix) for m in re.finditer(re.escape(prefix + suffix), text)]
        if len(places) != 1:
            raise anchoring.AnchorError(
                _("The place of the cursor cannot be told apart; select a word next to it.")
            )
        start = places[0]
    context = anchoring.CONTEXT
    return anchoring.Anchor(
        start=start,
        end=start,
        quote=anchoring.Quote(
            exact="",
            prefix=text[max(0, start - context) : start],
            suffix=text[start : start + context],
        ),
    )


def locate_section(chapter: Chapter, heading_id: str) -> anchoring.Anchor:
    """The anchor of a whole-section comment: the section's heading in the current text."""
    html = chapter.rendered()
    heading = next((h for h in chapter.outline() if h.id == heading_id), None)
    tag = re.search(rf'<h[1-6][^>]*\bid="{re.escape(heading_id)}"', html)
    if heading is None or tag is None or not heading.text.strip():
        raise anchoring.AnchorError(_("There is no such section in this chapter."))
    start = len(rendering.plain_text(html[: tag.start()]))
    return anchoring.describe(chapter.plain_text(), start, start + len(heading.text))


# --- Suggested edits


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CONFLICTED = "conflicted", _("Conflicted")


UNDECIDED = (SuggestionStatus.OPEN, SuggestionStatus.CONFLICTED)


class Conflict(Exception):
    """The words a suggestion replaces were changed since it was made: an editor must decide."""

    def __init__(self, suggestion: Suggestion, result: merging.MergeResult) -> None:
        super().__init__(_("The text this suggestion replaces has changed since it was made."))
        self.suggestion = suggestion
        self.result = result


def can_decide(user: User) -> bool:
    return user.has_perm("comments.decide_suggestion")


class Suggestion(models.Model):
    """A proposed replacement of a range of the chapter's Markdown, discussed in its thread.

    The range is kept against the version it was made on (`base_version`); accepting merges it
    into whatever the chapter has become since (comments.merging), or marks it conflicted.
    """

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="suggestion")
    base_version = models.PositiveIntegerField()
    source_start = models.PositiveIntegerField()
    source_end = models.PositiveIntegerField()
    original = models.TextField(blank=True)
    replacement = models.TextField(blank=True, max_length=COMMENT_MAX_CHARS)
    whole_block = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    applied_version = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["thread__chapter", "source_start", "pk"]
        permissions: ClassVar = [("decide_suggestion", _("Can accept or reject suggestions"))]

    def __str__(self) -> str:
        return f"Suggestion #{self.pk}"

    @property
    def proposer(self) -> User:
        return self.thread.author

    def edit(self, replacement: str | None = None) -> merging.Edit:
        return merging.Edit(
            start=self.source_start,
            end=self.source_end,
            replacement=self.replacement if replacement is None else replacement,
        )

    def base_body(self, chapter: Chapter) -> str:
        if self.base_version == chapter.version:
            return chapter.body
        return str(chapter.history.get(version=self.base_version).body)

    def merge(self, chapter: Chapter, replacement: str | None = None) -> merging.MergeResult:
        """This suggestion merged into the chapter's current text (nothing is written)."""
        return merging.apply_edit(self.base_body(chapter), chapter.body, self.edit(replacement))


class Decision(models.Model):
    """What happened to a suggestion, by whom and why: written once, never changed."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        MODIFIED = "modified", _("Modified and accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CONFLICTED = "conflicted", _("Conflicted")

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)
    applied_text = models.TextField(blank=True)
    version = models.PositiveIntegerField(null=True)

    class Meta:
        ordering: ClassVar = ["suggestion", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.suggestion_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise NotAllowed(_("A decision cannot be changed once it is recorded."))
        super().save(*args, **kwargs)


@transaction.atomic
def propose(
    chapter: Chapter,
    *,
    by: User,
    anchor: anchoring.Anchor,
    source_start: int,
    source_end: int,
    whole_block: bool,
    replacement: str,
    rationale: str,
    visibility: str = Visibility.EVERYONE,
    section: str = "",
    mention_candidates: list[User] | None = None,
) -> Suggestion:
    """Propose replacing chapter.body[source_start:source_end] of the current version.

    An empty range proposes an insertion there; `section` (a heading id) marks the rewrite of a
    whole section, whose thread is on the section's heading.
    """
    original = chapter.body[source_start:source_end]
    if replacement == original:
        raise NotAllowed(_("The replacement is the same as the original text."))
    thread = open_thread(
        chapter,
        by=by,
        anchor=anchor,
        body=rationale,
        visibility=visibility,
        section=section,
        mention_candidates=mention_candidates,
    )
    Thread.objects.filter(pk=thread.pk).update(kind=Kind.SUGGESTION)
    thread.kind = Kind.SUGGESTION
    return Suggestion.objects.create(
        thread=thread,
        base_version=chapter.version,
        source_start=source_start,
        source_end=source_end,
        original=original,
        replacement=replacement,
        whole_block=whole_block,
    )


def locked(suggestion: Suggestion) -> tuple[Chapter, Suggestion]:
    """Lock the chapter row, then the suggestion: every decision on a chapter queues here."""
    chapter = Chapter.objects.select_for_update().get(pk=suggestion.thread.chapter_id)
    fresh = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("thread__author__jurisdiction")
        .get(pk=suggestion.pk)
    )
    return chapter, fresh


def accept(
    suggestion: Suggestion, *, by: User, replacement: str | None = None, reason: str = ""
) -> Decision:
    """Accept a suggestion (optionally with the editor's modified replacement).

    Serialised on the chapter row: the merge is computed against the text as it is inside the
    lock, so two editors accepting at once both land, one after the other. A clean merge makes
    exactly one new version credited to the proposer; other open suggestions whose words that
    version changed become conflicted. A conflict changes no text: the suggestion is marked
    conflicted (that is kept) and Conflict is raised after the transaction.
    """
    if not can_decide(by):
        raise NotAllowed(_("Only editors decide on suggestions."))
    with transaction.atomic():
        chapter, fresh = locked(suggestion)
        if fresh.status not in UNDECIDED:
            raise NotAllowed(_("This suggestion was already decided."))
        text = fresh.replacement if replacement is None else replacement
        result = fresh.merge(chapter, text)
        if result.outcome != merging.Outcome.CONFLICT:
            return record_acceptance(
                chapter,
                fresh,
                # Already applied: the text stays as it is.
                body=result.text if result.text is not None else chapter.body,
                applied_text=text,
                kind=Decision.Kind.ACCEPTED
                if text == fresh.replacement
                else Decision.Kind.MODIFIED,
                by=by,
                reason=reason,
            )
        mark_conflicted(fresh)
    raise Conflict(fresh, result)


def record_acceptance(
    chapter: Chapter,
    suggestion: Suggestion,
    *,
    body: str,
    applied_text: str,
    kind: str,
    by: User,
    reason: str,
    how: str = "",
) -> Decision:
    """Write an accepted suggestion: the new version (if the text changes), its status, the
    closed thread, the decision, and the re-check of the other open suggestions."""
    proposer = suggestion.proposer
    if body != chapter.body:
        chapter.revise(
            body=body,
            by=by,
            base_version=chapter.version,
            credited_to=proposer,
            reason=(
                f"Accepted suggestion #{suggestion.pk} by {proposer.name} "
                f"({proposer.jurisdiction}, {proposer.get_agency_display()}){how}"
            ),
        )
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.applied_version = chapter.version
    suggestion.save(update_fields=["status", "applied_version"])
    close_thread(suggestion.thread, by=by)
    decision = Decision.objects.create(
        suggestion=suggestion,
        kind=kind,
        by=by,
        reason=reason,
        applied_text=applied_text,
        version=chapter.version,
    )
    announce(decision)
    recheck_open_suggestions(chapter, exclude=suggestion.pk)
    return decision


def recheck_open_suggestions(chapter: Chapter, *, exclude: int) -> None:
    """After the text changed, mark conflicted every open suggestion that no longer applies."""
    for other in (
        Suggestion.objects.select_for_update(of=("self",))
        .filter(thread__chapter=chapter, status=SuggestionStatus.OPEN)
        .exclude(pk=exclude)
    ):
        if other.merge(chapter).outcome == merging.Outcome.CONFLICT:
            mark_conflicted(other)


def mark_conflicted(suggestion: Suggestion) -> None:
    if suggestion.status == SuggestionStatus.CONFLICTED:
        return
    suggestion.status = SuggestionStatus.CONFLICTED
    suggestion.save(update_fields=["status"])
    announce(Decision.objects.create(suggestion=suggestion, kind=Decision.Kind.CONFLICTED))
    suggestion.thread.touch()


def close_thread(thread: Thread, *, by: User) -> None:
    if thread.status == ThreadStatus.OPEN:
        thread.status = ThreadStatus.RESOLVED
        thread.resolved_by = by
        thread.resolved_at = timezone.now()
        thread.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])


@transaction.atomic
def reject(suggestion: Suggestion, *, by: User, reason: str) -> Decision:
    """Reject with a reason, which the proposer will read."""
    if not can_decide(by):
        raise NotAllowed(_("Only editors decide on suggestions."))
    if not reason.strip():
        raise NotAllowed(_("Say why the suggestion is rejected."))
    _chapter, fresh = locked(suggestion)
    if fresh.status not in UNDECIDED:
        raise NotAllowed(_("This suggestion was already decided."))
    fresh.status = SuggestionStatus.REJECTED
    fresh.save(update_fields=["status"])
    close_thread(fresh.thread, by=by)
    decision = Decision.objects.create(
        suggestion=fresh, kind=Decision.Kind.REJECTED, by=by, reason=reason.strip()
    )
    announce(decision)
    return decision


@transaction.atomic
def withdraw(suggestion: Suggestion, *, by: User) -> Decision:
    if by.pk != suggestion.thread.author_id:
        raise NotAllowed(_("Only its proposer may withdraw a suggestion."))
    _chapter, fresh = locked(suggestion)
    if fresh.status not in UNDECIDED:
        raise NotAllowed(_("This suggestion was already decided."))
    fresh.status = SuggestionStatus.WITHDRAWN
    fresh.save(update_fields=["status"])
    close_thread(fresh.thread, by=by)
    decision = Decision.objects.create(suggestion=fresh, kind=Decision.Kind.WITHDRAWN, by=by)
    announce(decision)
    return decision


@transaction.atomic
def resolve_conflict(
    suggestion: Suggestion, *, by: User, replacement: str, reason: str = ""
) -> Decision:
    """Accept a conflicted suggestion with wording the editor wrote against the current text.

    The conflict view shows base, proposed and current text; the editor's replacement takes the
    place of the current text where the suggestion's words were.
    """
    if not can_decide(by):
        raise NotAllowed(_("Only editors decide on suggestions."))
    chapter, fresh = locked(suggestion)
    if fresh.status != SuggestionStatus.CONFLICTED:
        raise NotAllowed(_("Only a conflicted suggestion is resolved this way."))
    result = fresh.merge(chapter)
    if result.start is None or result.end is None:
        raise NotAllowed(_("The suggestion's place in the current text cannot be found."))
    return record_acceptance(
        chapter,
        fresh,
        body=chapter.body[: result.start] + replacement + chapter.body[result.end :],
        applied_text=replacement,
        kind=Decision.Kind.MODIFIED,
        by=by,
        reason=reason,
        how=", resolved against the current text",
    )


@dataclass
class BulkReport:
    decided: list[Suggestion]
    stopped_at: Suggestion | None = None
    error: str = ""


def decide_many(
    suggestions: list[Suggestion], *, by: User, action: str, reason: str = ""
) -> BulkReport:
    """Accept or reject a filtered set in document order, stopping at the first that fails.

    Each decision is its own transaction, so those made before a conflict stay made, and the
    report says which one stopped the run and why.
    """
    report = BulkReport(decided=[])
    for suggestion in sorted(suggestions, key=lambda s: (s.source_start, s.pk)):
        try:
            if action == "accept":
                accept(suggestion, by=by, reason=reason)
            else:
                reject(suggestion, by=by, reason=reason)
        except (Conflict, NotAllowed) as error:
            report.stopped_at, report.error = suggestion, str(error)
            break
        report.decided.append(suggestion)
    return report


# --- What the workflow asks of the discussion (chapters cannot look here itself)


@receiver(approval_check, dispatch_uid="comments.approval_check")
def open_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter is approved only when its suggestions are decided and its threads resolved."""
    suggestions = Suggestion.objects.filter(thread__chapter=chapter, status__in=UNDECIDED).count()
    threads = Thread.objects.open().filter(chapter=chapter, kind=Kind.COMMENT).count()
    reasons = []
    if suggestions:
        reasons.append(
            ngettext("%(n)s open suggestion", "%(n)s open suggestions", suggestions)
            % {"n": suggestions}
        )
    if threads:
        reasons.append(
            ngettext("%(n)s open thread", "%(n)s open threads", threads) % {"n": threads}
        )
    return reasons


@receiver(draft_check, dispatch_uid="comments.draft_check")
def any_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter that has been discussed stays in review: a draft would hide the discussion."""
    threads = Thread.objects.filter(chapter=chapter).count()
    if not threads:
        return []
    return [ngettext("%(n)s thread on it", "%(n)s threads on it", threads) % {"n": threads}]
