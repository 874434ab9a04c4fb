"""Reports over a handbook's review: the editors' dashboard, a counterpart's own review page and
the comment resolution matrix (CSV and XLSX).

Everything here is read-only and built from a constant number of queries: counts come from one
grouped query over threads (`values(...).annotate(Count(...))`), sign-offs from one flat query,
and the per-chapter and per-jurisdiction figures are summed in Python from those rows, so a
handbook with forty chapters and eight jurisdictions costs what one with two chapters costs.

The round rule, shared by the dashboard and the matrix: a thread belongs to a round when it is on
one of the round's chapters and was opened while the round was open (opens_at <= created_at <
closes_at). Blockers are the exception: an open suggestion blocks approval whenever it was made,
so they are counted over all of a chapter's threads.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chapters import policies as chapter_policies
from chapters import rendering
from chapters.models import (
    Chapter,
    Handbook,
    Round,
    RoundState,
    SignOff,
    Status,
    Verdict,
    rendered_html,
)
from comments import policies
from comments.models import (
    UNDECIDED,
    Anchor,
    Comment,
    Decision,
    Kind,
    Suggestion,
    SuggestionStatus,
    Thread,
    ThreadStatus,
)
from handbook_review.people.models import Jurisdiction

if TYPE_CHECKING:
    from handbook_review.people.models import User


# --- Rounds


def default_round(rounds: Sequence[Round], at: datetime) -> Round | None:
    """The latest round open at `at`, or None (the whole handbook) when none is open."""
    open_now = [r for r in rounds if r.is_open(at)]
    return max(open_now, key=lambda r: r.opens_at) if open_now else None


def time_left(round_: Round, at: datetime) -> str:
    """ "closes in 2 days", "opens in 5 hours" or "closed": how a deadline is told at a glance."""
    state = round_.state(at)
    if state == RoundState.CLOSED:
        return _("closed")
    if state == RoundState.SCHEDULED:
        return _("opens in %(time)s") % {"time": timeuntil(round_.opens_at, at, depth=1)}
    return _("closes in %(time)s") % {"time": timeuntil(round_.closes_at, at, depth=1)}


def in_round(round_: Round) -> Q:
    """Threads counted in a round: opened on its chapters while it was open (see module doc)."""
    return Q(
        chapter__rounds=round_,
        created_at__gte=round_.opens_at,
        created_at__lt=round_.closes_at,
    )


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

    @property
    def mark(self) -> str:
        """✓ signed off, — invited but not signed off, nothing when not invited."""
        if self.verdict is not None:
            return "✓"
        return "—" if self.expected else ""

    @property
    def sign_off_label(self) -> str:
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


# --- A counterpart's own review


@dataclass
class ScopeChapter:
    chapter: Chapter
    url: str
    verdict: str | None
    open_threads: int  # open threads of the user's jurisdiction they can see

    @property
    def sign_off_label(self) -> str:
        if self.verdict == Verdict.WITH_COMMENTS:
            return _("signed off with comments")
        if self.verdict == Verdict.NO_COMMENTS:
            return _("signed off, no comments")
        return _("not signed off yet")


@dataclass
class RoundScope:
    round: Round
    state: str
    time_left: str
    chapters: list[ScopeChapter]


@dataclass
class MySuggestion:
    suggestion: Suggestion
    url: str
    decision: Decision | None  # the latest


@dataclass
class MyThread:
    thread: Thread
    url: str
    replies: int


@dataclass
class MyReview:
    rounds: list[RoundScope]
    suggestions: list[MySuggestion]
    threads: list[MyThread]


def latest(decisions: list[Decision]) -> Decision | None:
    return decisions[-1] if decisions else None


def thread_url(book: Handbook, chapter_id: int, thread_id: int) -> str:
    return (
        reverse("chapter", args=[book.slug, chapter_id]) + f"?thread={thread_id}#thread-{thread_id}"
    )


def my_review(book: Handbook, user: User, *, at: datetime) -> MyReview:
    """What is open for the user's jurisdiction and what became of the user's own threads.

    Seven queries whatever the number of rounds, chapters, suggestions and threads: rounds,
    their chapters, the jurisdiction's sign-offs, open threads per chapter, the user's
    suggestions and their decisions, the user's comment threads.
    """
    rounds = list(
        chapter_policies.rounds.visible_to(user)
        .filter(handbook=book, jurisdictions=user.jurisdiction_id, closes_at__gt=at)
        .order_by("closes_at", "pk")
    )
    visible_chapters = chapter_policies.chapters.visible_to(user)
    links = list(
        Round.chapters.through.objects.filter(
            round__in=[r.pk for r in rounds], chapter__in=visible_chapters
        )
        .select_related("chapter")
        .order_by("chapter__number")
    )
    chapter_ids = {link.chapter_id for link in links}
    verdicts = {
        (round_id, chapter_id): verdict
        for round_id, chapter_id, verdict in SignOff.objects.filter(
            round__in=[r.pk for r in rounds],
            jurisdiction=user.jurisdiction_id,
            withdrawn_at__isnull=True,
        )
        .order_by("at", "pk")
        .values_list("round", "chapter", "verdict")
    }
    open_threads = dict(
        policies.threads.visible_to(user)
        .open()
        .filter(chapter__in=chapter_ids, author_jurisdiction=user.jurisdiction_id)
        .values_list("chapter")
        .annotate(n=Count("pk"))
        .values_list("chapter", "n")
        .order_by()
    )
    per_round: dict[int, list[ScopeChapter]] = defaultdict(list)
    for link in links:
        per_round[link.round_id].append(
            ScopeChapter(
                chapter=link.chapter,
                url=reverse("chapter", args=[book.slug, link.chapter_id]),
                verdict=verdicts.get((link.round_id, link.chapter_id)),
                open_threads=open_threads.get(link.chapter_id, 0),
            )
        )
    scopes = [
        RoundScope(
            round=r,
            state=r.state(at),
            time_left=time_left(r, at),
            chapters=per_round.get(r.pk, []),
        )
        for r in rounds
    ]

    mine = policies.threads.visible_to(user).filter(author=user, chapter__handbook=book)
    suggestions = [
        MySuggestion(
            suggestion=s,
            url=thread_url(book, s.thread.chapter_id, s.thread_id),
            decision=latest(list(s.decisions.all())),
        )
        for s in Suggestion.objects.filter(thread__in=mine)
        .select_related("thread__chapter")
        .prefetch_related(
            Prefetch(
                "decisions", queryset=Decision.objects.select_related("by").order_by("at", "pk")
            )
        )
        .order_by("thread__chapter__number", "thread__created_at", "pk")
    ]
    threads = [
        MyThread(thread=t, url=thread_url(book, t.chapter_id, t.pk), replies=max(t.n - 1, 0))
        for t in mine.filter(kind=Kind.COMMENT)
        .select_related("chapter")
        .annotate(n=Count("comments"))
        .order_by("chapter__number", "created_at", "pk")
    ]
    return MyReview(rounds=scopes, suggestions=suggestions, threads=threads)


# --- Where a position falls: sections of a chapter version


@dataclass(frozen=True)
class Section:
    offset: int  # where the heading starts in the version's plain text
    number: str
    text: str


def sections_of_html(html: str) -> list[Section]:
    return [
        Section(offset=offset, number=heading.number, text=heading.text)
        for offset, heading in rendering.heading_offsets(html)
    ]


def sections(chapter_id: int, version: int, number: int, body: str) -> list[Section]:
    """The headings of one version with their offsets, cached with the version like its HTML."""
    key = f"chapter-sections:{chapter_id}:{version}:{number}:{rendering.RENDERER_VERSION}"
    found = cache.get(key)
    if found is None:
        found = sections_of_html(rendered_html(chapter_id, version, number, body))
        cache.set(key, found, timeout=60 * 60 * 24 * 30)
    return found


def section_at(found: list[Section], offset: int) -> Section | None:
    """The section whose heading is the last to start at or before `offset`."""
    current = None
    for section in found:
        if section.offset > offset:
            break
        current = section
    return current


# --- The comment resolution matrix


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # in characters, for the spreadsheet


COLUMNS = [
    Column("id", "ID", 7),
    Column("chapter", "Chapter", 28),
    Column("section", "Section", 9),
    Column("heading", "Section heading", 28),
    Column("quote", "Quoted text", 40),
    Column("jurisdiction", "Jurisdiction", 18),
    Column("agency", "Agency", 14),
    Column("author", "Author", 20),
    Column("type", "Type", 11),
    Column("visibility", "Visible to", 12),
    Column("text", "Comment or proposed wording", 50),
    Column("status", "Status", 12),
    Column("decision", "Editor's decision", 16),
    Column("rationale", "Proposer's rationale", 40),
    Column("reason", "Decision reason", 40),
    Column("applied", "Wording applied", 40),
    Column("decided_by", "Decided or resolved by", 18),
    Column("decided_at", "Decided or resolved at", 20),
    Column("created_at", "Opened at", 20),
    Column("replies", "Replies", 50),
    Column("link", "Link", 30),
]

# OWASP's list: a spreadsheet reads a cell starting with these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit on the characters in one cell.
CELL_MAX = 32_767


def neutralise(value: str) -> str:
    """Keep a spreadsheet from running text as a formula (CSV/formula injection)."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def local_iso(at: datetime | None) -> str:
    return timezone.localtime(at).isoformat(timespec="seconds") if at else ""


