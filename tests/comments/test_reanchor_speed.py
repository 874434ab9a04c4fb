"""The merge tokenizes only the lines around a change; where a change may slide, it finds the
same places as tokenizing the whole text did."""

from __future__ import annotations

from collections import deque
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from chapters.diffing import opcodes, tokenize
from comments import merging


def places_with_every_token(
    text: str, i1: int, i2: int, inserted: list[str], reach_lo: int, reach_hi: int
) -> tuple[tuple[int, int, int, int], ...]:
    # merging._Tokens.places as it was, over the tokens of the whole text.
    tokens = tokenize(text)
    offsets = [0, *accumulate(map(len, tokens))]
    index = {at: k for k, at in enumerate(offsets)}
    if not all(at in index for at in (i1, i2, reach_lo, reach_hi)):
        return ((i1, i2, i1, i2),)
    first, width = index[i1], index[i2] - index[i1]
    lowest, rotating = first, deque(inserted)
    while lowest > index[reach_lo]:
        token = tokens[lowest - 1]
        if (width and tokens[lowest + width - 1] != token) or (rotating and rotating[-1] != token):
            break
        rotating.rotate(1)
        lowest -= 1
    highest, rotating = first, deque(inserted)
    while highest + width < index[reach_hi]:
        token = tokens[highest + width]
        if (width and tokens[highest] != token) or (rotating and rotating[0] != token):
            break
        rotating.rotate(-1)
        highest += 1
    return tuple(
        (offsets[k], offsets[k + width], *merging._core(text, offsets[k], offsets[k + width]))
        for k in range(lowest, highest + 1)
    )


# Few distinct tokens and many line breaks, so that changes slide, across lines too.
texts = st.lists(
    st.sampled_from(["b", "b ", " ", "\n", "a", "\n\n", "b\n", "kas ", "-"]), max_size=40
).map("".join)


@settings(max_examples=600, deadline=None)
@given(texts, texts)
def test_places_are_found_as_with_every_token(base: str, current: str) -> None:
    ops = opcodes(base, current)
    tokens = merging._Tokens(base)  # one window, reused across changes as in _changes
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            continue
        reach_lo = ops[n - 1][1] if n > 0 else i1
        reach_hi = ops[n + 1][2] if n + 1 < len(ops) else i2
        inserted = tokenize(current[j1:j2])
        assert tokens.places(i1, i2, inserted, reach_lo, reach_hi) == places_with_every_token(
            base, i1, i2, inserted, reach_lo, reach_hi
        )


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(0, 10_000), st.integers(0, 10_000))
def test_any_offsets_are_answered_as_with_every_token(text: str, a: int, b: int) -> None:
    # Offsets off token boundaries, and windows reset between calls.
    tokens = merging._Tokens(text)
    n = len(text)
    i1, i2 = sorted((a % (n + 1), b % (n + 1)))
    for reach_lo, reach_hi in ((0, n), (i1, i2), (0, i2), (i1, n)):
        assert tokens.places(i1, i2, ["b"], reach_lo, reach_hi) == places_with_every_token(
            text, i1, i2, ["b"], reach_lo, reach_hi
        )


def test_a_merge_far_from_an_edit_tokenizes_little() -> None:
    base = "".join(f"Paragraph {n} of the chapter, with words.\n\n" for n in range(2_000))
    current = "A new opening sentence.\n\n" + base
    at = base.index("Paragraph 1000 ")
    edit = merging.Edit(at, at + len("Paragraph"), "PARAGRAPH")
    result = merging.apply_edit(base, current, edit)
    assert result.outcome is merging.Outcome.APPLIED
    assert result.text == current.replace("Paragraph 1000 ", "PARAGRAPH 1000 ", 1)
