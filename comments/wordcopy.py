"""The Word round trip on the comments floor: the review copy a person downloads (the threads
they may see as Word comments, the open suggestions as tracked changes), and a reviewed copy
read back into items, planned against the chapters as they are now.

The engines are in comments/wordreview.py (pure); the state change that creates what the
uploader confirms is comments/actions/word.py. Reading is done in the request: a copy of a
20,000-word chapter with 400 comments and changes is read and mapped in well under the budget
(bench/run.py --only word), and pandoc is not needed to read it (lxml walks document.xml).
"""

from __future__ import annotations

import contextlib
import html as html_lib
import secrets
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook, plain_text
from chapters.wordfile import check_docx, refuse_if_too_large
from chapters.wordsplit import ImportRefused
from comments import anchoring, merging, policies, sourcemap, tracked, wordreview
from comments.models import (
    UNDECIDED,
    Comment,
    Suggestion,
    Thread,
    ThreadStatus,
    WordReview,
    WordReviewState,
)
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User

# More than this many comments and changes in one file is refused: split the review.
MAX_ITEMS = 2000
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _heading(chapter: Chapter) -> str:
    return f"{chapter.number}. {chapter.title}"


# --- Out


def copy_chapter(chapter: Chapter, user: User) -> wordreview.CopyChapter:
    """The chapter's current text with the open threads the user may see and the undecided
    suggestions among them (three queries whatever their number)."""
    text = chapter.plain_text()
    rows = list(
        policies.threads.visible_to(user)
        .filter(chapter=chapter, status=ThreadStatus.OPEN, anchored_version=chapter.version)
        .exclude(start__isnull=True)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=Comment.objects.shown()
                .filter(hidden_by__isnull=True)
                .select_related("author")
                .order_by("created_at", "pk"),
            )
        )
        .order_by("start", "pk")
    )
    suggestions = {
        s.thread_id: s
        for s in Suggestion.objects.filter(
            thread__in=[t.pk for t in rows], status__in=UNDECIDED
        ).select_related("thread")
    }
    threads: list[wordreview.CopyThread] = []
    changes: list[wordreview.CopyChange] = []
    taken: list[merging.Edit] = []
    for thread in rows:
        comments = [
            wordreview.CopyComment(
                author=c.word_author or c.author.name or c.author.email,
                date=_iso(c.created_at),
                body=c.body,
            )
            for c in thread.comments.all()
        ]
        suggestion = suggestions.get(thread.pk)
        if suggestion is not None and thread.start is not None and thread.end is not None:
            change = tracked.tracked_change(
                text,
                start=thread.start,
                end=thread.end,
                current_exact=thread.current_exact,
                original=suggestion.original,
                replacement=suggestion.replacement,
                whole_block=suggestion.whole_block,
            )
            span = merging.Edit(change.start, change.end, "") if change else None
            if (
                change is not None
                and span is not None
                and not any(tracked.overlap(span, other) for other in taken)
            ):
                taken.append(span)
                changes.append(
                    wordreview.CopyChange(
                        thread_id=thread.pk,
                        author=thread.word_author or thread.author.name or thread.author.email,
                        date=_iso(suggestion.created_at),
                        start=change.start,
                        end=change.end,
                        parts=change.parts,
                    )
                )
            elif comments:
                # Two suggestions on the same words cannot both be tracked changes: this one is
                # a comment saying what it proposes.
                first = comments[0]
                proposed = _("Proposed wording: “%(text)s”") % {"text": suggestion.replacement}
                comments[0] = wordreview.CopyComment(
                    first.author, first.date, f"{first.body}\n{proposed}".strip()
                )
        if comments and thread.start is not None and thread.end is not None:
            threads.append(wordreview.CopyThread(thread.pk, thread.start, thread.end, comments))
    return wordreview.CopyChapter(
        chapter_id=chapter.pk,
        version=chapter.version,
        heading=_heading(chapter),
        html=chapter.rendered(),
        text=text,
        threads=threads,
        changes=changes,
    )


def review_copy(handbook: Handbook, chapters: list[Chapter], user: User) -> bytes:
    """The review copy of these chapters for this user (the caller checked they may review)."""
    made_at = clock.now()
    reference = wordreview.Reference(
        handbook=handbook.slug,
        chapters={c.pk: c.version for c in chapters},
        made_for=user.email,
        made_at=_iso(made_at),
    )
    if len(chapters) == 1:
        title = _("Review copy: %(chapter)s") % {"chapter": _heading(chapters[0])}
    else:
        title = _("Review copy: %(handbook)s") % {"handbook": handbook.title}
    preface = _(
        "Review copy of %(handbook)s made on %(date)s for %(person)s. Comment and track "
        "changes in Word, then upload this file on the handbook's page: your comments become "
        "threads and your tracked changes suggestions. Keep the file's properties as they are."
    ) % {"handbook": handbook.title, "date": f"{made_at:%Y-%m-%d %H:%M}", "person": user.name}
    return wordreview.review_copy(
        reference, [copy_chapter(c, user) for c in chapters], title=title, preface=preface
    )


