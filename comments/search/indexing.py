"""The search entries kept current on every write, in the writer's own transaction.

The receivers run where the text changes: a chapter made (post_save of a new Chapter), revised
(chapters.signals.chapter_revised, sent by `Chapter.revise` inside its transaction: the text
that was current becomes an earlier version's entry, the chapter's entry takes the new text),
a comment written, edited, hidden or deleted (post_save of Comment: a hidden or deleted
comment's entry is removed, so its words are found by no one), a suggestion made. Deleting a
chapter, thread or comment deletes its entries (foreign keys, CASCADE). Who may see an entry is
asked when searching (finding.py), so workflow moves and visibility changes write nothing here.

`rebuild` makes every entry again from the rows (`manage.py rebuild_search_index`, for data
that predates search or was bulk-loaded).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q

from chapters.models import Chapter
from comments.models import Comment, EntryKind, SearchEntry, Suggestion, Thread
from comments.search.folding import fold, readable


def texts(title: str, body: str) -> dict[str, str]:
    shown = readable(body)
    return {"title": title, "body": shown, "folded_title": fold(title), "folded_body": fold(shown)}


def chapter_entry(chapter: Chapter) -> SearchEntry:
    return SearchEntry(
        kind=EntryKind.CHAPTER,
        handbook_id=chapter.handbook_id,
        chapter=chapter,
        version=chapter.version,
        author_id=getattr(getattr(chapter, "_history_user", None), "pk", None),
        written_at=chapter.updated_at,
        **texts(chapter.title, chapter.body),
    )


def comment_entry(comment: Comment, thread: Thread, handbook_id: int) -> SearchEntry:
    return SearchEntry(
        kind=EntryKind.COMMENT,
        handbook_id=handbook_id,
        chapter_id=thread.chapter_id,
        thread=thread,
        comment=comment,
        author_id=comment.author_id,
        jurisdiction_id=comment.author_jurisdiction_id,
        written_at=comment.edited_at or comment.created_at,
        **texts("", comment.body),
    )


def suggestion_entry(suggestion: Suggestion, thread: Thread, handbook_id: int) -> SearchEntry:
    return SearchEntry(
        kind=EntryKind.SUGGESTION,
        handbook_id=handbook_id,
        chapter_id=thread.chapter_id,
        thread=thread,
        author_id=thread.author_id,
        jurisdiction_id=thread.author_jurisdiction_id,
        written_at=suggestion.created_at,
        **texts("", suggestion.replacement),
    )


def replace(existing: Any, entry: SearchEntry) -> None:
    """Write `entry` over the rows `existing` finds (one at most), or add it."""
    found = existing.first()
    if found is not None:
        entry.pk = found.pk
        entry.save(force_update=True)
    else:
        entry.save(force_insert=True)


def index_chapter(chapter: Chapter) -> None:
    replace(
        SearchEntry.objects.filter(kind=EntryKind.CHAPTER, chapter=chapter).only("pk"),
        chapter_entry(chapter),
    )


def index_revision(chapter: Chapter, *, previous_version: int, previous_body: str) -> None:
    """The text that was current becomes an earlier version's entry (moved over from the
    chapter's entry, already folded), and the chapter's entry takes the new text."""
    with transaction.atomic():
        current = SearchEntry.objects.filter(kind=EntryKind.CHAPTER, chapter=chapter).first()
        current_pk = None if current is None else current.pk
        if current is not None and current.version == previous_version:
            earlier = current
            earlier.pk = None
        else:  # not indexed before (data older than search): from the version's record
            old = chapter.history.filter(version=previous_version).first()
            earlier = SearchEntry(
                handbook_id=chapter.handbook_id,
                chapter=chapter,
                author_id=old.history_user_id if old else None,
                written_at=old.history_date if old else chapter.updated_at,
                **texts(old.title if old else chapter.title, previous_body),
            )
        earlier.kind = EntryKind.VERSION
        earlier.version = previous_version
        earlier.thread_id = earlier.comment_id = None
        SearchEntry.objects.filter(
            kind=EntryKind.VERSION, chapter=chapter, version=previous_version
        ).delete()
        earlier.save(force_insert=True)
        entry = chapter_entry(chapter)
        if current_pk is not None:
            entry.pk = current_pk
            entry.save(force_update=True)
        else:
            entry.save(force_insert=True)


def index_comment(comment: Comment) -> None:
    """A comment shown to its readers is found; a hidden or deleted one is not."""
    existing = SearchEntry.objects.filter(kind=EntryKind.COMMENT, comment=comment)
    if comment.deleted_at is not None or comment.hidden_by_id is not None:
        existing.delete()
        return
    thread = comment.thread
    replace(existing.only("pk"), comment_entry(comment, thread, handbook_of(thread)))


def index_suggestion(suggestion: Suggestion) -> None:
    thread = suggestion.thread
    replace(
        SearchEntry.objects.filter(kind=EntryKind.SUGGESTION, thread=thread).only("pk"),
        suggestion_entry(suggestion, thread, handbook_of(thread)),
    )


def handbook_of(thread: Thread) -> int:
    if Thread.chapter.is_cached(thread):  # type: ignore[attr-defined]
        return thread.chapter.handbook_id
    return Chapter.objects.values_list("handbook_id", flat=True).get(pk=thread.chapter_id)


# --- Receivers (connected in comments/apps.py) ---


def on_chapter_saved(sender: Any, instance: Chapter, created: bool, **kwargs: Any) -> None:
    # Later changes of the text are revisions (on_chapter_revised); other saves change nothing
    # that is searched.
    if created and not kwargs.get("raw"):
        index_chapter(instance)


def on_chapter_revised(
    sender: Any, chapter: Chapter, previous_version: int, previous_body: str, **kwargs: Any
) -> None:
    index_revision(chapter, previous_version=previous_version, previous_body=previous_body)


def on_comment_saved(sender: Any, instance: Comment, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        index_comment(instance)


def on_suggestion_saved(sender: Any, instance: Suggestion, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        index_suggestion(instance)


# --- Everything again ---


def rebuild(chapters: Iterable[Chapter] | None = None, *, batch: int = 200) -> int:
    """Every entry made again from the rows (of the given chapters, or of all): returns how
    many. For data that predates search or was bulk-loaded past the receivers."""
    scope = Q() if chapters is None else Q(pk__in=[c.pk for c in chapters])
    chapter_ids = list(Chapter.objects.filter(scope).values_list("pk", flat=True))
    count = 0
    with transaction.atomic():
        SearchEntry.objects.filter(chapter__in=chapter_ids).delete()
        for start in range(0, len(chapter_ids), 20):
            ids = chapter_ids[start : start + 20]
            for entries in batched(entries_of(ids), batch):
                SearchEntry.objects.bulk_create(entries)
                count += len(entries)
    return count


def entries_of(chapter_ids: list[int]) -> Iterator[SearchEntry]:
    found = Chapter.objects.filter(pk__in=chapter_ids)
    for chapter in found:
        yield SearchEntry(
            kind=EntryKind.CHAPTER,
            handbook_id=chapter.handbook_id,
            chapter_id=chapter.pk,
            version=chapter.version,
            author_id=None,
            written_at=chapter.updated_at,
            **texts(chapter.title, chapter.body),
        )
    current = {c.pk: c.version for c in found}
    handbooks = {c.pk: c.handbook_id for c in found}
    history = Chapter.history.model.objects.filter(id__in=chapter_ids)  # type: ignore[attr-defined]
    seen: set[tuple[int, int]] = set()
    for old in history.order_by("-history_id").iterator(chunk_size=50):
        key = (old.id, old.version)
        if old.version >= current[old.id] or key in seen:
            continue
        seen.add(key)
        yield SearchEntry(
            kind=EntryKind.VERSION,
            handbook_id=handbooks[old.id],
            chapter_id=old.id,
            version=old.version,
            author_id=old.history_user_id,
            written_at=old.history_date,
            **texts(old.title, old.body),
        )
    threads = Thread.objects.filter(chapter_id__in=chapter_ids)
    comments = Comment.objects.filter(
        thread__in=threads, deleted_at__isnull=True, hidden_by__isnull=True
    ).select_related("thread")
    for comment in comments.iterator(chunk_size=500):
        yield comment_entry(comment, comment.thread, handbooks[comment.thread.chapter_id])
    for suggestion in Suggestion.objects.filter(thread__in=threads).select_related("thread"):
        yield suggestion_entry(
            suggestion, suggestion.thread, handbooks[suggestion.thread.chapter_id]
        )


def batched(items: Iterable[SearchEntry], size: int) -> Iterator[list[SearchEntry]]:
    chunk: list[SearchEntry] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
