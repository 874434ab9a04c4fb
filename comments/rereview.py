"""Re-review of what changed: which version of a chapter a jurisdiction last reviewed, and
what has changed since, passage by passage, with that jurisdiction's threads beside each.

On the comments floor because a coordinator's vote (comments.Vote) counts as much as a
sign-off (chapters.SignOff) in saying which version was reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery

from chapters import diffing
from chapters.models import Chapter, Round, SignOff, plain_text
from chapters.rendering import Heading
from comments.models import Anchor, Thread, Vote
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import Jurisdiction


@dataclass(frozen=True)
class Reviewed:
    """The version a jurisdiction last reviewed: in which round, as of which moment."""

    version: int
    round: Round
    at: datetime


def last_reviewed_version(
    chapter: Chapter, jurisdiction: Jurisdiction | int, *, at: datetime | None = None
) -> Reviewed | None:
    """The chapter's version that `jurisdiction` last reviewed, None if it never did.

    That is the version at the close of the latest round that covered the chapter, invited the
    jurisdiction and has closed (by `at`, default now); or, if the jurisdiction signed off or
    its coordinator voted in that round (and that still stands), the version at that moment,
    the later of the two. A round that is still open does not count: it is the review going
    on. Two queries: the round with its moments, the version then.
    """
    where = jurisdiction if isinstance(jurisdiction, int) else jurisdiction.pk
    now = at or clock.now()
    mine = {"round": OuterRef("pk"), "chapter": chapter, "jurisdiction_id": where}
    signed = SignOff.objects.filter(**mine, withdrawn_at__isnull=True).order_by("-at")
    voted = Vote.objects.filter(**mine, superseded_at__isnull=True).order_by("-at")
    found = (
        Round.objects.filter(chapters=chapter, jurisdictions=where, closes_at__lte=now)
        .annotate(
            signed_at=Subquery(signed.values("at")[:1]), voted_at=Subquery(voted.values("at")[:1])
        )
        .order_by("-closes_at", "-pk")
        .first()
    )
    if found is None:
        return None
    stated = [moment for moment in (found.signed_at, found.voted_at) if moment is not None]  # type: ignore[attr-defined]
    moment = max(stated) if stated else found.closes_at
    version = (
        chapter.history.filter(history_date__lte=moment)
        .order_by("-history_date", "-history_id")
        .values_list("version", flat=True)
        .first()
    )
    return None if version is None else Reviewed(version=version, round=found, at=moment)


# --- The page: passages with the threads beside them


@dataclass
class Block:
    """A changed passage (with the jurisdiction's threads on it and the section it is in, to
    link to), or a count of unchanged paragraphs."""

    passage: diffing.Passage | None = None
    unchanged: int = 0
    threads: list[Thread] = field(default_factory=list)
    section: Heading | None = None


@dataclass
class SinceReview:
    reviewed: Reviewed
    blocks: list[Block]
    elsewhere: list[Thread]  # the jurisdiction's threads on text that did not change (or gone)

    @property
    def changed(self) -> int:
        return sum(1 for block in self.blocks if block.passage is not None)


def since_review(chapter: Chapter, reviewed: Reviewed, threads: QuerySet[Thread]) -> SinceReview:
    """What changed from the reviewed version to the current one, with `threads` (made on
    earlier versions) placed beside the passage they were on in the reviewed version, or else
    where they stand now."""
    old = chapter.history.get(version=reviewed.version)
    old_text = plain_text(chapter.pk, old.version, chapter.number, old.body)
    new_text = chapter.plain_text()
    blocks = [
        Block(passage=part)
        if isinstance(part, diffing.Passage)
        else Block(unchanged=part.paragraphs)
        for part in diffing.passages(old_text, new_text)
    ]
    found = list(threads.filter(version__lt=chapter.version))
    then = {
        a.thread_id: a
        for a in Anchor.objects.filter(
            thread__in=[t.pk for t in found], version=reviewed.version, start__isnull=False
        )
    }
    elsewhere = []
    for thread in found:
        block = _block_of(blocks, thread, then.get(thread.pk), chapter.version)
        if block is None:
            elsewhere.append(thread)
        else:
            block.threads.append(thread)
    sections = _section_starts(new_text, chapter.outline())
    for block in blocks:
        if block.passage is not None:
            block.section = next(
                (h for at, h in reversed(sections) if at <= block.passage.new_start), None
            )
    return SinceReview(reviewed=reviewed, blocks=blocks, elsewhere=elsewhere)


def _overlaps(start: int, end: int, lo: int, hi: int) -> bool:
    return lo <= start <= hi if start == end else start < hi and end > lo


def _block_of(
    blocks: list[Block], thread: Thread, then: Anchor | None, current: int
) -> Block | None:
    """The passage the thread was on in the reviewed version; or, made after it, the passage
    it stands on now. None: on unchanged text, or orphaned."""
    if then is not None and then.start is not None and then.end is not None:
        start, end, old = then.start, then.end, True
    elif thread.start is not None and thread.end is not None and thread.anchored_version == current:
        start, end, old = thread.start, thread.end, False
    else:
        return None
    for block in blocks:
        part = block.passage
        if part is None:
            continue
        lo, hi = (part.old_start, part.old_end) if old else (part.new_start, part.new_end)
        if _overlaps(start, end, lo, hi):
            return block
    return None


def _section_starts(text: str, outline: list[Heading]) -> list[tuple[int, Heading]]:
    """Where each heading of the outline stands in the text, in order (those found)."""
    found, at = [], 0
    for heading in outline:
        where = text.find(heading.text, at) if heading.id and heading.text else -1
        if where >= 0:
            found.append((where, heading))
            at = where + len(heading.text)
    return found