def copy_filename(handbook: Handbook, chapters: list[Chapter]) -> str:
    stem = handbook.slug if len(chapters) != 1 else f"{handbook.slug}-{chapters[0].number}"
    version = f"-v{chapters[0].version}" if len(chapters) == 1 else ""
    return f"{stem}{version}-review-copy-{clock.now():%Y%m%d-%H%M}.docx"


# --- Back: reading the upload


def read_upload(*, handbook: Handbook, name: str, data: bytes, by: User) -> WordReview:
    """Check, store and read an uploaded reviewed copy into a WordReview (nothing else is made).

    The file is stored under a random name while it is read and deleted after, as a Word
    import's is; what was found stays on the row. Raises ImportRefused with a message for
    anything that is not a review copy of this handbook.
    """
    refuse_if_too_large(len(data))
    if not name.lower().endswith(".docx"):
        raise ImportRefused(_("Only Word documents (.docx) can be read as reviewed copies."))
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportRefused(
            _(
                "This file is encrypted or in the old .doc format. Remove the password, or "
                "save it as a .docx document, then upload it again."
            )
        )
    check_docx(data)
    review = WordReview(handbook=handbook, uploaded_by=by, filename=name[:255])
    review.upload.save(f"{secrets.token_hex(16)}.upload", ContentFile(data), save=False)
    try:
        with review.upload.open("rb") as stored:
            found = _found(handbook, stored.read(), by)
    finally:
        with contextlib.suppress(OSError):
            review.upload.storage.delete(str(review.upload.name))
        review.upload = ""  # type: ignore[assignment]
    review.found = found
    review.state = WordReviewState.READ
    review.save()
    return review


def _found(handbook: Handbook, data: bytes, by: User) -> dict[str, Any]:
    try:
        read = wordreview.read_reviewed(data, max_items=MAX_ITEMS)
    except wordreview.ReviewCopyError as error:
        if str(error).startswith("too many"):
            raise ImportRefused(
                _(
                    "This file holds more than %(limit)s comments and tracked changes. Split the "
                    "review into several copies (one per chapter) and upload them one by one."
                )
                % {"limit": MAX_ITEMS}
            ) from error
        raise ImportRefused(
            _("This Word document could not be read. Save it again in Word and upload it again.")
        ) from error
    reference = read.reference
    if not reference:
        raise ImportRefused(
            _(
                "This Word file is not a review copy made by this site (it carries no "
                "reference to a handbook and version). Download a review copy from the chapter "
                "or handbook page, review it in Word and upload that file."
            )
        )
    if reference.get("handbook") != handbook.slug:
        raise ImportRefused(
            _(
                "This review copy was made from another handbook (“%(other)s”). Upload it on "
                "that handbook's page."
            )
            % {"other": reference.get("handbook", "")}
        )
    try:
        wanted = {int(k): int(v) for k, v in reference.get("chapters", {}).items()}
    except (TypeError, ValueError, AttributeError):
        wanted = {}
    chapters = {
        c.pk: c
        for c in chapter_policies.chapters.visible_to(by).filter(
            handbook=handbook, pk__in=list(wanted)
        )
    }
    if not chapters:
        raise ImportRefused(
            _("The chapters this review copy was made from are not in this handbook any more.")
        )
    order = [pk for pk in wanted if pk in chapters]
    bases = _base_texts(chapters, wanted)
    aligner = wordreview.Aligner(
        read.text,
        [_heading(chapters[pk]) for pk in order],
        [bases[pk][1] for pk in order],
    )
    items: list[dict[str, Any]] = []
    by_word_id: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    for comment in read.comments:
        if comment.mine and comment.parent is None:
            by_word_id[comment.word_id] = -1  # the app's own comment: its thread
            continue
        if comment.mine:
            continue
        parent = comment.parent
        item: dict[str, Any] = {
            "kind": "comment",
            "author": comment.author,
            "date": comment.date,
            "body": comment.body,
            "where": comment.where,
        }
        parent_comment = next((c for c in read.comments if c.word_id == parent), None)
        if parent_comment is not None:
            item["kind"] = "reply"
            if parent_comment.mine:
                item["thread"] = parent_comment.thread
            else:
                item["parent_word_id"] = parent
        _place(item, comment.start, comment.end, aligner, order, bases, read.text)
        by_word_id[comment.word_id] = len(items)
        items.append(item)
    for change in read.changes:
        item = {
            "kind": "change",
            "author": change.author,
            "date": change.date,
            "deleted": change.deleted,
            "inserted": change.inserted,
            "where": change.where,
        }
        if change.start is not None and change.end is not None:
            spans.append((change.start, change.end))
        _place(item, change.start, change.end, aligner, order, bases, read.text)
        items.append(item)
    for item in items:
        if "parent_word_id" in item:
            item["parent"] = by_word_id.get(item.pop("parent_word_id"))
    for n, item in enumerate(items):
        item["n"] = n
    return {
        "chapters": {str(pk): wanted[pk] for pk in order},
        "untracked": aligner.untracked(spans),
        "items": items,
    }


