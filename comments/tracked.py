"""Suggested edits shown in the chapter: tracked changes, the chapter as proposed, previews.

Pure functions over strings (Markdown, rendered HTML, plain text); the views fetch the rows and
cache what comes out. Offsets into the plain text are those comments anchor on (code points of
`chapters.rendering.plain_text`); offsets into Markdown are those a suggestion replaces.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise

from chapters import rendering
from chapters.diffing import Change, word_diff
from chapters.rendering import _MD, _prepare_tokens
from comments import sourcemap
from comments.merging import Edit

# --- The chapter as proposed


def overlap(a: Edit, b: Edit) -> bool:
    """Two edits of the same text that cannot both be applied as their proposers saw them.

    Touching ranges do not overlap; two insertions at one point do (their order would be a guess);
    an insertion overlaps a range only strictly inside it.
    """
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


@dataclass(frozen=True)
class Applied[K: Hashable]:
    text: str
    applied: list[K]
    # Each skipped edit, with the earlier applied edit it overlaps.
    skipped: list[tuple[K, K]]


def apply_all[K: Hashable](text: str, edits: Sequence[tuple[K, Edit]]) -> Applied[K]:
    """Apply edits of `text` in document order, skipping each one that overlaps one applied before.

    Every edit is relative to `text` itself (the suggestions rebased on the current Markdown), so
    the non-overlapping ones are spliced in from the end: the result does not depend on the order
    they were given in.
    """
    ordered = sorted(edits, key=lambda item: (item[1].start, item[1].end, item[1].replacement))
    kept: list[tuple[K, Edit]] = []
    skipped: list[tuple[K, K]] = []
    for key, edit in ordered:
        if not 0 <= edit.start <= edit.end <= len(text):
            raise ValueError(f"Edit {edit.start}:{edit.end} is outside a text of {len(text)}.")
        hit = next((other for other, done in kept if overlap(edit, done)), None)
        if hit is None:
            kept.append((key, edit))
        else:
            skipped.append((key, hit))
    result = text
    for _key, edit in reversed(kept):
        result = result[: edit.start] + edit.replacement + result[edit.end :]
    return Applied(result, [key for key, _edit in kept], skipped)


# --- Marking changed words in rendered HTML


@dataclass(frozen=True)
class Labels:
    """Visually hidden text that tells screen readers what the marks mean."""

    insertion: str = "Inserted: "
    deletion: str = "Deleted: "


def _label(text: str) -> str:
    return f'<span class="visually-hidden">{html_lib.escape(text)}</span>'


class TextPositions(HTMLParser):
    """Re-serialises sanitised HTML tag by tag, counting text positions exactly as
    rendering.plain_text counts them (the newline the parser drops after <pre> is kept).
    Subclasses decide what to write around the text: `text(data, start, end)`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.position = 0
        self._drop_newline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._drop_newline = tag in ("pre", "textarea", "listing")
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._drop_newline = False
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._drop_newline and data.startswith("\n"):
            self.out.append("\n")
            data = data[1:]
        self._drop_newline = False
        start, end = self.position, self.position + len(data)
        self.position = end
        self.text(data, start, end)

    def text(self, data: str, start: int, end: int) -> None:
        raise NotImplementedError


class _Marker(TextPositions):
    """Wraps inserted text in <ins> and puts deleted text in <del> where it was."""

    def __init__(
        self, inserted: list[tuple[int, int]], deleted: list[tuple[int, str]], labels: Labels
    ) -> None:
        super().__init__()
        self.inserted = inserted
        self.deleted = deleted
        self.next_deletion = 0
        self.labelled: set[int] = set()
        self.labels = labels

    def text(self, data: str, start: int, end: int) -> None:
        if not data.strip():
            # Between blocks (or list items, table rows): no marks where no text may stand.
            self.out.append(html_lib.escape(data, quote=False))
            return
        self.flush_deletions(start)
        cuts = {start, end}
        cuts |= {at for at, _text in self.deleted if start < at < end}
        for s, e in self.inserted:
            cuts |= {at for at in (s, e) if start < at < end}
        points = sorted(cuts)
        for a, b in pairwise(points):
            self.flush_deletions(a)
            piece = html_lib.escape(data[a - start : b - start], quote=False)
            which = next((n for n, (s, e) in enumerate(self.inserted) if s <= a and b <= e), None)
            if which is None or not piece.strip():
                self.out.append(piece)
                continue
            label = "" if which in self.labelled else _label(self.labels.insertion)
            self.labelled.add(which)
            self.out.append(f'<ins class="tc">{label}{piece}</ins>')
        self.flush_deletions(end)

    def flush_deletions(self, upto: int) -> None:
        while (
            self.next_deletion < len(self.deleted) and self.deleted[self.next_deletion][0] <= upto
        ):
            text = self.deleted[self.next_deletion][1]
            self.out.append(
                f'<del class="tc">{_label(self.labels.deletion)}'
                f"{html_lib.escape(text, quote=False)}</del>"
            )
            self.next_deletion += 1