def comment_text(comment: Comment | None) -> str:
    if comment is None:
        return ""
    if comment.deleted_at is not None:
        return _("[deleted by its author]")
    if comment.hidden_by_id is not None:
        return _("[hidden by an editor: %(reason)s]") % {"reason": comment.hidden_reason}
    return comment.body


def reply_line(comment: Comment) -> str:
    who = comment.author.name
    if comment.author_jurisdiction is not None:
        who += f" ({comment.author_jurisdiction.name})"
    when = timezone.localtime(comment.created_at).strftime("%Y-%m-%d %H:%M")
    return f"{who}, {when}: {comment_text(comment)}"


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def matrix_threads(book: Handbook, user: User, *, round_: Round | None) -> list[Thread]:
    """Every thread of the matrix, with what its row shows: three queries however many."""
    threads = policies.threads.visible_to(user).filter(chapter__handbook=book)
    if round_ is not None:
        threads = threads.filter(in_round(round_))
    return list(
        threads.select_related(
            "chapter", "author", "author_jurisdiction", "resolved_by", "suggestion"
        ).prefetch_related(
            Prefetch(
                "comments",
                queryset=Comment.objects.select_related("author", "author_jurisdiction").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "suggestion__decisions",
                queryset=Decision.objects.select_related("by").order_by("at", "pk"),
            ),
        )
    )


