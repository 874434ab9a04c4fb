"""Opening a thread, replying in it, resolving, reopening and re-attaching it; editing,
deleting and hiding a comment; and turning a reader's selection into an anchor.

Each state change is one function that asks comments/policies.py, owns its transaction and
tells the people concerned after the commit (comments/notices.py).
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from chapters import policies as chapter_policies
from chapters import rendering
from chapters.models import Chapter, Round, normalise_newlines
from chapters.review import review_window
from comments import anchoring, notices, policies
from comments.actions.reanchoring import reanchor_threads
from comments.models import (
    Anchor,
    Category,
    Comment,
    NotAllowed,
    Thread,
    ThreadStatus,
    Visibility,
)
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User


MENTION = re.compile(r"@([^\s@][^@\n]{0,80})")


def find_mentions(body: str, candidates: list[User]) -> list[User]:
    """Users named as @Full Name in the text, matched against the people who may read it."""
    if "@" not in body:
        return []
    return [person for person in candidates if person.name and f"@{person.name}" in body]


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
    category: str = Category.GENERAL,
    essential: bool = False,
) -> Thread:
    """Start a thread on `anchor` (offsets in the current version's text) with its first comment.

    The thread records its type, whether it is essential (technical ones only), and the round
    through which a counterpart made it (the one whose comments the editors must dispose of).
    """
    if not policies.threads.may_comment(by, chapter):
        raise NotAllowed(_("You cannot comment on this chapter now."))
    if category not in Category.values:
        raise NotAllowed(_("Choose the comment's type: general, technical or editorial."))
    if essential and category != Category.TECHNICAL:
        raise NotAllowed(_("Only a technical comment can be essential."))
    thread = Thread(
        category=category,
        essential=essential,
        round=review_round_of(chapter, by),
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


@transaction.atomic
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
    transaction.on_commit(partial(notices.notify_comment, comment), robust=True)
    return comment


def review_round_of(chapter: Chapter, user: User) -> Round | None:
    """The round a counterpart comments through now; None for editors, who review any time."""
    if chapter_policies.handbooks.can(user, "see_drafts"):
        return None
    window = review_window(chapter, user)
    return None if window is None else window.round


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


@transaction.atomic
def reopen_thread(thread: Thread, *, by: User) -> None:
    """Reopen, and bring the anchor up to the chapter's current version if it fell behind."""
    if not policies.threads.may_manage(by, thread):
        raise NotAllowed(_("Only editors and the thread's author may reopen it."))
    if thread.status == ThreadStatus.OPEN:
        raise NotAllowed(_("This thread is already open."))
    thread.status = ThreadStatus.OPEN
    thread.resolved_by = None
    thread.resolved_at = None
    thread.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])
    chapter = Chapter.objects.get(pk=thread.chapter_id)
    if thread.anchored_version != chapter.version and not thread.is_orphaned:
        old = chapter.history.get(version=thread.anchored_version)
        reanchor_threads(
            chapter,
            previous_version=old.version,
            previous_body=old.body,
            threads=[thread],
        )


@transaction.atomic
def resolve_thread(thread: Thread, *, by: User) -> None:
    if not policies.threads.may_manage(by, thread):
        raise NotAllowed(_("Only editors and the thread's author may resolve it."))
    if thread.status == ThreadStatus.RESOLVED:
        raise NotAllowed(_("This thread is already resolved."))
    thread.status = ThreadStatus.RESOLVED
    thread.resolved_by = by
    thread.resolved_at = clock.now()
    thread.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])


@transaction.atomic
def reattach_thread(thread: Thread, anchor: anchoring.Anchor, *, by: User) -> None:
    """Attach an orphaned (or misplaced) thread to a new selection in the current version."""
    if not policies.threads.may_manage(by, thread):
        raise NotAllowed(_("Only editors and the thread's author may re-attach it."))
    chapter = Chapter.objects.get(pk=thread.chapter_id)
    thread.place(anchor, version=chapter.version)
    thread.save()
    Anchor.objects.update_or_create(
        thread=thread,
        version=chapter.version,
        defaults={
            "start": anchor.start,
            "end": anchor.end,
            "exact": anchor.quote.exact,
            "outcome": "reattached",
        },
    )


@transaction.atomic
def edit_comment(comment: Comment, body: str, *, by: User) -> None:
    """Change one's own comment; the earlier text stays in its history."""
    if by.pk != comment.author_id:
        raise NotAllowed(_("Only its author may edit a comment."))
    if comment.deleted_at is not None or comment.is_hidden:
        raise NotAllowed(_("This comment can no longer be edited."))
    comment.set_body(body)
    comment.edited_at = clock.now()
    comment._history_user = by  # type: ignore[attr-defined]
    comment._change_reason = "Edited"  # type: ignore[attr-defined]
    comment.save()
    comment.thread.touch()


@transaction.atomic
def delete_comment(comment: Comment, *, by: User) -> None:
    """Soft-delete one's own comment, if no one has replied after it."""
    if by.pk != comment.author_id:
        raise NotAllowed(_("Only its author may delete a comment."))
    if comment.thread.comments.shown().filter(pk__gt=comment.pk).exists():
        raise NotAllowed(_("A comment with replies cannot be deleted."))
    comment.deleted_at = clock.now()
    comment._history_user = by  # type: ignore[attr-defined]
    comment._change_reason = "Deleted"  # type: ignore[attr-defined]
    comment.save()
    comment.thread.touch()
    notices.forget_comment(comment)


@transaction.atomic
def hide_comment(comment: Comment, *, by: User, reason: str) -> None:
    """An editor hides a comment (kept for the record) and says why."""
    if not policies.threads.can(by, "moderate"):
        raise NotAllowed(_("Only editors may hide comments."))
    if not reason.strip():
        raise NotAllowed(_("Say why the comment is hidden."))
    comment.hidden_by = by
    comment.hidden_reason = reason.strip()
    comment._history_user = by  # type: ignore[attr-defined]
    comment._change_reason = "Hidden"  # type: ignore[attr-defined]
    comment.save()
    comment.thread.touch()
    notices.forget_comment(comment)
