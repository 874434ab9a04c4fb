"""Accepting a suggested edit on a chapter that may have changed since it was suggested.

A suggestion replaces `base[start:end]` of the text the counterpart saw (the base) with a
replacement. By the time an editor accepts it, the chapter's current text may differ: other
suggestions were accepted, or an editor edited by hand. This is a three-way merge of one edit
into the current text, on words: `chapters.diffing.opcodes(base, current)` says what changed
since the base, and the edit's range is carried through it. A suggestion is merged only when
that is safe; otherwise it is a conflict for the editor to resolve. Nothing is overwritten
silently (diff-match-patch's `patch_apply` reports success while overwriting a concurrent edit).

The rules, for a change C that `current` made to `base` (one non-"equal" diff operation):

- Word granularity. Changes are whole tokens (words, runs of spaces, a line break, one symbol),
  so an edited word next to the range is not a change inside it, and a range that starts or
  ends inside a word conflicts with any change to that word, even to its other characters.
- Non-empty range. C conflicts when it alters a character inside the range (deletes or replaces
  it, or inserts text strictly inside the range). C merely touching a boundary (a change ending
  exactly where the range starts, or starting exactly where it ends, an insertion at either
  boundary) does not alter the range and is kept beside the replacement: current[:s'] +
  replacement + current[e':]. One exception: two insertions at the same point conflict unless
  identical. A replacement that keeps the range's first (or last) words and adds text before
  (after) them inserts at that boundary, so it conflicts with a different insertion there.
- Insertion (start == end). Any change touching the point conflicts: an insertion at the same
  point, or a change ending or starting there (the characters around the point changed).
- Ambiguous diffs. Where text repeats, a diff can place the same change in several positions
  (deleting the first or the second "b " of "a b b c" gives the same text). Every position is
  considered: a change that could alter the range, or could stand on either side of it (the
  result would depend on which), conflicts. Spaces are interchangeable, though: a change of
  words is compared with the range's words without the spaces at its edges, so deleting
  "kas " or " kas" next to a range "kar " is the same and does not conflict. A change of
  spaces only is compared with the whole range.
- Realignment. opcodes() aligns lines first and lets no match run through a space, so it may
  keep the wrong blank line or dash and report the words around it as rewritten. Changes that
  only spaces and symbols separate are diffed again token by token (difflib, no junk) before
  the rules apply; otherwise those words would conflict for no reason.
- Identical changes. When current already holds, around the range, exactly what the edit would
  produce from the base (the same suggestion accepted twice, or the editor's same edit by hand),
  the outcome is ALREADY_APPLIED and the text is current, unchanged. This is checked first, on
  the range widened by every change that overlaps or touches it (then also by changes only
  spaces away), so a suggestion that adds a word at a boundary is not added a second time.
- Edges. Start and end of text are ordinary boundaries (a change at 0 touching an insertion at
  0 conflicts; an edit at the end merges with changes elsewhere). An empty base accepts only an
  insertion at 0, which merges into an empty current and conflicts with any non-empty current
  unless current is the replacement itself. Ranges of spaces or line breaks follow the same rules;
  line breaks are tokens, so a paragraph break is never merged into a neighbouring word.

Offsets are str indices (code points), as Python slices them; Cyrillic and Albanian letters,
including a decomposed "ë", are word characters for the tokenizer.
"""

from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from itertools import accumulate

from chapters.diffing import Opcode, append_opcode, opcodes, tokenize

# Above this many token pairs, a region is left as opcodes() aligned it.
_MAX_REALIGN = 40_000


@dataclass(frozen=True)
class Edit:
    """One suggestion, relative to its base text: base[start:end] becomes `replacement`."""

    start: int
    end: int
    replacement: str


