"""Open suggestions drawn over the chapter's text: the tracked changes (<del>/<ins> linked to
their cards) and the chapter as it would read with every open suggestion accepted, both
cached per chapter version and suggestion state."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from chapters import rendering
from chapters.models import Chapter
from comments import merging, policies, tracked
from comments.models import UNDECIDED, Suggestion, SuggestionStatus
from handbook_review import caching
from handbook_review.http import AuthedRequest

# --- Open suggestions over the text: tracked changes and the chapter as proposed


@dataclass
class Proposed:
    html: str
    applied: int
    # (suggestion id, its thread id, the id of the suggestion it overlaps or None: a conflict)
    skipped: list[tuple[int, int, int | None]]


@dataclass
class Overlay:
    open_count: int = 0
    conflicted_count: int = 0
    tracked_json: str = "[]"
    shown_count: int = 0
    proposed: Proposed | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)


OVERLAY_FIELDS = (
    "id",
    "status",
    "base_version",
    "source_start",
    "source_end",
    "original",
    "replacement",
    "whole_block",
    "thread",
    "thread__start",
    "thread__end",
    "thread__current_exact",
    "thread__anchored_version",
    "thread__updated_at",
    "thread__author",
    "thread__author_jurisdiction__code",
    "thread__author_jurisdiction__name",
)

# Whose open suggestions are drawn over the text: every reader chooses (`?changes=`).
EVERYONE, JURISDICTION, MINE, NONE = "all", "jurisdiction", "mine", "none"
READINGS = (EVERYONE, JURISDICTION, MINE, NONE)


def chosen_reading(request: AuthedRequest) -> str:
    """`?changes=none` reads the text as it is now, without marks; `mine` and `jurisdiction`
    mark only the reader's own or their jurisdiction's suggestions; anything else marks all."""
    chosen = request.GET.get("changes", EVERYONE)
    if chosen == JURISDICTION and request.user.jurisdiction_id is None:
        return EVERYONE
    return chosen if chosen in READINGS else EVERYONE


def whose(rows: list[Suggestion], reading: str, user: Any) -> list[Suggestion]:
    if reading == MINE:
        return [s for s in rows if s.thread.author_id == user.pk]
    if reading == JURISDICTION:
        return [s for s in rows if s.thread.author_jurisdiction_id == user.jurisdiction_id]
    if reading == NONE:
        return []
    return rows


def suggestion_overlay(
    request: AuthedRequest, chap: Chapter, *, proposed: bool, reading: str = EVERYONE
) -> Overlay:
    """The undecided suggestions the user may see (of them, those the reading asks for: every
    one, the reader's jurisdiction's, the reader's own, or none), drawn over the text.

    One query whatever their number; everything computed from them (the tracked changes, the
    chapter as proposed) is cached under a key made of the chapter's version and each
    suggestion's id, status and last change, so it is computed again only when one of those moves.
    """
    rows = list(
        Suggestion.objects.filter(
            thread__in=policies.threads.visible_to(request.user).filter(chapter=chap),
            status__in=UNDECIDED,
        )
        .select_related("thread__author_jurisdiction")
        .only(*OVERLAY_FIELDS)
        .order_by("source_start", "pk")
    )
    open_count = sum(s.status == SuggestionStatus.OPEN for s in rows)
    overlay = Overlay(open_count=open_count, conflicted_count=len(rows) - open_count)
    # The counts are of every suggestion (the choice of reading names them); the marks and the
    # text as proposed of those chosen. As proposed, "none" would be the text itself: all then.
    rows = whose(rows, EVERYONE if proposed and reading == NONE else reading, request.user)
    overlay.shown_count = len(rows)
    if not rows:
        return overlay
    signature = hashlib.sha256(
        "|".join(
            f"{s.pk}:{s.status}:{s.thread.updated_at.timestamp()}:{s.thread.anchored_version}:"
            f"{s.thread.start}:{s.thread.end}"
            for s in rows
        ).encode()
    ).hexdigest()
    suffix = f"{chap.pk}:{chap.version}:{chap.number}:{rendering.RENDERER_VERSION}:{signature}"
    overlay.tracked_json = caching.versioned(
        f"tracked:{suffix}", lambda: json.dumps(tracked_changes(chap, rows))
    )
    if proposed:
        key = f"proposed:{suffix}:{get_language()}"
        overlay.proposed = caching.versioned(key, lambda: proposed_text(chap, rows))
        overlay.skipped = [
            {"id": sid, "thread": tid, "overlaps": other}
            for sid, tid, other in overlay.proposed.skipped
        ]
    return overlay


def tracked_changes(chap: Chapter, rows: list[Suggestion]) -> list[dict[str, Any]]:
    """Where each undecided suggestion anchored in the current version stands, with its word
    diff, for the page's script to draw as <del>/<ins> linked to the suggestion's card."""
    text = chap.plain_text()
    found = []
    for s in rows:
        t = s.thread
        if t.start is None or t.end is None or t.anchored_version != chap.version:
            continue
        change = tracked.tracked_change(
            text,
            start=t.start,
            end=t.end,
            current_exact=t.current_exact,
            original=s.original,
            replacement=s.replacement,
            whole_block=s.whole_block,
        )
        if change is not None:
            where = t.author_jurisdiction
            found.append(
                {
                    "id": t.pk,
                    "number": t.pk,  # Thread.number
                    # Whose: the proposer's jurisdiction, drawn in its colour and with its code.
                    "jurisdiction": where.code if where else "",
                    "jurisdiction_name": where.name if where else "",
                    "state": s.status,
                    "start": change.start,
                    "end": change.end,
                    "parts": change.parts,
                }
            )
    return found


def proposed_text(chap: Chapter, rows: list[Suggestion]) -> Proposed:
    """The chapter as it would read with every open suggestion accepted, changed words marked.

    Each is first carried onto the current Markdown (comments.merging); those that conflict
    there, and those that overlap one before them in document order, are skipped and listed.
    """
    open_rows = [s for s in rows if s.status == SuggestionStatus.OPEN]
    older = {s.base_version for s in open_rows} - {chap.version}
    bodies = dict(chap.history.filter(version__in=older).values_list("version", "body"))
    edits: list[tuple[int, merging.Edit]] = []
    skipped: list[tuple[int, int, int | None]] = []
    for s in open_rows:
        if s.base_version == chap.version:
            edits.append((s.pk, s.edit()))
            continue
        rebased = None
        if s.base_version in bodies:
            rebased = merging.rebase(s.edit(), str(bodies[s.base_version]), chap.body)
        if rebased is None:
            skipped.append((s.pk, s.thread_id, None))
        else:
            edits.append((s.pk, rebased))
    result = tracked.apply_all(chap.body, edits)
    threads = {s.pk: s.thread_id for s in rows}
    # Named by their threads' numbers, as everywhere (Thread.number).
    skipped += [
        (sid, threads[sid], None if other is None else threads[other])
        for sid, other in result.skipped
    ]
    html = rendering.render_markdown(result.text, number=chap.number)
    marked = tracked.mark_changes(
        html, chap.plain_text(), rendering.plain_text(html), labels=change_labels()
    )
    return Proposed(html=marked, applied=len(result.applied), skipped=skipped)


def change_labels() -> tracked.Labels:
    return tracked.Labels(insertion=_("Inserted: "), deletion=_("Deleted: "))
