"""The editors' dashboard: thread counts per chapter × jurisdiction (Tally, thread_counts), the
chapter rows with what blocks their approval, each jurisdiction's participation, and the
geometry of the participation chart (a server-drawn SVG).

The counts come from one grouped query over threads and the sign-offs from one flat query; the
per-chapter and per-jurisdiction figures are summed in Python from those rows (see
comments.reports.common for the round rule).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook, Round, SignOff, Status, Verdict
from chapters.review import coordinated
from comments import policies
from comments.models import UNDECIDED, Kind, SuggestionStatus, ThreadStatus, Vote, VoteValue
from handbook_review.people.models import Jurisdiction

if TYPE_CHECKING:
    from handbook_review.people.models import User


# --- Counting threads


@dataclass
class Tally:
    """Comments and suggestions of one chapter × jurisdiction (or any sum of them)."""

    comments_open: int = 0
    comments_resolved: int = 0
    suggestions_open: int = 0  # open or conflicted: still waiting for an editor
    suggestions_accepted: int = 0
    suggestions_rejected: int = 0
    suggestions_withdrawn: int = 0

    def count(self, kind: str, status: str, suggestion_status: str | None, n: int) -> None:
        if kind != Kind.SUGGESTION:
            if status == ThreadStatus.OPEN:
                self.comments_open += n
            else:
                self.comments_resolved += n
        elif suggestion_status in UNDECIDED or (
            suggestion_status is None and status == ThreadStatus.OPEN
        ):
            self.suggestions_open += n
        elif suggestion_status == SuggestionStatus.ACCEPTED:
            self.suggestions_accepted += n
        elif suggestion_status == SuggestionStatus.REJECTED:
            self.suggestions_rejected += n
        else:
            self.suggestions_withdrawn += n

    @property
    def comments(self) -> int:
        return self.comments_open + self.comments_resolved

    @property
    def suggestions(self) -> int:
        return (
            self.suggestions_open
            + self.suggestions_accepted
            + self.suggestions_rejected
            + self.suggestions_withdrawn
        )

    @property
    def total(self) -> int:
        return self.comments + self.suggestions


def thread_counts(threads: Any, *, round_: Round | None) -> list[dict[str, Any]]:
    """One grouped query: thread counts per chapter, author jurisdiction, kind and status.

    `n` counts every thread, `in_scope` those of the round (all of them without a round).
    """
    annotations: dict[str, Any] = {"n": Count("pk")}
    if round_ is not None:
        annotations["in_scope"] = Count(
            "pk",
            filter=Q(created_at__gte=round_.opens_at, created_at__lt=round_.closes_at),
        )
    rows = list(
        threads.values("chapter", "author_jurisdiction", "kind", "status", "suggestion__status")
        .annotate(**annotations)
        .order_by()
    )
    if round_ is None:
        for row in rows:
            row["in_scope"] = row["n"]
    return rows


# --- The editors' dashboard


@dataclass
class Cell:
    jurisdiction: Jurisdiction
    tally: Tally
    verdict: str | None  # the standing sign-off's Verdict, or None
    expected: bool  # the jurisdiction is invited to sign this chapter off
    # A jurisdiction with a coordinator votes instead of signing off: its standing VoteValue.
    by_vote: bool = False
    vote: str | None = None

    @property
    def signed(self) -> bool:
        return self.vote is not None if self.by_vote else self.verdict is not None

    @property
    def mark(self) -> str:
        """✓ signed off (or voted for), ✗ voted against, — invited but not, nothing when not
        invited."""
        if self.by_vote and self.vote == VoteValue.DISAPPROVE:
            return "✗"
        if self.signed:
            return "✓"
        return "—" if self.expected else ""

    @property
    def sign_off_label(self) -> str:
        if self.by_vote:
            if self.vote is not None:
                return str(VoteValue(self.vote).label)
            return _("not voted") if self.expected else _("not invited")
        if self.verdict == Verdict.WITH_COMMENTS:
            return _("with comments")
        if self.verdict == Verdict.NO_COMMENTS:
            return _("no comments")
        if self.expected:
            return _("not signed off")
        return _("not invited")


@dataclass
class ChapterRow:
    chapter: Chapter
    url: str
    cells: list[Cell]
    open_suggestions: int  # all-time, every author: what blocks approval
    open_comments: int
    missing: list[Jurisdiction]  # invited, no standing sign-off

    @property
    def reasons(self) -> list[str]:
        if self.chapter.status == Status.APPROVED:
            return []
        reasons = []
        if self.open_suggestions:
            n = self.open_suggestions
            reasons.append(
                ngettext("%(n)d open suggestion", "%(n)d open suggestions", n) % {"n": n}
            )
        if self.open_comments:
            n = self.open_comments
            reasons.append(
                ngettext("%(n)d open comment thread", "%(n)d open comment threads", n) % {"n": n}
            )
        if self.missing:
            reasons.append(
                _("not signed off by %(names)s")
                % {"names": ", ".join(j.name for j in self.missing)}
            )
        return reasons


@dataclass
class Participation:
    jurisdiction: Jurisdiction
    threads: int  # comment threads opened
    suggestions: int
    sign_offs: int

    @property
    def total(self) -> int:
        return self.threads + self.suggestions + self.sign_offs


@dataclass
class Dashboard:
    handbook: Handbook
    round: Round | None
    rounds: list[Round]
    jurisdictions: list[Jurisdiction]
    rows: list[ChapterRow]
    participation: list[Participation]
    totals: Tally = field(default_factory=Tally)

    @property
    def blocked(self) -> list[ChapterRow]:
        return [row for row in self.rows if row.reasons]


def dashboard(
    book: Handbook, user: User, *, round_: Round | None, rounds: list[Round]
) -> Dashboard:
    """The chapter × jurisdiction matrix of one round (or of the whole handbook).

    Queries, whatever the number of chapters and jurisdictions: chapters, jurisdictions, the
    grouped thread counts, the standing sign-offs, and (whole handbook only) which jurisdictions
    each chapter's rounds invited.
    """
    chapters_qs = chapter_policies.chapters.visible_to(user).filter(handbook=book)
    if round_ is not None:
        chapters_qs = chapters_qs.filter(rounds=round_)
        jurisdictions = list(round_.jurisdictions.all())
    else:
        jurisdictions = list(book.jurisdictions.all())
    chapters = list(chapters_qs.order_by("number"))
    chapter_ids = [c.pk for c in chapters]

    scope: dict[tuple[int, int | None], Tally] = defaultdict(Tally)
    blocking: dict[int, Tally] = defaultdict(Tally)
    totals = Tally()
    threads = policies.threads.visible_to(user).filter(chapter__in=chapter_ids)
    for row in thread_counts(threads, round_=round_):
        status = (row["kind"], row["status"], row["suggestion__status"])
        blocking[row["chapter"]].count(*status, row["n"])
        if row["in_scope"]:
            scope[row["chapter"], row["author_jurisdiction"]].count(*status, row["in_scope"])
            totals.count(*status, row["in_scope"])

    sign_offs = SignOff.objects.filter(chapter__in=chapter_ids, withdrawn_at__isnull=True)
    if round_ is not None:
        sign_offs = sign_offs.filter(round=round_)
    else:
        sign_offs = sign_offs.filter(round__handbook=book)
    verdicts: dict[tuple[int, int], str] = {}
    signed: dict[int, int] = defaultdict(int)
    for chapter_id, jurisdiction_id, verdict in sign_offs.order_by("at", "pk").values_list(
        "chapter", "jurisdiction", "verdict"
    ):
        if (chapter_id, jurisdiction_id) not in verdicts:
            signed[jurisdiction_id] += 1
        verdicts[chapter_id, jurisdiction_id] = verdict  # the latest standing one wins

    # Where a jurisdiction has a coordinator, its vote stands in the sign-off's place.
    by_vote = coordinated([j.pk for j in jurisdictions])
    votes = Vote.objects.filter(
        chapter__in=chapter_ids, jurisdiction__in=by_vote, superseded_at__isnull=True
    )
    votes = votes.filter(round=round_) if round_ is not None else votes.filter(round__handbook=book)
    cast: dict[tuple[int, int], str] = {}
    for chapter_id, jurisdiction_id, value in votes.order_by(
        "round__opens_at", "at", "pk"
    ).values_list("chapter", "jurisdiction", "value"):
        cast[chapter_id, jurisdiction_id] = value  # the latest round's wins
    for key in [key for key in verdicts if key[1] in by_vote]:
        del verdicts[key]
    verdicts.update(cast)

    if round_ is not None:
        column_ids = {j.pk for j in jurisdictions}
        expected: set[tuple[int, int]] = {(c, j) for c in chapter_ids for j in column_ids}
    else:
        # Which jurisdictions each chapter's rounds invited: one row per round, chapter and
        # jurisdiction, read once for the whole handbook.
        pairs = (
            Round.objects.filter(handbook=book)
            .values_list("chapters", "jurisdictions")
            .order_by()
            .distinct()
        )
        expected = {(c, j) for c, j in pairs if c is not None and j is not None}

    rows = []
    for chapter in chapters:
        cells = [
            Cell(
                jurisdiction=j,
                tally=scope.get((chapter.pk, j.pk), Tally()),
                verdict=verdicts.get((chapter.pk, j.pk)),
                expected=(chapter.pk, j.pk) in expected,
                by_vote=j.pk in by_vote,
                vote=cast.get((chapter.pk, j.pk)),
            )
            for j in jurisdictions
        ]
        missing = [
            j
            for j in invited_jurisdictions(chapter.pk, jurisdictions, expected)
            if (chapter.pk, j.pk) not in verdicts
        ]
        rows.append(
            ChapterRow(
                chapter=chapter,
                url=reverse("chapter", args=[book.slug, chapter.pk]),
                cells=cells,
                open_suggestions=blocking[chapter.pk].suggestions_open,
                open_comments=blocking[chapter.pk].comments_open,
                missing=missing,
            )
        )

    participation = []
    for j in jurisdictions:
        tallies = [scope.get((c, j.pk), Tally()) for c in chapter_ids]
        participation.append(
            Participation(
                jurisdiction=j,
                threads=sum(t.comments for t in tallies),
                suggestions=sum(t.suggestions for t in tallies),
                sign_offs=signed.get(j.pk, 0),
            )
        )
    return Dashboard(
        handbook=book,
        round=round_,
        rounds=rounds,
        jurisdictions=jurisdictions,
        rows=rows,
        participation=participation,
        totals=totals,
    )


def invited_jurisdictions(
    chapter_id: int, jurisdictions: Iterable[Jurisdiction], expected: set[tuple[int, int]]
) -> list[Jurisdiction]:
    return [j for j in jurisdictions if (chapter_id, j.pk) in expected]


# --- The participation chart: geometry for a server-drawn SVG


@dataclass(frozen=True)
class Segment:
    kind: str  # threads, suggestions, sign-offs: the CSS class and the legend's entry
    label: str
    value: int
    x: int
    width: int


@dataclass(frozen=True)
class Bar:
    participation: Participation
    y: int
    segments: list[Segment]
    end: int  # where the bar ends, for the total written after it

    @property
    def text_y(self) -> int:
        return self.y + 14


CHART_LABEL_WIDTH = 190
CHART_BAR_WIDTH = 340
CHART_ROW = 28


def chart(participation: list[Participation]) -> tuple[list[Bar], int]:
    """Stacked bars (threads, suggestions, sign-offs) scaled to the busiest jurisdiction, and
    the chart's height, in the SVG's own units."""
    top = max([p.total for p in participation] + [1])
    bars = []
    for i, p in enumerate(participation):
        x, segments = CHART_LABEL_WIDTH, []
        for kind, label, value in (
            ("threads", _("comment threads"), p.threads),
            ("suggestions", _("suggestions"), p.suggestions),
            ("sign-offs", _("sign-offs"), p.sign_offs),
        ):
            width = round(value * CHART_BAR_WIDTH / top)
            if value:
                segments.append(Segment(kind, label, value, x, width))
            x += width
        bars.append(Bar(participation=p, y=i * CHART_ROW + 6, segments=segments, end=x))
    return bars, len(participation) * CHART_ROW + 12