class Outcome(StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class MergeResult:
    outcome: Outcome
    # Current text with the edit applied (current itself when ALREADY_APPLIED); None on conflict.
    text: str | None
    # In current: APPLIED, the range that the replacement replaces; ALREADY_APPLIED, where the
    # replacement stands; CONFLICT, the range together with every change that overlaps or
    # touches it (what the editor must look at).
    start: int | None
    end: int | None
    base_excerpt: str
    current_excerpt: str


@dataclass(frozen=True)
class _Change:
    # A change current made to base, at its place in the diff (i1, i2 in base; j1, j2 in current).
    # Where text repeats, the same change could stand elsewhere: `places` are the (start, end)
    # in base where it could stand, and (lo, hi) the span they cover together.
    i1: int
    i2: int
    j1: int
    j2: int
    # (start, end, core start, core end): a place, and the same without spaces at its edges.
    places: tuple[tuple[int, int, int, int], ...]
    # Only spaces changed: compared with the whole range, not with the range's words.
    blank: bool

    @property
    def lo(self) -> int:
        return min(place[0] for place in self.places)

    @property
    def hi(self) -> int:
        return max(place[1] for place in self.places)

    @property
    def is_insertion(self) -> bool:
        return self.i1 == self.i2

    @property
    def delta(self) -> int:
        return (self.j2 - self.j1) - (self.i2 - self.i1)


def apply_edit(base: str, current: str, edit: Edit) -> MergeResult:
    """Merge one suggestion made on `base` into `current`, or report a conflict.

    See the module docstring for the rules. The range must lie in base, else ValueError.
    """
    start, end, replacement = edit.start, edit.end, edit.replacement
    if not 0 <= start <= end <= len(base):
        raise ValueError(f"Edit range {start}:{end} is outside a base of length {len(base)}.")
    base_excerpt = base[start:end]
    changes = _changes(base, current, _opcodes(base, current), start, end)
    near = [c for c in changes if c.lo <= end and c.hi >= start]
    before = [c for c in changes if c not in near and c.i2 <= start]

    if near:
        block_start = min(start, *(c.i1 for c in near))
        block_end = max(end, *(c.i2 for c in near))
        # Every other change lies wholly before or after the block.
        at = block_start + sum(c.delta for c in before)
        at_end = at + block_end - block_start + sum(c.delta for c in near)
        found = _already_there(base, current, edit, changes, near)
        if found is not None:
            return MergeResult(
                Outcome.ALREADY_APPLIED, current, found, found + len(replacement), base_excerpt,
                replacement,
            )  # fmt: skip
        sides = _sides(base, near, edit)
        if sides is None:
            return MergeResult(Outcome.CONFLICT, None, at, at_end, base_excerpt, current[at:at_end])
        before += sides

    # No change alters the range: it stands unchanged in current, after the changes before it.
    at = start + sum(c.delta for c in before)
    at_end = at + end - start
    return MergeResult(
        Outcome.APPLIED,
        current[:at] + replacement + current[at_end:],
        at,
        at_end,
        base_excerpt,
        current[at:at_end],
    )


def rebase(edit: Edit, base: str, current: str) -> Edit | None:
    """The same suggestion expressed against `current`, or None when it conflicts there.

    A suggestion that current already contains comes back as an edit that changes nothing
    (its range in current holds its replacement), so the caller can tell it apart.
    """
    result = apply_edit(base, current, edit)
    if result.outcome is Outcome.CONFLICT:
        return None
    assert result.start is not None and result.end is not None  # noqa: S101 - set unless conflict
    return Edit(result.start, result.end, edit.replacement)


def apply_in_order(base: str, edits: Sequence[Edit]) -> tuple[str, list[MergeResult]]:
    """Accept several suggestions made on the same base, in document order.

    Each is merged into the text produced so far. A suggestion whose range overlaps one
    accepted before it in the base conflicts, even where the word diff alone would let it
    through (the earlier replacement kept some of their shared words) or finds its words
    already there: neither proposer saw the combination. Only the very same suggestion twice
    merges (ALREADY_APPLIED).
    Stops at the first conflict; returns the text so far and one result per suggestion tried,
    in document order (sorted by start, then end).
    """
    text = base
    results: list[MergeResult] = []
    accepted: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        result = apply_edit(base, text, edit)
        if edit not in accepted and any(_overlap(edit, a) for a in accepted):
            result = MergeResult(
                Outcome.CONFLICT,
                None,
                result.start,
                result.end,
                result.base_excerpt,
                result.current_excerpt,
            )
        results.append(result)
        if result.outcome is Outcome.CONFLICT:
            break
        if result.text is not None:
            text = result.text
        accepted.append(edit)
    return text, results


def _overlap(a: Edit, b: Edit) -> bool:
    # Touching ranges do not overlap; two insertions at one point are judged by apply_edit.
    if a.start == a.end or b.start == b.end:
        return a.start < b.start < a.end or b.start < a.start < b.end
    return a.start < b.end and b.start < a.end


def _already_there(
    base: str, current: str, edit: Edit, changes: list[_Change], near: list[_Change]
) -> int | None:
    # Where the replacement stands in current when current already holds, around the range,
    # what the edit makes of base: first with the changes touching the range, then also with
    # those only spaces away (an added word can merge its space with the next one). Else None.
    if current == base[: edit.start] + edit.replacement + base[edit.end :]:
        return edit.start  # however the diff describes it (it may glue a word to its neighbour)
    block = list(near)
    for widen in (False, True):
        while widen:
            low, high = _span(edit, block)
            more = [
                c
                for c in changes
                if c not in block
                and (
                    (c.i1 >= high and not base[high : c.i1].strip())
                    or (c.i2 <= low and not base[c.i2 : low].strip())
                )
            ]
            if not more:
                break
            block += more
        low, high = _span(edit, block)
        at = low + sum(c.delta for c in changes if c not in block and c.i2 <= low)
        at_end = at + high - low + sum(c.delta for c in block)
        if current[at:at_end] == base[low : edit.start] + edit.replacement + base[edit.end : high]:
            return at + edit.start - low
    return None


def _span(edit: Edit, block: list[_Change]) -> tuple[int, int]:
    return min(edit.start, *(c.i1 for c in block)), max(edit.end, *(c.i2 for c in block))


def _sides(base: str, near: list[_Change], edit: Edit) -> list[_Change] | None:
    """The changes near the range that lie before it, or None when one of them conflicts.

    A change conflicts when it could alter the range (in any of its places), could stand on
    either side of it (the result would depend on which), inserts where the edit inserts, or
    leaves no place where the range stands whole. A change of words is compared with the
    range's words, so that which of two equal spaces it took does not matter; a change of
    spaces only is compared with the whole range.
    """
    start, end = edit.start, edit.end
    if start == end:
        return None if near else []  # near changes all touch the insertion point
    inserts_before, inserts_after = _inserts_at_edges(base[start:end], edit.replacement)
    words = _core(base, start, end)
    before = []
    for change in near:
        low, high = (start, end) if change.blank else words
        sides = set()
        for _, _, a, b in change.places:
            if change.is_insertion:
                if low < a < high:
                    return None
                if (a == low and inserts_before) or (a == high and inserts_after):
                    return None
            elif a < high and b > low:
                return None
            sides.add(b <= low)
        if len(sides) > 1:
            return None
        is_before = sides.pop()
        if not any(b <= start if is_before else a >= end for a, b, _, _ in change.places):
            return None
        if is_before:
            before.append(change)
    return before


def _core(text: str, start: int, end: int) -> tuple[int, int]:
    # [start, end) without the spaces at its edges; all of it when it is only spaces.
    part = text[start:end]
    if not part.strip():
        return start, end
    return start + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip())


