"""Where a comment thread sits in a chapter's plain text, and where it sits after a revision.

A thread is anchored with a W3C Web Annotation TextQuoteSelector (exact, prefix, suffix) and a
TextPositionSelector (start, end) on the chapter's plain text (the rendered chapter's
textContent). When the chapter is revised, threads follow the diff between the two versions;
they never jump to another place where the same words happen to occur. A thread that cannot be
placed with confidence is orphaned, and the caller shows it as such.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import Indel

from chapters.diffing import Opcode, opcodes, tokenize

CONTEXT = 32
MAX_QUOTE = 20_000

# Similarities are rapidfuzz Indel ratios in [0, 1]. Two unrelated 32-character snippets of
# English prose score about 0.37 (0.48 at the 99th percentile for the mean of two sides), so
# context must score clearly above chance to count as "the same surroundings".
#
# An edited quote is accepted in place (see _edited) when at least half its words remain (a
# one-word edit in a two-word quote passes), its context is recognisable, and the two together
# are well above either minimum: a weak context needs a nearly intact quote, and vice versa.
_MIN_QUOTE = 0.5
_MIN_CONTEXT = 0.5
_MIN_TOGETHER = 1.3
# An unchanged quote in a short unchanged run (see _MIN_EVIDENCE) needs one side of its context
# to be recognisable: a word that survives where everything on both sides was rewritten is a
# coincidence of the diff.
_MIN_ONE_SIDE = 0.6
# A quote pasted elsewhere (see _relocated) must be word for word the same, with the context on
# each side nearly the same too.
_MIN_MOVED_CONTEXT = 0.8
# Shorter than this, unchanged text (a quote with the context that identifies it, or a run the
# diff calls "equal") may be a coincidence of common words rather than the same passage.
_MIN_EVIDENCE = CONTEXT
# More places than this in new text hold the quote: too common to tell one of them apart.
_MAX_RELOCATION_CANDIDATES = 100


class AnchorError(ValueError):
    """A selection that cannot be anchored; the message is shown to the user."""


@dataclass(frozen=True)
class Quote:
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    quote: Quote


class Outcome(StrEnum):
    KEPT = "kept"
    MOVED = "moved"
    EDITED = "edited"
    ORPHANED = "orphaned"


@dataclass(frozen=True)
class Reanchored:
    outcome: Outcome
    anchor: Anchor | None


def describe(text: str, start: int, end: int, *, context: int = CONTEXT) -> Anchor:
    """Anchor the characters text[start:end], refusing selections a reader could not see."""
    if not 0 <= start < end <= len(text):
        raise AnchorError("The selection is outside the text of this chapter.")
    if text[start:end].isspace():
        raise AnchorError("Select some text to comment on, not only spaces.")
    if end - start > MAX_QUOTE:
        raise AnchorError(f"Select at most {MAX_QUOTE:,} characters to comment on.")
    return _anchor(text, start, end, context)


def resolve_selection(
    text: str,
    *,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    start: int | None = None,
    end: int | None = None,
) -> Anchor:
    """Anchor a selection sent by a browser.

    The browser's offsets are trusted only when they point at `exact`; otherwise `exact` is
    looked up, and when it occurs several times the prefix and suffix (then the distance from
    `start`) must single one occurrence out. Refusing is better than anchoring on the wrong one.
    """
    if not exact or exact.isspace():
        raise AnchorError("Select some text to comment on, not only spaces.")
    if len(exact) > MAX_QUOTE:
        raise AnchorError(f"Select at most {MAX_QUOTE:,} characters to comment on.")
    # The browser's offsets count only when they point at what the reader selected.
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and text[start:end] == exact
    ):
        return _anchor(text, start, end)
    at = _find(text, Quote(exact, prefix, suffix), near=start)
    return _anchor(text, at, at + len(exact))


def reanchor(old_text: str, new_text: str, anchors: Sequence[Anchor]) -> list[Reanchored]:
    """Carry anchors on `old_text` over to `new_text`, one result per anchor, in order.

    The two texts are diffed once. An anchor whose text is untouched follows the unchanged text
    around it (KEPT, or MOVED by edits before it), unless it is a short run that the diff found
    amid text rewritten on both sides: a coincidence. An anchor whose text was edited stays on the
    passage now standing between the same unchanged text, if that passage and its surroundings
    are still recognisably the same (EDITED). An anchor whose text disappeared from its place
    may follow it only into text that is new in this version, with the same words and the same
    surroundings (MOVED: the passage was cut and pasted). Text that was already there never
    captures an anchor, however similar. Anything else is ORPHANED.
    """
    ops = opcodes(old_text, new_text)
    op_starts = [op[1] for op in ops]
    fresh = _fresh_regions(new_text, ops)
    results = []
    for anchor in anchors:
        if anchor.start == anchor.end and not anchor.quote.exact:
            point = _follow_point(old_text, new_text, ops, op_starts, anchor)
            results.append(point or Reanchored(Outcome.ORPHANED, None))
            continue
        found = _consistent(old_text, anchor)
        placed = None if found is None else _follow(new_text, ops, op_starts, fresh, found)
        results.append(placed or Reanchored(Outcome.ORPHANED, None))
    return results


# A point (an insertion proposed at the cursor) has no words of its own: it follows the text
# around it, and only while that many characters on each side are untouched.
_POINT_CONTEXT = 8


def _follow_point(
    old_text: str, new_text: str, ops: list[Opcode], op_starts: list[int], anchor: Anchor
) -> Reanchored | None:
    """Carry a zero-length anchor to the same spot between the same words, or give up.

    The point must still sit between its recorded prefix and suffix in the old text, and lie
    inside one unchanged stretch of the diff with untouched text on both sides; an edit right
    at the point makes "the same place" ambiguous, so the point is orphaned rather than guessed.
    """
    at = anchor.start
    quote = anchor.quote
    near_before = quote.prefix[-_POINT_CONTEXT:]
    near_after = quote.suffix[:_POINT_CONTEXT]
    if not (
        0 <= at <= len(old_text)
        and old_text[:at].endswith(near_before)
        and old_text[at:].startswith(near_after)
    ):
        return None
    if not ops:  # both texts are empty
        return None
    tag, i1, i2, j1, _ = ops[bisect_right(op_starts, at) - 1]
    inside = i1 < at < i2 or (at == 0 == i1 < i2) or (at == len(old_text) == i2 > i1)
    if tag != "equal" or not inside:
        return None
    if at - i1 < len(near_before) or i2 - at < len(near_after):
        return None  # the untouched stretch is shorter than the context that identifies it
    moved = at + (j1 - i1)
    new = _anchor(new_text, moved, moved)
    return Reanchored(Outcome.KEPT if moved == at else Outcome.MOVED, new)


def _fresh_regions(new_text: str, ops: list[Opcode]) -> tuple[list[int], list[int]]:
    # Where the new version has text the old one did not, as (starts, ends). Spaces the diff
    # happened to keep between new words do not make a pasted passage any less new.
    starts: list[int] = []
    ends: list[int] = []
    for tag, _, _, j1, j2 in ops:
        if tag == "equal" or j1 == j2:
            continue
        if ends and new_text[ends[-1] : j1].isspace():
            ends[-1] = j2
        else:
            starts.append(j1)
            ends.append(j2)
    return starts, ends


def _anchor(text: str, start: int, end: int, context: int = CONTEXT) -> Anchor:
    prefix = text[max(0, start - context) : start]
    return Anchor(start, end, Quote(text[start:end], prefix, text[end : end + context]))


def _find(text: str, quote: Quote, *, near: int | None) -> int:
    starts = []
    at = text.find(quote.exact)
    while at != -1:
        starts.append(at)
        at = text.find(quote.exact, at + 1)
    if not starts:
        raise AnchorError("The selected text is not in this chapter.")
    ranked = sorted(
        (-_context_overlap(text, at, quote), abs(at - near) if near is not None else 0, at)
        for at in starts
    )
    if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
        raise AnchorError(
            "The selected text occurs several times in this chapter; select a longer passage."
        )
    return ranked[0][2]


def _context_overlap(text: str, at: int, quote: Quote) -> int:
    before = text[max(0, at - len(quote.prefix)) : at]
    after_at = at + len(quote.exact)
    after = text[after_at : after_at + len(quote.suffix)]
    same_before = 0
    while same_before < len(before) and before[-1 - same_before] == quote.prefix[-1 - same_before]:
        same_before += 1
    same_after = 0
    while same_after < len(after) and after[same_after] == quote.suffix[same_after]:
        same_after += 1
    return same_before + same_after


def _consistent(old_text: str, anchor: Anchor) -> Anchor | None:
    # A stored anchor should point at its own quote; if its offsets went stale, the quote with
    # its context may still single out where it was, and otherwise there is nothing to carry.
    start, end, exact = anchor.start, anchor.end, anchor.quote.exact
    if 0 <= start < end <= len(old_text) and old_text[start:end] == exact:
        return anchor
    if not exact.strip():
        return None
    try:
        at = _find(old_text, anchor.quote, near=start)
    except AnchorError:
        return None
    return Anchor(at, at + len(exact), anchor.quote)


def _follow(
    new_text: str,
    ops: list[Opcode],
    op_starts: list[int],
    fresh: tuple[list[int], list[int]],
    anchor: Anchor,
) -> Reanchored | None:
    # The operation holding the first character of the quote, and the one holding its last.
    first = ops[bisect_right(op_starts, anchor.start) - 1]
    last = ops[bisect_left(op_starts, anchor.end) - 1]
    if first is last and first[0] == "equal":
        shift = first[3] - first[1]
        kept = _anchor(new_text, anchor.start + shift, anchor.end + shift)
        # A word that both versions happen to use, in the middle of rewritten text, is "equal"
        # to the diff but is not the same passage; its context tells the two apart.
        unchanged_run = first[2] - first[1]
        if unchanged_run >= _MIN_EVIDENCE or _one_side_recognisable(anchor.quote, kept.quote):
            return _placed(anchor, kept)
    else:
        edited = _edited(new_text, anchor, first, last)
        if edited is not None:
            return edited
    moved = _relocated(new_text, anchor.quote, fresh)
    if moved is not None:
        return _placed(anchor, moved)
    return None


def _placed(old: Anchor, new: Anchor) -> Reanchored:
    same_place = (old.start, old.end) == (new.start, new.end)
    return Reanchored(Outcome.KEPT if same_place else Outcome.MOVED, new)


def _edited(new_text: str, anchor: Anchor, first: Opcode, last: Opcode) -> Reanchored | None:
    """The passage now where the quote was, if it is recognisably the quote, edited.

    Each edge of the quote maps to the new text through the diff. An edge inside an edit maps
    to either end of that edit's new text when the edit reaches outside the quote (its new
    words may belong to the quote or to its neighbours), so up to four candidates are scored.
    """
    quote = anchor.quote
    starts = _edge_targets(first, anchor.start, is_start=True)
    ends = _edge_targets(last, anchor.end, is_start=False)
    best: tuple[float, Anchor] | None = None
    for start in starts:
        for end in ends:
            span = _trimmed(new_text, start, end, quote.exact)
            # Too long to share half its words with the quote: not worth scoring.
            if span is None or span[1] - span[0] > 4 * len(quote.exact) + 16:
                continue
            candidate = _anchor(new_text, *span)
            same_words = _quote_similarity(quote.exact, candidate.quote.exact)
            same_place = _context_similarity(quote, candidate.quote)
            together = same_words + same_place
            if (
                same_words >= _MIN_QUOTE
                and same_place >= _MIN_CONTEXT
                and together >= _MIN_TOGETHER
                and (best is None or together > best[0])
            ):
                best = (together, candidate)
    if best is None:
        return None
    if best[1].quote.exact == quote.exact:
        return _placed(anchor, best[1])
    return Reanchored(Outcome.EDITED, best[1])


def _edge_targets(op: Opcode, at: int, *, is_start: bool) -> list[int]:
    tag, i1, i2, j1, j2 = op
    if tag == "equal":
        return [j1 + at - i1]
    reaches_outside = i1 < at if is_start else at < i2
    if not reaches_outside:
        return [j1 if is_start else j2]
    return [j1, j2] if is_start else [j2, j1]


def _trimmed(text: str, start: int, end: int, exact: str) -> tuple[int, int] | None:
    # An edit at the edge of the quote can leave a space there; keep only what the reader
    # would have selected, unless the original selection itself began or ended with a space.
    if not exact[:1].isspace():
        while start < end and text[start].isspace():
            start += 1
    if not exact[-1:].isspace():
        while end > start and text[end - 1].isspace():
            end -= 1
    if start >= end or text[start:end].isspace():
        return None
    return start, end


def _quote_similarity(old: str, new: str) -> float:
    # Words carry the meaning, so they are compared as units (case aside). Characters count
    # only for what they share beyond the ~50% that any two texts in one language share, so a
    # corrected typo in a one-word quote still scores while a different word does not.
    words = Indel.normalized_similarity(_words(old), _words(new))
    characters = Indel.normalized_similarity(old, new)
    return max(words, 2 * characters - 1)


def _words(text: str) -> list[str]:
    return [token.casefold() for token in tokenize(text) if not token.isspace()]


def _context_similarity(old: Quote, new: Quote) -> float:
    prefix, suffix = _side_similarities(old, new)
    return (prefix + suffix) / 2


def _side_similarities(old: Quote, new: Quote) -> tuple[float, float]:
    return (
        Indel.normalized_similarity(_local_prefix(old), _local_prefix(new)),
        Indel.normalized_similarity(_local_suffix(old), _local_suffix(new)),
    )


def _one_side_recognisable(old: Quote, new: Quote) -> bool:
    # Only as much new context as there was old context is compared: text typed further away
    # does not make the text right next to the quote any less the same.
    old_prefix, new_prefix = _local_prefix(old), _local_prefix(new)
    old_suffix, new_suffix = _local_suffix(old), _local_suffix(new)
    new_prefix = new_prefix[max(0, len(new_prefix) - len(old_prefix)) :]
    new_suffix = new_suffix[: len(old_suffix)]
    return (
        max(
            Indel.normalized_similarity(old_prefix, new_prefix),
            Indel.normalized_similarity(old_suffix, new_suffix),
        )
        >= _MIN_ONE_SIDE
    )


# Context is compared only up to a line break: what lies beyond belongs to another paragraph,
# which may legitimately differ after a paragraph was moved. "Starts (ends) a paragraph" still
# counts, as an empty context.
def _local_prefix(quote: Quote) -> str:
    return quote.prefix.rpartition("\n")[2]


def _local_suffix(quote: Quote) -> str:
    return quote.suffix.partition("\n")[0]


def _relocated(new_text: str, quote: Quote, fresh: tuple[list[int], list[int]]) -> Anchor | None:
    """The one place in text new to this version that holds the quote with its context.

    Only new text is searched: an occurrence in text that was already there is another
    passage that happens to read the same, and taking it is the mistake to avoid.
    """
    evidence = len(_local_prefix(quote)) + len(quote.exact) + len(_local_suffix(quote))
    if evidence < _MIN_EVIDENCE:
        return None
    starts, ends = fresh
    found = []
    candidates = 0
    at = new_text.find(quote.exact)
    while at != -1:
        region = bisect_right(starts, at) - 1
        if region >= 0 and at + len(quote.exact) <= ends[region]:
            candidates += 1
            if candidates > _MAX_RELOCATION_CANDIDATES:
                return None
            candidate = _anchor(new_text, at, at + len(quote.exact))
            if min(_side_similarities(quote, candidate.quote)) >= _MIN_MOVED_CONTEXT:
                found.append(candidate)
            at = new_text.find(quote.exact, at + 1)
        elif region + 1 < len(starts):
            # Not wholly inside new text: no later start in this region fits either.
            at = new_text.find(quote.exact, max(at + 1, starts[region + 1]))
        else:
            break
    return found[0] if len(found) == 1 else None