def mark_changes(html: str, old_text: str, new_text: str, labels: Labels | None = None) -> str:
    """`html` (whose plain text is `new_text`) with the words that differ from `old_text` marked:
    new words in <ins>, removed words in <del> where they stood. Returns `html` unmarked if its
    text is not `new_text` (nothing would be placed right)."""
    inserted: list[tuple[int, int]] = []
    deleted: list[tuple[int, str]] = []
    at = 0
    change: Change
    for change in word_diff(old_text, new_text):
        if change.tag == "delete":
            deleted.append((at, change.text))
        else:
            if change.tag == "insert":
                inserted.append((at, at + len(change.text)))
            at += len(change.text)
    if at != len(new_text):
        return html
    marker = _Marker(inserted, deleted, labels or Labels())
    marker.feed(html.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))
    marker.close()
    if marker.position != len(new_text):
        return html
    marker.flush_deletions(len(new_text))
    return "".join(marker.out)


def labelled_diff_html(old: str, new: str, labels: Labels | None = None) -> str:
    """chapters.diffing.diff_html with a text alternative in each mark, for screen readers."""
    labels = labels or Labels()
    parts = []
    for change in word_diff(old, new):
        text = html_lib.escape(change.text)
        if change.tag == "equal":
            parts.append(text)
        elif change.tag == "delete":
            parts.append(f"<del>{_label(labels.deletion)}{text}</del>")
        else:
            parts.append(f"<ins>{_label(labels.insertion)}{text}</ins>")
    return "".join(parts)


# --- Tracked changes in the chapter as it reads now


def markdown_text(source: str) -> str:
    """The plain text of a piece of Markdown rendered on its own, as the chapter shows it."""
    return rendering.plain_text(rendering.render_markdown(source)).strip()


@dataclass(frozen=True)
class Tracked:
    start: int  # in the chapter's plain text
    end: int
    parts: list[tuple[str, str]]  # ("=" kept, "-" deleted, "+" inserted, text)


def tracked_change(
    text: str,
    *,
    start: int,
    end: int,
    current_exact: str,
    original: str,
    replacement: str,
    whole_block: bool,
) -> Tracked | None:
    """Where a suggestion stands in the chapter's plain text, and its word diff there.

    A suggestion on words written as they read replaces exactly its anchor's words. One that
    rewrites whole blocks (a selection across formatting, a section) is shown over the text of
    those blocks, found where its anchor is; if that text is no longer there, None: the card
    still shows the change, and nothing is drawn at a guessed place.
    """
    if not whole_block:
        if text[start:end] != current_exact:
            return None
        old, new = current_exact, replacement
    else:
        old, new = markdown_text(original), markdown_text(replacement)
        if not old:
            return None
        found = None
        at = text.find(old)
        while at >= 0 and at <= start:
            if start <= at + len(old) and end <= at + len(old):
                found = at
            at = text.find(old, at + 1)
        if found is None:
            return None
        start, end = found, found + len(old)
    if old == new:
        return None
    if not old:
        return Tracked(start, end, [("+", new)])
    symbols = {"equal": "=", "delete": "-", "insert": "+"}
    return Tracked(start, end, [(symbols[c.tag], c.text) for c in word_diff(old, new)])


# --- Previews