def _base_texts(chapters: dict[int, Chapter], wanted: dict[int, int]) -> dict[int, tuple[str, str]]:
    """Each chapter's (Markdown, plain text) at the version the copy was made from."""
    result: dict[int, tuple[str, str]] = {}
    for pk, chapter in chapters.items():
        version = wanted[pk]
        if version == chapter.version:
            result[pk] = (chapter.body, chapter.plain_text())
            continue
        old = chapter.history.filter(version=version).first()
        body = str(old.body) if old is not None else chapter.body
        result[pk] = (body, plain_text(chapter.pk, version, chapter.number, body))
    return result


def _place(
    item: dict[str, Any],
    start: int | None,
    end: int | None,
    aligner: wordreview.Aligner,
    order: list[int],
    bases: dict[int, tuple[str, str]],
    copy_text: str,
) -> None:
    """Where the item stands in the version the copy was made from (or why nowhere)."""
    item["chapter"] = None
    if start is None or end is None:
        item["problem"] = "note"
        return
    quote = copy_text[start:end]
    item["quote"] = quote
    landing = aligner.land(start, end)
    if landing.chapter is None:
        item["problem"] = "outside"
        return
    pk = order[landing.chapter]
    item["chapter"] = pk
    item["start"], item["end"] = landing.start, landing.end
    text = bases[pk][1]
    if not landing.exact:
        item["problem"] = "untracked"
    elif item["where"] == "table" and item["kind"] == "change":
        item["problem"] = "table"
    item["context_before"] = text[max(0, landing.start - 80) : landing.start]
    item["context_after"] = text[landing.end : landing.end + 80]


# --- Planning: where each item lands in the chapters as they are now


@dataclass
class Planned:
    item: dict[str, Any]
    action: str  # "thread", "suggestion", "reply", "general" (a comment quoting it), "none"
    reason: str = ""
    chapter: Chapter | None = None
    anchor: anchoring.Anchor | None = None
    edit: merging.Edit | None = None
    author: User | None = None
    word_author: str = ""
    thread: Thread | None = None
    preview_html: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


REASONS = {
    "note": lambda: _(
        "It is in a footnote or endnote of the Word file, which the chapter's text "
        "cannot hold as it is: kept as a general comment quoting it."
    ),
    "outside": lambda: _(
        "It is outside the chapters' text (the copy's title or headings): kept "
        "as a general comment quoting it."
    ),
    "untracked": lambda: _(
        "Its words are not the chapter's as the copy had them (edited "
        "without tracking?): kept as a general comment quoting it."
    ),
    "table": lambda: _(
        "It changes a table, which the chapter's Markdown cannot take word by "
        "word: kept as a general comment quoting it."
    ),
    "orphaned": lambda: _(
        "Its words are gone from the chapter since the copy was made "
        "(orphaned): kept as a general comment quoting it."
    ),
    "conflicted": lambda: _(
        "The chapter changed these words since the copy was made "
        "(conflicted): kept as a general comment quoting it."
    ),
    "formatting": lambda: _(
        "It crosses formatting (bold, a link, several paragraphs), so it "
        "cannot be a suggestion on exact words: kept as a general comment "
        "quoting it."
    ),
    "already": lambda: _("The chapter already reads like this: nothing to suggest."),
    "not_allowed": lambda: _(
        "You cannot comment on this chapter now (no open round invites your jurisdiction)."
    ),
    "no_parent": lambda: _("The comment it replies to was not read from this file."),
    "closed": lambda: _("The thread it replies to is closed or not yours to see."),
    "empty": lambda: _("It is empty."),
}