def _inserts_at_edges(old: str, new: str) -> tuple[bool, bool]:
    # Whether replacing `old` by `new` adds text before all of old's words, and after them.
    spans = _changes(old, new, _opcodes(old, new), 0, len(old))
    return (
        any(c.is_insertion and c.lo == 0 for c in spans),
        any(c.is_insertion and c.hi == len(old) for c in spans),
    )


def _opcodes(old: str, new: str) -> list[Opcode]:
    """opcodes(old, new), with changes that only spaces or symbols separate diffed again.

    opcodes() aligns lines first, and a blank line matches any other blank line; within a line
    it lets no match run through a space, so one "—" outweighs "kas kaz lor". When a paragraph
    break or a dash is added or removed, it may keep the wrong one and report the words around
    it as rewritten, and those words would then conflict for no reason. A token diff of such a
    region in which spaces count like any token keeps the longest run of words instead.
    """
    ops = opcodes(old, new)
    result: list[Opcode] = []
    n = 0
    while n < len(ops):
        last = n
        while (
            ops[last][0] != "equal"
            and last + 2 < len(ops)
            and not any(char.isalnum() for char in old[ops[last + 1][1] : ops[last + 1][2]])
        ):
            last += 2
        if last == n:
            result.append(ops[n])
        else:
            _, i1, _, j1, _ = ops[n]
            _, _, i2, _, j2 = ops[last]
            result.extend(_token_opcodes(old, new, i1, i2, j1, j2))
        n = last + 1
    return _normalised(result)


def _normalised(ops: list[Opcode]) -> list[Opcode]:
    # Adjacent operations of one family become one, so that "equal" alternates with a change.
    result: list[Opcode] = []
    for op in ops:
        append_opcode(result, *op)
    return result


def _token_opcodes(old: str, new: str, i1: int, i2: int, j1: int, j2: int) -> list[Opcode]:
    old_tokens, new_tokens = tokenize(old[i1:i2]), tokenize(new[j1:j2])
    if len(old_tokens) * len(new_tokens) > _MAX_REALIGN:
        return [("replace", i1, i2, j1, j2)]
    old_at = [i1, *accumulate(map(len, old_tokens), initial=i1)][1:]
    new_at = [j1, *accumulate(map(len, new_tokens), initial=j1)][1:]
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    return [
        (tag, old_at[a1], old_at[a2], new_at[b1], new_at[b2])
        for tag, a1, a2, b1, b2 in matcher.get_opcodes()
    ]