def known_places(threads: list[Thread]) -> dict[int, tuple[int, int]]:
    """(version, offset) where each thread stands, or, for an orphaned one, where it last stood.

    An accepted suggestion's words are gone from the version it made, so its thread is orphaned
    there, yet it belongs to the section it changed. One query, for orphaned threads only.
    """
    places: dict[int, tuple[int, int]] = {}
    orphans = []
    for t in threads:
        if t.start is None:
            orphans.append(t.pk)
        else:
            places[t.pk] = (t.anchored_version, t.start)
    if orphans:
        for thread_id, version, start in (
            Anchor.objects.filter(thread__in=orphans, start__isnull=False)
            .order_by("version", "pk")
            .values_list("thread", "version", "start")
        ):
            if start is not None:
                places[thread_id] = (version, start)  # the latest wins
    return places


def section_index(
    threads: list[Thread], places: dict[int, tuple[int, int]]
) -> dict[tuple[int, int], list[Section]]:
    """Sections of every (chapter, version) a thread stands in: cached per version, and one
    query for the bodies of older versions (resolved threads stay where they were)."""
    index: dict[tuple[int, int], list[Section]] = {}
    chapters = {t.chapter_id: t.chapter for t in threads}
    old: set[tuple[int, int]] = set()
    for t in threads:
        if t.pk not in places:
            continue
        version = places[t.pk][0]
        c = t.chapter
        if version == c.version:
            if (c.pk, version) not in index:
                index[c.pk, version] = sections(c.pk, c.version, c.number, c.body)
        else:
            old.add((c.pk, version))
    if old:
        wanted = Q(pk__in=[])
        for chapter_id, version in old:
            wanted |= Q(id=chapter_id, version=version)
        for past in Chapter.history.filter(wanted).only("id", "version", "body"):
            number = chapters[past.id].number
            index[past.id, past.version] = sections(past.id, past.version, number, past.body)
    return index