_SENTENCE_END = re.compile(r"[.!?…](?=[\s\"'”’)\]]|$)|\n")
_PREVIEW_SIDE = 300


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) holding text[start:end]: from after the previous sentence's end (or line
    break) to the end of the sentence the range ends in, at most a few hundred characters out."""
    floor = max(0, start - _PREVIEW_SIDE)
    begin = floor
    for match in _SENTENCE_END.finditer(text, floor, start):
        begin = match.end()
    while begin < start and text[begin].isspace():
        begin += 1
    ceiling = min(len(text), end + _PREVIEW_SIDE)
    # A range ending on the sentence's full stop ends that sentence.
    found = _SENTENCE_END.search(text, max(end - 1, start) if end > start else end, ceiling)
    finish = ceiling if found is None else (found.end() if found.group() != "\n" else found.start())
    return begin, max(finish, end)


def preview(text: str, start: int, end: int, replacement: str, labels: Labels | None = None) -> str:
    """The sentence around text[start:end] with the replacement's changed words marked."""
    begin, finish = sentence_around(text, start, end)
    old = text[begin:finish]
    new = text[begin:start] + replacement + text[end:finish]
    before = "…" if begin > 0 and text[begin - 1] != "\n" else ""
    after = "…" if finish < len(text) and text[finish] != "\n" else ""
    return before + labelled_diff_html(old, new, labels) + after


# --- Mapping points and sections to the Markdown


def insertion_point(source: str, at: int) -> sourcemap.SourceRange:
    """The Markdown offset of a caret at `at` in the chapter's plain text.

    Exact (an empty range) when the characters on both sides are written as themselves, next to
    each other; at a block's edge when the one inside is its first or last source character.
    Otherwise (inside formatting, a link, an escape) the enclosing block: the caller then has the
    block's Markdown edited. Generated text and the space between blocks cannot take an insertion.
    """
    chart = sourcemap._chart(source)
    text, unit_at, src_at, verbatim = chart.text, chart.unit_at, chart.src_at, chart.verbatim_at
    if not 0 <= at <= len(text):
        raise sourcemap.SourceMapError(sourcemap.NOT_FOUND)
    before = at - 1 if at > 0 and unit_at[at - 1] != -1 else None
    after = at if at < len(text) and unit_at[at] != -1 else None
    point = None
    if before is not None and after is not None:
        same = unit_at[before] == unit_at[after] and verbatim[before] and verbatim[after]
        point = src_at[after] if same and src_at[after] == src_at[before] + 1 else None
    elif after is not None:  # the start of a block
        first = chart.units[unit_at[after]][0]
        point = src_at[after] if verbatim[after] and src_at[after] == first else None
    elif before is not None:  # its end
        last = chart.units[unit_at[before]][1]
        point = src_at[before] + 1 if verbatim[before] and src_at[before] + 1 == last else None
    if point is not None:
        return sourcemap.SourceRange(chart.original(point), chart.original(point), False)
    unit = unit_at[before] if before is not None else (unit_at[after] if after is not None else -1)
    if unit == -1:
        raise sourcemap.SourceMapError(
            "Place the cursor inside a paragraph, list item or heading to insert words."
        )
    first, last = chart.units[unit]
    return sourcemap.SourceRange(chart.original(first), chart.original(last), whole_block=True)


def section_range(source: str, heading_id: str) -> tuple[int, int] | None:
    """The Markdown of a section: its heading's line up to the next heading of the same or a
    higher level (or the end), without the blank lines before that heading. None if no heading
    has that id."""
    env: dict[str, object] = {}
    tokens = _MD.parse(source, env)
    _prepare_tokens(tokens, number=None, nonce="")
    headings = [t for t in tokens if t.type == "heading_open" and t.map is not None]
    line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
    for index, heading in enumerate(headings):
        if heading.attrGet("id") != heading_id:
            continue
        assert heading.map is not None  # noqa: S101 - filtered above
        level = int(heading.tag[1])
        start = line_starts[heading.map[0]]
        end = next(
            (
                line_starts[other.map[0]]
                for other in headings[index + 1 :]
                if other.map is not None and int(other.tag[1]) <= level
            ),
            len(source),
        )
        return start, len(source[:end].rstrip())
    return None