def plan(review: WordReview, user: User) -> list[Planned]:
    """Each item of the review, planned against the chapters as they are now (nothing written)."""
    chapter_ids = [int(pk) for pk in review.found.get("chapters", {})]
    chapters = {
        c.pk: c
        for c in chapter_policies.chapters.visible_to(user).filter(
            handbook=review.handbook_id, pk__in=chapter_ids
        )
    }
    versions = {int(k): int(v) for k, v in review.found.get("chapters", {}).items()}
    bases = _base_texts(chapters, {pk: versions[pk] for pk in chapters})
    allowed = {pk: policies.threads.may_comment(user, c) for pk, c in chapters.items()}
    authors = _authors(review, chapters, user)
    thread_ids = [i["thread"] for i in review.found.get("items", []) if i.get("thread")]
    open_threads = {
        t.pk: t
        for t in policies.threads.visible_to(user).filter(
            pk__in=thread_ids, status=ThreadStatus.OPEN
        )
    }
    planned = []
    for item in review.found.get("items", []):
        planned.append(_plan_item(item, chapters, bases, allowed, authors, open_threads, user))
    return planned


def _authors(review: WordReview, chapters: dict[int, Chapter], user: User) -> dict[str, User]:
    """Word author names (or e-mail addresses) matched to people who may review the chapters.

    A Word author's name is whatever the file says, so a counterpart's upload is matched only to
    people of the counterpart's own jurisdiction (their colleagues, for whom they may upload);
    an editor's, uploading on a jurisdiction's behalf, to anyone who may review.
    """
    from handbook_review.people.models import User as UserModel

    names = {i["author"].strip() for i in review.found.get("items", []) if i.get("author")}
    if not names or not chapters:
        return {}
    query = Q()
    for name in names:
        query |= Q(name__iexact=name) | Q(email__iexact=name)
    readers = set()
    for chapter in chapters.values():
        readers |= set(chapter_policies.chapters.readers(chapter).values_list("pk", flat=True))
    people = UserModel.objects.filter(query, is_active=True, pk__in=readers)
    if not chapter_policies.handbooks.can(user, "see_drafts"):
        people = people.filter(jurisdiction=user.jurisdiction_id)
    found: dict[str, User] = {}
    for person in people:
        for name in names:
            if name.lower() in (person.name.lower(), person.email.lower()):
                found.setdefault(name.lower(), person)
    return found


def _plan_item(
    item: dict[str, Any],
    chapters: dict[int, Chapter],
    bases: dict[int, tuple[str, str]],
    allowed: dict[int, bool],
    authors: dict[str, User],
    open_threads: dict[int, Thread],
    user: User,
) -> Planned:
    planned = Planned(item=item, action="none")
    name = (item.get("author") or "").strip()
    matched = authors.get(name.lower())
    replied = open_threads.get(item.get("thread") or -1)
    target = chapters.get(replied.chapter_id if replied else item.get("chapter") or -1)
    if matched is not None and target is not None and policies.threads.may_comment(matched, target):
        planned.author = matched
    else:
        planned.author = user
        planned.word_author = name
    planned.preview_html = _preview(item)
    if item["kind"] == "reply" and item.get("thread"):
        thread = open_threads.get(item["thread"])
        if thread is None:
            planned.reason = REASONS["closed"]()
            return planned
        planned.chapter = chapters.get(thread.chapter_id)
        if planned.chapter is None or not allowed.get(thread.chapter_id):
            planned.reason = REASONS["not_allowed"]()
            return planned
        planned.action, planned.thread = "reply", thread
        return planned
    if item["kind"] == "reply" and item.get("parent") is not None:
        planned.action = "reply"  # in the thread made from its parent item
        planned.chapter = chapters.get(item.get("chapter") or -1)
        return planned
    if item["kind"] == "reply":
        planned.reason = REASONS["no_parent"]()
        item = {**item, "kind": "comment"}
        planned.item = item
    chapter = chapters.get(item.get("chapter") or -1)
    if chapter is None:
        chapter = next(iter(chapters.values()), None)
    planned.chapter = chapter
    if chapter is None or not allowed.get(chapter.pk):
        planned.reason = REASONS["not_allowed"]()
        return planned
    if item["kind"] == "comment" and not item.get("body"):
        planned.reason = REASONS["empty"]()
        return planned
    problem = item.get("problem")
    if problem:
        return _general(planned, chapter, problem)
    base_body, base_text = bases[chapter.pk]
    current_text = chapter.plain_text()
    start, end = item["start"], item["end"]
    if item["kind"] == "comment":
        anchor = _carry(base_text, current_text, start, end)
        if anchor is None:
            return _general(planned, chapter, "orphaned")
        planned.action, planned.anchor = "thread", anchor
        return planned
    return _plan_change(planned, chapter, base_body, base_text, current_text, start, end)


