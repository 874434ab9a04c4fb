"""Confirming a reviewed Word copy: the chosen comments become threads, the chosen tracked
changes suggestions, the replies replies, through the same actions as the web (open_thread,
propose, add_comment), so the same policies and the same notifications apply."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter
from comments import policies, wordcopy
from comments.actions.suggestions import propose
from comments.actions.threads import add_comment, open_thread
from comments.models import (
    Category,
    Comment,
    NotAllowed,
    Thread,
    WordReview,
    WordReviewState,
)
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User


class AlreadyConfirmed(Exception):
    """The upload was confirmed before: nothing is created a second time."""


@dataclass
class WordResult:
    threads: list[int] = field(default_factory=list)
    suggestions: list[int] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    general: list[int] = field(default_factory=list)
    skipped: int = 0


def confirm_word_review(*, review: WordReview, by: User, chosen: Collection[int]) -> WordResult:
    """Create what the uploader chose from a read review, once.

    The review row is locked and its state checked, so a second confirmation (a double click,
    two tabs) raises AlreadyConfirmed and creates nothing. Each item is planned again against the
    chapters as they are inside the transaction (they may have changed since the preview); the
    chapters are locked in primary-key order first, as every decision on a chapter is.
    """
    if by.pk != review.uploaded_by_id:
        raise NotAllowed(_("Only its uploader may confirm a reviewed copy."))
    with transaction.atomic():
        locked = WordReview.objects.select_for_update().get(pk=review.pk)
        if locked.confirmed_at is not None or locked.state == WordReviewState.CONFIRMED:
            raise AlreadyConfirmed
        if locked.state != WordReviewState.READ:
            raise NotAllowed(_("This file could not be read; there is nothing to confirm."))
        ids = sorted(int(pk) for pk in locked.found.get("chapters", {}))
        list(Chapter.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        result = WordResult()
        made: dict[int, Thread] = {}
        for planned in wordcopy.plan(locked, by):
            n = planned.item["n"]
            if n not in chosen or planned.action == "none":
                result.skipped += n in chosen
                continue
            thread = _create(planned, locked, by, made)
            if thread is None:
                result.skipped += 1
                continue
            if planned.action == "reply":
                result.replies.append(thread.pk)
            else:
                made[n] = thread
                {"thread": result.threads, "suggestion": result.suggestions}.get(
                    planned.action, result.general
                ).append(thread.pk)
        locked.state = WordReviewState.CONFIRMED
        locked.confirmed_at = clock.now()
        locked.result = {
            "threads": result.threads,
            "suggestions": result.suggestions,
            "replies": result.replies,
            "general": result.general,
            "skipped": result.skipped,
        }
        locked.save(update_fields=["state", "confirmed_at", "result"])
    return result


def _create(
    planned: wordcopy.Planned, review: WordReview, by: User, made: dict[int, Thread]
) -> Thread | None:
    author = planned.author or by
    chapter = planned.chapter
    if planned.action == "reply":
        thread = planned.thread or made.get(planned.item.get("parent", -1))
        if thread is None:
            return None
        if not policies.threads.may_comment(author, Chapter.objects.get(pk=thread.chapter_id)):
            return None
        comment = add_comment(thread, by=author, body=planned.item.get("body", ""))
        if planned.word_author:
            Comment.objects.filter(pk=comment.pk).update(word_author=planned.word_author)
        return thread
    if chapter is None or planned.anchor is None:
        return None
    if planned.action == "suggestion" and planned.edit is not None:
        suggestion = propose(
            chapter,
            by=author,
            anchor=planned.anchor,
            source_start=planned.edit.start,
            source_end=planned.edit.end,
            whole_block=False,
            replacement=planned.edit.replacement,
            rationale=wordcopy.change_rationale(planned, review.filename),
        )
        thread = suggestion.thread
    else:
        body = (
            planned.item.get("body", "")
            if planned.action == "thread"
            else wordcopy.general_body(planned, review.filename)
        )
        thread = open_thread(
            chapter,
            by=author,
            anchor=planned.anchor,
            body=body,
            category=Category.GENERAL,
        )
    Thread.objects.filter(pk=thread.pk).update(word_review=review, word_author=planned.word_author)
    thread.word_review, thread.word_author = review, planned.word_author
    return thread