def _changes(base: str, current: str, ops: list[Opcode], start: int, end: int) -> list[_Change]:
    """The changes in `ops`, each with the places in base where it could equally stand.

    A change can slide over the unchanged text on either side of it when that text repeats
    it: inserting or deleting "b " after "b " is the same as before it. Only changes that could
    reach [start, end] are slid; the others keep their place.
    """
    tokens: _Tokens | None = None
    changes = []
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            continue
        # Neighbouring operations alternate between "equal" and a change.
        reach_lo = ops[n - 1][1] if n > 0 else i1
        reach_hi = ops[n + 1][2] if n + 1 < len(ops) else i2
        places: tuple[tuple[int, int, int, int], ...] = ((i1, i2, i1, i2),)
        if reach_lo <= end and reach_hi >= start:
            tokens = tokens or _Tokens(base)
            places = tokens.places(i1, i2, tokenize(current[j1:j2]), reach_lo, reach_hi)
        blank = not base[i1:i2].strip() and not current[j1:j2].strip()
        changes.append(_Change(i1, i2, j1, j2, places, blank))
    return changes


class _Tokens:
    """The tokens of `text` around the changes being slid, tokenized a line at a time.

    Every line start is a token boundary (a newline ends a token, see chapters.diffing), so a
    line tokenized on its own gives exactly the tokens the whole text gives there. Tokenizing a
    20,000-word chapter whole, for the one or two changes near a suggestion, cost more than all
    the rest of a merge.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        # Tokens of the whole lines text[lo:hi]; offsets[k] is where tokens[k] starts.
        self.lo = self.hi = 0
        self.tokens: list[str] = []
        self.offsets = [0]

    def _line_start(self, at: int) -> int:
        return self.text.rfind("\n", 0, at) + 1

    def _line_end(self, at: int) -> int:
        return self.text.find("\n", at) + 1 or len(self.text)

    def _line_tokens(self, start: int, end: int) -> tuple[list[str], list[int]]:
        tokens = tokenize(self.text[start:end])
        return tokens, list(accumulate(map(len, tokens), initial=start))

    def _is_boundary(self, at: int) -> bool:
        start = self._line_start(at)
        if at in (start, len(self.text)):
            return True
        return at in self._line_tokens(start, self._line_end(at))[1]

    def _cover(self, start: int, end: int) -> None:
        # The window is reset rather than grown when the changes are far apart.
        if self.lo <= start and end <= self.hi:
            return
        self.lo, self.hi = self._line_start(start), max(self._line_end(end), end)
        self.tokens, self.offsets = self._line_tokens(self.lo, self.hi)

    def _extend_left(self) -> int:
        start = self._line_start(self.lo - 1)
        tokens, offsets = self._line_tokens(start, self.lo)
        self.tokens[:0] = tokens
        self.offsets[:1] = offsets
        self.lo = start
        return len(tokens)

    def _extend_right(self) -> None:
        end = self._line_end(self.hi)
        tokens, offsets = self._line_tokens(self.hi, end)
        self.tokens += tokens
        self.offsets[-1:] = offsets
        self.hi = end

    def places(
        self, i1: int, i2: int, inserted: list[str], reach_lo: int, reach_hi: int
    ) -> tuple[tuple[int, int, int, int], ...]:
        # Deleting base tokens [k, k + width) and inserting `inserted` there gives the same
        # text as doing it one token to the left when the token before k ends both the deleted
        # and the inserted tokens (then both rotate by one); likewise to the right.
        if not all(self._is_boundary(at) for at in (i1, i2, reach_lo, reach_hi)):
            return ((i1, i2, i1, i2),)  # not on token boundaries: only the diff's place
        self._cover(i1, i2)
        tokens, offsets = self.tokens, self.offsets  # grown in place by _extend_*
        first = bisect_left(offsets, i1)
        width = bisect_left(offsets, i2) - first

        lowest, rotating = first, deque(inserted)
        while offsets[lowest] > reach_lo:
            if lowest == 0:
                added = self._extend_left()
                lowest, first = lowest + added, first + added
            token = tokens[lowest - 1]
            if (width and tokens[lowest + width - 1] != token) or (
                rotating and rotating[-1] != token
            ):
                break
            rotating.rotate(1)
            lowest -= 1

        highest, rotating = first, deque(inserted)
        while offsets[highest + width] < reach_hi:
            if highest + width == len(tokens):
                self._extend_right()
            token = tokens[highest + width]
            if (width and tokens[highest] != token) or (rotating and rotating[0] != token):
                break
            rotating.rotate(-1)
            highest += 1

        places = []
        for k in range(lowest, highest + 1):
            a, b = offsets[k], offsets[k + width]
            places.append((a, b, *_core(self.text, a, b)))
        return tuple(places)
