"""Word-level differences between two versions of a chapter's text, over plain strings."""

import html
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate
from typing import Literal

Tag = Literal["equal", "replace", "delete", "insert"]
Opcode = tuple[Tag, int, int, int, int]

# Letters and digits but not "_", which is Markdown emphasis; combining accents stay with their
# letter so a decomposed "ë" is one word. An apostrophe between letters joins ("don't", "t'i"), a
# hyphen does not, so editing half of "cross-border" marks only that half.
_WORD = r"[^\W_]+(?:[\u0300-\u036f]+[^\W_]*)*"
# A newline ends a run of whitespace, so every line boundary is also a token boundary and the
# line-level and token-level diffs agree on where tokens start.
_TOKEN = re.compile(rf"{_WORD}(?:['\u2019]{_WORD})*|[^\S\n]*\n|[^\S\n]+|.", re.DOTALL)

# difflib compares each repeated item (a space, "the") with all its other occurrences, so its
# cost grows with len(a) * len(b); above this, a block is first split on items that are unique.
_SMALL_BLOCK = 20_000


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def opcodes(old: str, new: str) -> list[Opcode]:
    """How to turn `old` into `new`, in character offsets that fall on token boundaries.

    Lines are compared first, so an edit costs only its own line (paragraph); changed lines are
    then compared token by token, so one new word in a long paragraph is one small "replace".
    Adjacent operations never share a tag family: "equal" alternates with a change.
    """
    ops: list[Opcode] = []
    head, old_end, new_end = _unchanged_edges(old, new)
    append_opcode(ops, "equal", 0, head, 0, head)
    old_lines, new_lines = _lines(old[head:old_end]), _lines(new[head:new_end])
    old_at = [head + at for at in _offsets(old_lines)]
    new_at = [head + at for at in _offsets(new_lines)]
    # The last line of a text has no line break; compared without theirs, lines still match
    # when a paragraph moves to or from the end.
    old_keys = [line.removesuffix("\n") for line in old_lines]
    new_keys = [line.removesuffix("\n") for line in new_lines]
    for tag, i1, i2, j1, j2 in _sequence_opcodes(old_keys, new_keys):
        a1, a2, b1, b2 = old_at[i1], old_at[i2], new_at[j1], new_at[j2]
        if tag == "equal" and a2 - a1 != b2 - b1:
            append_opcode(ops, tag, a1, old_at[i2 - 1], b1, new_at[j2 - 1])
            _diff_tokens(old, new, old_at[i2 - 1], a2, new_at[j2 - 1], b2, ops)
        elif tag == "replace":
            _diff_tokens(old, new, a1, a2, b1, b2, ops)
        else:
            append_opcode(ops, tag, a1, a2, b1, b2)
    append_opcode(ops, "equal", old_end, len(old), new_end, len(new))
    return ops


def _diff_tokens(old: str, new: str, a1: int, a2: int, b1: int, b2: int, ops: list[Opcode]) -> None:
    old_tokens, new_tokens = tokenize(old[a1:a2]), tokenize(new[b1:b2])
    old_at, new_at = _offsets(old_tokens), _offsets(new_tokens)
    for tag, i1, i2, j1, j2 in _sequence_opcodes(old_tokens, new_tokens):
        append_opcode(ops, tag, a1 + old_at[i1], a1 + old_at[i2], b1 + new_at[j1], b1 + new_at[j2])


@dataclass(frozen=True)
class Change:
    tag: Literal["equal", "insert", "delete"]
    text: str


def word_diff(old: str, new: str) -> list[Change]:
    changes: list[Change] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        if text := "".join(removed):
            changes.append(Change("delete", text))
        if text := "".join(added):
            changes.append(Change("insert", text))
        removed.clear()
        added.clear()

    ops = opcodes(old, new)
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        between_changes = 0 < n < len(ops) - 1
        kept = old[i1:i2]
        # "<del>a</del><ins>x</ins> <del>b</del><ins>y</ins>" reads worse than one change
        # "a b" -> "x y"; a paragraph break between changes is kept, it is structure.
        if tag == "equal" and not (between_changes and kept.isspace() and "\n" not in kept):
            flush()
            changes.append(Change("equal", kept))
        else:
            removed.append(old[i1:i2])
            added.append(new[j1:j2])
    flush()
    return changes


def diff_html(old: str, new: str) -> str:
    parts = []
    for change in word_diff(old, new):
        text = html.escape(change.text)
        if change.tag == "equal":
            parts.append(text)
        else:
            element = "del" if change.tag == "delete" else "ins"
            parts.append(f"<{element}>{text}</{element}>")
    return "".join(parts)


def _unchanged_edges(old: str, new: str) -> tuple[int, int, int]:
    # Most revisions touch a few places in a long chapter; cutting the common start and end
    # first (in C, by slicing) leaves little for the line diff. The cuts go after a line break,
    # so that the line diff still sees whole lines.
    head = _common_prefix_length(old, new)
    if head == len(old) == len(new):
        return head, head, head
    head = old.rfind("\n", 0, head) + 1
    tail = _common_prefix_length(old[head:][::-1], new[head:][::-1])
    old_end = old.find("\n", len(old) - tail) + 1 or len(old)
    return head, old_end, old_end + len(new) - len(old)