def matrix_rows(threads: list[Thread], book: Handbook) -> list[dict[str, Any]]:
    """One row per thread, in document order: its first comment is the comment (or the
    proposer's rationale), the later ones are joined as replies.

    Replies go in a column of their own rather than into the text: for a plain comment the
    editors' answer is usually a reply, and the record is incomplete without it, while the
    text column stays what the reviewer wrote.
    """
    places = known_places(threads)
    index = section_index(threads, places)
    base = site_url()
    rows = []
    for t in sorted(
        threads,
        key=lambda t: (t.chapter.number, t.pk not in places, places.get(t.pk, (0, 0))[1], t.pk),
    ):
        comments = list(t.comments.all())
        first = comments[0] if comments else None
        if t.pk not in places:
            section = None
            heading = _("(orphaned: the quoted words are no longer in the text)")
        else:
            version, offset = places[t.pk]
            section = section_at(index.get((t.chapter_id, version), []), offset)
            heading = section.text if section else _("(before the first heading)")
        suggestion = getattr(t, "suggestion", None) if t.kind == Kind.SUGGESTION else None
        row: dict[str, Any] = {
            "id": t.pk,
            "chapter": f"{t.chapter.number}. {t.chapter.title}",
            "section": section.number if section else "",
            "heading": heading,
            "quote": t.exact,
            "jurisdiction": t.author_jurisdiction.name if t.author_jurisdiction else "",
            "agency": t.get_author_agency_display(),
            "author": t.author.name,
            "type": t.get_kind_display(),
            "visibility": t.get_visibility_display(),
            "created_at": local_iso(t.created_at),
            "replies": "\n\n".join(reply_line(c) for c in comments[1:]),
            "link": base + thread_url(book, t.chapter_id, t.pk),
            "rationale": "",
            "decision": "",
            "reason": "",
            "applied": "",
            "decided_by": t.resolved_by.name if t.resolved_by else "",
            "decided_at": local_iso(t.resolved_at),
        }
        if suggestion is None:
            status = t.get_status_display()
            if t.start is None:
                status = _("%(status)s (orphaned)") % {"status": status}
            row.update(text=comment_text(first), status=status)
        else:
            last = latest(list(suggestion.decisions.all()))
            row.update(
                text=suggestion.replacement,
                status=suggestion.get_status_display(),
                rationale=comment_text(first),
            )
            if last is not None:
                row.update(
                    decision=last.get_kind_display(),
                    reason=last.reason,
                    applied=last.applied_text,
                    decided_by=last.by.name if last.by else "",
                    decided_at=local_iso(last.at),
                )
        rows.append(row)
    return rows


ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_value(value: Any) -> Any:
    if isinstance(value, int):
        return value
    text = ILLEGAL_IN_XLSX.sub("", str(value))
    if len(text) > CELL_MAX:
        text = text[: CELL_MAX - 1] + "…"
    return neutralise(text)


def matrix_title(book: Handbook, round_: Round | None, at: datetime) -> str:
    scope = round_.name if round_ is not None else _("whole handbook")
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")
    return _("Comment resolution matrix: %(book)s, %(scope)s (exported %(when)s)") % {
        "book": book.title,
        "scope": scope,
        "when": when,
    }


def matrix_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads Cyrillic and Albanian letters right."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.title for c in COLUMNS])
    for row in rows:
        writer.writerow([cell_value(row[c.key]) for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def matrix_xlsx(rows: list[dict[str, Any]], *, title: str, sheet: str) -> bytes:
    """A title row, a bold frozen header with a filter, sized and wrapped columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.worksheets[0]
    ws.title = re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Matrix"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([c.title for c in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for row in rows:
        ws.append([cell_value(row[c.key]) for c in COLUMNS])
    for line in ws.iter_rows(min_row=3):
        for cell in line:
            cell.alignment = wrap
    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    last = get_column_letter(len(COLUMNS))
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