def _plan_change(
    planned: Planned,
    chapter: Chapter,
    base_body: str,
    base_text: str,
    current_text: str,
    start: int,
    end: int,
) -> Planned:
    item = planned.item
    inserted = _markdown_escape(item.get("inserted", ""))
    try:
        if start == end:
            where = tracked.insertion_point(base_body, start)
        else:
            where = sourcemap.source_range(
                base_body,
                exact=base_text[start:end],
                prefix=base_text[max(0, start - 32) : start],
                suffix=base_text[end : end + 32],
                start=start,
            )
    except (sourcemap.SourceMapError, anchoring.AnchorError, ValueError):
        return _general(planned, chapter, "formatting")
    if where.whole_block:
        return _general(planned, chapter, "formatting")
    edit = merging.Edit(where.start, where.end, inserted)
    if base_body != chapter.body:
        result = merging.apply_edit(base_body, chapter.body, edit)
        if result.outcome == merging.Outcome.ALREADY_APPLIED:
            planned.reason = REASONS["already"]()
            return planned
        rebased = (
            merging.rebase(edit, base_body, chapter.body)
            if result.outcome == merging.Outcome.APPLIED
            else None
        )
        if rebased is None:
            return _general(planned, chapter, "conflicted")
        edit = rebased
    if chapter.body[edit.start : edit.end] == edit.replacement:
        planned.reason = REASONS["already"]()
        return planned
    anchor = _carry(base_text, current_text, start, end)
    if anchor is None:
        return _general(planned, chapter, "orphaned")
    planned.action, planned.anchor, planned.edit = "suggestion", anchor, edit
    return planned


def _carry(base_text: str, current_text: str, start: int, end: int) -> anchoring.Anchor | None:
    """The base version's range carried onto the current text (None: its words are gone)."""
    try:
        if start == end:
            context = anchoring.CONTEXT
            anchor = anchoring.Anchor(
                start,
                end,
                anchoring.Quote(
                    "", base_text[max(0, start - context) : start], base_text[end : end + context]
                ),
            )
        else:
            anchor = anchoring.describe(base_text, start, end)
    except anchoring.AnchorError:
        return None
    if base_text == current_text:
        return anchor
    [moved] = anchoring.reanchor(base_text, current_text, [anchor])
    return moved.anchor


def _general(planned: Planned, chapter: Chapter, problem: str) -> Planned:
    planned.action = "general"
    planned.chapter = chapter
    planned.reason = REASONS[problem]()
    planned.anchor = anchoring.Anchor(0, 0, anchoring.Quote("", "", chapter.plain_text()[:32]))
    return planned


def general_body(planned: Planned, filename: str) -> str:
    """A general comment's text: what the Word file said, quoted, and why it is not on words."""
    item = planned.item
    lines = []
    if item.get("quote"):
        lines.append("> " + item["quote"].replace("\n", "\n> "))
        lines.append("")
    if item["kind"] == "change":
        if item.get("deleted") and item.get("inserted"):
            lines.append(
                _("Tracked change in the Word file: “%(old)s” replaced by “%(new)s”.")
                % {"old": item["deleted"], "new": item["inserted"]}
            )
        elif item.get("deleted"):
            lines.append(
                _("Tracked change in the Word file: “%(old)s” deleted.") % {"old": item["deleted"]}
            )
        else:
            lines.append(
                _("Tracked change in the Word file: “%(new)s” inserted.")
                % {"new": item["inserted"]}
            )
    else:
        lines.append(item.get("body", ""))
    lines.append("")
    lines.append(_("(From “%(file)s”: %(reason)s)") % {"file": filename, "reason": planned.reason})
    return "\n".join(lines)


def change_rationale(planned: Planned, filename: str) -> str:
    return _("Tracked change in the Word file “%(file)s”.") % {"file": filename}


def _markdown_escape(text: str) -> str:
    out = []
    for char in text:
        if char in "\\`*_[]<>|#":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _preview(item: dict[str, Any]) -> str:
    """The quote in its context, changed words struck and inserted (escaped HTML)."""
    before = html_lib.escape(item.get("context_before", ""))
    after = html_lib.escape(item.get("context_after", ""))
    if item["kind"] == "change":
        middle = ""
        if item.get("deleted"):
            middle += f"<del>{html_lib.escape(item['deleted'])}</del>"
        if item.get("inserted"):
            middle += f"<ins>{html_lib.escape(item['inserted'])}</ins>"
    else:
        middle = f"<mark>{html_lib.escape(item.get('quote', ''))}</mark>"
    return f"…{before}{middle}{after}…" if (before or after) else middle