def _common_prefix_length(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _lines(text: str) -> list[str]:
    # Only "\n" splits: str.splitlines() also splits on characters the tokenizer treats as
    # ordinary whitespace, which would put line boundaries inside tokens.
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _offsets(parts: list[str]) -> list[int]:
    return [0, *accumulate(map(len, parts))]


def append_opcode(ops: list[Opcode], tag: Tag, i1: int, i2: int, j1: int, j2: int) -> None:
    """Append an operation, merging it with the last one of its family (equal or a change)."""
    if i1 == i2 and j1 == j2:
        return
    if ops and (ops[-1][0] == "equal") == (tag == "equal"):
        _, i1, _, j1, _ = ops.pop()
        if tag != "equal":
            tag = "replace" if i1 < i2 and j1 < j2 else "delete" if i1 < i2 else "insert"
    ops.append((tag, i1, i2, j1, j2))


def _sequence_opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    ops: list[Opcode] = []
    i = j = 0
    for ai, bj, size in [*_matching_blocks(a, b), (len(a), len(b), 0)]:
        if i < ai and j < bj:
            ops.append(("replace", i, ai, j, bj))
        elif i < ai:
            ops.append(("delete", i, ai, j, bj))
        elif j < bj:
            ops.append(("insert", i, ai, j, bj))
        if size:
            ops.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return ops


def _matching_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    blocks: list[tuple[int, int, int]] = []
    _match(a, 0, len(a), b, 0, len(b), blocks)
    return blocks


def _match(
    a: list[str],
    alo: int,
    ahi: int,
    b: list[str],
    blo: int,
    bhi: int,
    blocks: list[tuple[int, int, int]],
) -> None:
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    if head:
        blocks.append((alo, blo, head))
        alo, blo = alo + head, blo + head
    tail = 0
    while ahi - tail > alo and bhi - tail > blo and a[ahi - tail - 1] == b[bhi - tail - 1]:
        tail += 1
    ahi, bhi = ahi - tail, bhi - tail

    if alo < ahi and blo < bhi:
        if (ahi - alo) * (bhi - blo) <= _SMALL_BLOCK:
            # A space is no reason to align two texts: matches grow from words and symbols, and
            # only extend over the spaces around them.
            matcher = SequenceMatcher(str.isspace, a[alo:ahi], b[blo:bhi], autojunk=False)
            blocks.extend(
                (alo + i, blo + j, size) for i, j, size in matcher.get_matching_blocks() if size
            )
        elif anchors := _unique_anchors(a, alo, ahi, b, blo, bhi):
            i, j = alo, blo
            for ui, uj in anchors:
                _match(a, i, ui, b, j, uj, blocks)
                blocks.append((ui, uj, 1))
                i, j = ui + 1, uj + 1
            _match(a, i, ahi, b, j, bhi, blocks)
        # else: a big block with nothing unique in common is a rewrite; it stays one "replace".

    if tail:
        blocks.append((ahi, bhi, tail))


def _unique_anchors(
    a: list[str], alo: int, ahi: int, b: list[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    # Patience diff: items that occur once on each side are safe to pair, and the longest run of
    # such pairs in the same order splits the block into small, independent ones.
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b]
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        back[k] = tail_at[pos - 1] if pos else -1
    chain = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


# --- Changed passages: what a reviewer reads again


@dataclass(frozen=True)
class Passage:
    """A stretch of whole lines (paragraphs) that changed: its range in each text, and the
    word diff of the two."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    html: str


@dataclass(frozen=True)
class Unchanged:
    """Lines between two passages (or before the first, after the last) that did not change."""

    paragraphs: int


def passages(old: str, new: str) -> list[Passage | Unchanged]:
    """The changed paragraphs of `new` against `old`, each with its word diff, and between
    them how many paragraphs stayed as they were (blank lines do not count).

    A paragraph is a line, as in the chapter's plain text, where every block is one. Changes
    on one line make one passage; a change that runs over line breaks takes its lines with it.
    """
    blocks: list[Passage | Unchanged] = []
    current: tuple[int, int] | None = None

    def close(old_end: int, new_end: int) -> None:
        assert current is not None  # noqa: S101 (only called with a passage open)
        a, b = current
        blocks.append(Passage(a, old_end, b, new_end, diff_html(old[a:old_end], new[b:new_end])))

    def unchanged(text: str) -> None:
        if count := sum(1 for line in text.split("\n") if line.strip()):
            blocks.append(Unchanged(count))

    ops = opcodes(old, new)
    for n, (tag, i1, i2, j1, _j2) in enumerate(ops):
        if tag != "equal":
            if current is None:
                current = (i1, j1)
            continue
        kept = old[i1:i2]
        rest = 0
        if current is not None:
            at_line_start = (i1 == 0 or old[i1 - 1] == "\n") and (j1 == 0 or new[j1 - 1] == "\n")
            if at_line_start:
                close(i1, j1)
            else:
                first_break = kept.find("\n")
                if first_break < 0:
                    continue  # the same line goes on changing
                rest = first_break + 1
                close(i1 + rest, j1 + rest)
            current = None
        if n == len(ops) - 1:
            unchanged(kept[rest:])
            break
        lead = max(rest, kept.rfind("\n") + 1)
        unchanged(kept[rest:lead])
        current = (i1 + lead, j1 + lead)
    if current is not None:
        close(len(old), len(new))
    return blocks
