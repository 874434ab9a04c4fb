import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chapters.diffing import tokenize
from comments.merging import Edit, MergeResult, Outcome, apply_edit, apply_in_order, rebase

APPLIED, ALREADY, CONFLICT = Outcome.APPLIED, Outcome.ALREADY_APPLIED, Outcome.CONFLICT

# Base texts use _OLD words; replacements and concurrent changes bring in _NEW words only, so
# that a diff can align a new word with nothing in the base. One word spells "ë" decomposed.
_OLD = [
    *(a + b for a, b in itertools.product(["ka", "lo", "të", "ça"], "rsz")),
    *(a + b for a, b in itertools.product(["гра", "по", "ли"], "нјк")),
    "këngë",
    "çelës",
    "Shqipe\u0308ri",
    "дом",
]
_NEW = [word.upper() for word in _OLD]
# Every separator ends in a character that is not a letter, so a unit never merges into the
# word after it; Markdown line breaks, list items and emphasis included.
_SEPARATORS = [" ", " ", " ", ", ", ". ", "\n", ".\n\n", " — ", "; ", "\n\n- ", " **", "** "]

fast = settings(max_examples=150, deadline=None)


def _units(words: st.SearchStrategy[str], min_size: int, max_size: int, unique: bool = False):
    return st.lists(
        st.tuples(words, st.sampled_from(_SEPARATORS)),
        min_size=min_size,
        max_size=max_size,
        unique_by=(lambda unit: unit[0]) if unique else None,
    )


def _join(units: list[tuple[str, str]]) -> str:
    return "".join(word + separator for word, separator in units)


old_units = _units(st.sampled_from(_OLD), 1, 12)
unique_old_units = _units(st.sampled_from(_OLD), 3, 14, unique=True)
new_text = _units(st.sampled_from(_NEW), 0, 3).map(_join)


def _splice(text: str, edits: list[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def _unit_starts(units: list[tuple[str, str]]) -> list[int]:
    starts = [0]
    for word, separator in units:
        starts.append(starts[-1] + len(word) + len(separator))
    return starts


def _token_boundaries(text: str) -> list[int]:
    return [0, *itertools.accumulate(map(len, tokenize(text)))]


def _merge(base: str, current: str, start: int, end: int, replacement: str) -> MergeResult:
    result = apply_edit(base, current, Edit(start, end, replacement))
    assert result.base_excerpt == base[start:end]
    if result.outcome is CONFLICT:
        assert result.text is None
    else:
        assert result.start is not None and result.end is not None
        assert result.current_excerpt == current[result.start : result.end]
    return result


# --- apply_edit, rule by rule -------------------------------------------------------------------

CASES = [
    # The range unchanged in current.
    pytest.param("the cat sat", "the cat sat", 4, 7, "dog", APPLIED, "the dog sat", id="unchanged"),
    pytest.param(
        "the cat sat", "the cat sat down", 4, 7, "dog", APPLIED, "the dog sat down", id="elsewhere"
    ),
    pytest.param("the cat sat", "the cat sat", 0, 11, "", APPLIED, "", id="delete-all-text"),
    # The replaced words changed in current.
    pytest.param("the cat sat", "the cow sat", 4, 7, "dog", CONFLICT, None, id="word-changed"),
    pytest.param("the cat sat", "the sat", 4, 7, "dog", CONFLICT, None, id="word-deleted"),
    pytest.param(
        "the black cat sat",
        "the black big cat sat",
        4,
        13,
        "dog",
        CONFLICT,
        None,
        id="insertion-inside-range",
    ),
    pytest.param("the cat sat", "the cat sat", 4, 7, "cat", APPLIED, "the cat sat", id="no-op"),
    # Identical changes.
    pytest.param(
        "the cat sat", "the dog sat", 4, 7, "dog", ALREADY, "the dog sat", id="same-edit-by-hand"
    ),
    pytest.param(
        "the cat sat",
        "the dog sat down",
        4,
        7,
        "dog",
        ALREADY,
        "the dog sat down",
        id="same-edit-and-another-elsewhere",
    ),
    pytest.param("a b", "a, b", 1, 2, ", ", ALREADY, "a, b", id="same-punctuation-added"),
    pytest.param("a b c", "a X b c", 2, 3, "X b", ALREADY, "a X b c", id="same-word-added"),
    # Changes touching a boundary of a non-empty range, altering nothing inside it.
    pytest.param("the cat sat", "a cat sat", 4, 7, "dog", APPLIED, "a dog sat", id="change-before"),
    pytest.param(
        "the cat sat", "the cat, sat", 4, 7, "dog", APPLIED, "the dog, sat", id="insert-after"
    ),
    pytest.param(
        "the cat sat",
        "the big cat sat",
        4,
        7,
        "dog",
        APPLIED,
        "the big dog sat",
        id="insert-before",
    ),
    pytest.param("a b", "a, b", 1, 2, "\n", APPLIED, "a,\nb", id="whitespace-range-comma-before"),
    pytest.param(
        "one two",
        "one three",
        3,
        4,
        "\n\n",
        APPLIED,
        "one\n\nthree",
        id="whitespace-range-next-word-changed",
    ),
    pytest.param("x y z", "X y Z", 2, 3, "", APPLIED, "X  Z", id="both-neighbours-changed"),
    # ... unless the replacement itself adds words at that boundary: two insertions at one point.
    pytest.param("a b c", "a Z b c", 2, 3, "X b", CONFLICT, None, id="insertions-before-range"),
    pytest.param("a b c", "a b Z c", 2, 3, "b X", CONFLICT, None, id="insertions-after-range"),
    pytest.param("a b c", "a Z b c", 2, 3, "B", APPLIED, "a Z B c", id="insertion-and-replace"),
    # Insertions: any change touching the point conflicts.
    pytest.param(
        "the cat sat",
        "the cat sat",
        4,
        4,
        "black ",
        APPLIED,
        "the black cat sat",
        id="insertion",
    ),
    pytest.param(
        "the cat sat",
        "the cat sat down",
        4,
        4,
        "big ",
        APPLIED,
        "the big cat sat down",
        id="insertion-change-elsewhere",
    ),
    pytest.param(
        "the cat sat", "the big cat sat", 4, 4, "black ", CONFLICT, None, id="two-insertions"
    ),
    pytest.param(
        "the cat sat",
        "the big cat sat",
        4,
        4,
        "big ",
        ALREADY,
        "the big cat sat",
        id="identical-insertions",
    ),
    pytest.param(
        "the cat sat", "the cow sat", 4, 4, "black ", CONFLICT, None, id="insertion-word-after"
    ),
    pytest.param(
        "the cat sat", "a cat sat", 3, 3, " black", CONFLICT, None, id="insertion-word-before"
    ),
    pytest.param(
        "the cat sat",
        "a cat sat",
        4,
        4,
        "black ",
        APPLIED,
        "a black cat sat",
        id="insertion-a-space-after-changed-word",
    ),
    # Start and end of text.
    pytest.param(
        "Hello world", "Hello world!", 0, 5, "Hi", APPLIED, "Hi world!", id="range-at-start"
    ),
    pytest.param(
        "Hello world",
        "Oh, Hello world",
        0,
        5,
        "Hi",
        APPLIED,
        "Oh, Hi world",
        id="insertion-before-text",
    ),
    pytest.param(
        "Hello world", "Oh, Hello world", 0, 0, "Well, ", CONFLICT, None, id="two-at-text-start"
    ),
    pytest.param("Hello world", "Hi world", 11, 11, "!", APPLIED, "Hi world!", id="append-at-end"),
    pytest.param(
        "Hello world", "Hello world.", 11, 11, "!", CONFLICT, None, id="two-appends-at-end"
    ),
    pytest.param("Hello world", "Hello", 6, 11, "all", CONFLICT, None, id="range-at-end-deleted"),
    # Empty base.
    pytest.param("", "", 0, 0, "Title", APPLIED, "Title", id="empty-base"),
    pytest.param("", "Other", 0, 0, "Title", CONFLICT, None, id="empty-base-written-meanwhile"),
    pytest.param("", "Title", 0, 0, "Title", ALREADY, "Title", id="empty-base-same-text"),
    # Markdown paragraphs and lines.
    pytest.param(
        "# Rules\n\nFirst para.\n\nSecond para.\n",
        "# Rules\n\nOpening para.\n\nSecond para.\n",
        22,
        28,
        "Third",
        APPLIED,
        "# Rules\n\nOpening para.\n\nThird para.\n",
        id="other-paragraph-edited",
    ),
    pytest.param(
        "# Rules\n\nFirst para.\n\nSecond para.\n",
        "# Rules\n\nFirst para!\n\nSecond para.\n",
        20,
        22,
        " ",
        APPLIED,
        "# Rules\n\nFirst para! Second para.\n",
        id="join-paragraphs-full-stop-changed",
    ),
    pytest.param(
        "# Rules\n\nFirst para.\n\nSecond para.\n",
        "# Rules\n\nFirst para.\n\nMiddle.\n\nSecond para.\n",
        20,
        22,
        " ",
        CONFLICT,
        None,
        id="join-paragraphs-one-inserted-between",
    ),
    pytest.param(
        "- one\n- two\n",
        "- one\n- two\n- three\n",
        8,
        11,
        "2",
        APPLIED,
        "- one\n- 2\n- three\n",
        id="list-item-added-after",
    ),
    # Cyrillic and Albanian.
    pytest.param(
        "Право на жалбу.\n",
        "Право на жалбу и одговор.\n",
        9,
        14,
        "приговор",
        APPLIED,
        "Право на приговор и одговор.\n",
        id="cyrillic",
    ),
    pytest.param(
        "një këngë e bukur",
        "një këngë shumë e bukur",
        4,
        9,
        "çelës",
        APPLIED,
        "një çelës shumë e bukur",
        id="albanian",
    ),
    pytest.param(
        "një këngë e bukur",
        "një ke\u0308ngë e bukur",
        4,
        9,
        "çelës",
        CONFLICT,
        None,
        id="albanian-decomposed-in-current",
    ),
    # Word granularity: a range inside a word.
    pytest.param(
        "cross-border",
        "cross-borders",
        0,
        5,
        "trans",
        APPLIED,
        "trans-borders",
        id="half-of-hyphenated-word",
    ),
    pytest.param("crossing", "crossings", 0, 3, "CRO", CONFLICT, None, id="part-of-changed-word"),
    # Repeated words: a change the diff could place in the range is a conflict.
    pytest.param("a b b c", "a b c", 2, 3, "X", CONFLICT, None, id="which-b-was-deleted"),
    pytest.param("a b b c", "a b c", 6, 7, "X", APPLIED, "a b X", id="repeated-words-elsewhere"),
    pytest.param("a b b c", "a b c", 2, 4, "", ALREADY, "a b c", id="deleted-twice"),
    pytest.param("a b", "a b b", 2, 3, "B", CONFLICT, None, id="which-b-was-inserted"),
    pytest.param(
        "kar kas, kaz lor, ", "kar kas, ", 4, 9, "", CONFLICT, None, id="which-comma-was-deleted"
    ),
    pytest.param("kar kas kaz ", "kar kaz ", 0, 4, "", APPLIED, "kaz ", id="which-space-is-same"),
    pytest.param("a b c", "a b b c", 2, 3, "b b", ALREADY, "a b b c", id="same-word-doubled"),
]


@pytest.mark.parametrize(
    ("base", "current", "start", "end", "replacement", "outcome", "text"), CASES
)
def test_apply_edit_rules(
    base: str,
    current: str,
    start: int,
    end: int,
    replacement: str,
    outcome: Outcome,
    text: str | None,
) -> None:
    result = _merge(base, current, start, end, replacement)

    assert (result.outcome, result.text) == (outcome, text)


def test_applied_result_says_where_the_range_is_in_current() -> None:
    result = apply_edit("the cat sat", "oh, the cat sat", Edit(4, 7, "dog"))

    assert result == MergeResult(APPLIED, "oh, the dog sat", 8, 11, "cat", "cat")


def test_conflict_shows_what_current_has_instead() -> None:
    result = apply_edit("the cat sat", "oh, the cow sat", Edit(4, 7, "dog"))

    assert result == MergeResult(CONFLICT, None, 8, 11, "cat", "cow")


def test_already_applied_says_where_the_replacement_stands() -> None:
    result = apply_edit("the cat sat", "oh, the dog sat", Edit(4, 7, "dog"))

    assert result == MergeResult(ALREADY, "oh, the dog sat", 8, 11, "cat", "dog")


@pytest.mark.parametrize(("start", "end"), [(-1, 0), (0, -1), (3, 2), (0, 12), (12, 12), (-3, -1)])
def test_range_outside_the_base_is_refused(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        apply_edit("the cat sat", "the cat sat", Edit(start, end, "x"))


def test_range_outside_an_empty_base_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        apply_edit("", "", Edit(0, 1, ""))


# --- rebase -------------------------------------------------------------------------------------


def test_rebase_moves_the_range_past_earlier_changes() -> None:
    base = "the cat sat on the mat"
    current = "the big dog sat on the mat"

    rebased = rebase(Edit(19, 22, "rug"), base, current)

    assert rebased == Edit(23, 26, "rug")
    assert current[23:26] == "mat"


def test_rebased_edit_gives_the_same_text_as_merging() -> None:
    base = "Право на жалбу.\n\nRregull i ri.\n"
    current = "Право на жалбу и одговор.\n\nRregull i ri.\n"
    edit = Edit(17, 24, "Rregulli")

    rebased = rebase(edit, base, current)

    assert rebased is not None
    assert apply_edit(current, current, rebased).text == apply_edit(base, current, edit).text


def test_rebase_of_a_conflicting_edit_is_none() -> None:
    assert rebase(Edit(4, 7, "dog"), "the cat sat", "the cow sat") is None


def test_rebase_of_an_edit_already_in_current_changes_nothing() -> None:
    current = "so the dog sat"

    rebased = rebase(Edit(4, 7, "dog"), "the cat sat", current)

    assert rebased == Edit(7, 10, "dog")
    assert current[rebased.start : rebased.end] == rebased.replacement


# --- apply_in_order -----------------------------------------------------------------------------


def test_apply_in_order_applies_in_document_order_whatever_the_given_order() -> None:
    base = "the cat sat on the mat"

    text, results = apply_in_order(base, [Edit(19, 22, "rug"), Edit(0, 3, "a"), Edit(4, 7, "dog")])

    assert text == "a dog sat on the rug"
    assert [r.outcome for r in results] == [APPLIED, APPLIED, APPLIED]
    assert [r.base_excerpt for r in results] == ["the", "cat", "mat"]


def test_apply_in_order_stops_at_overlapping_suggestions() -> None:
    base = "the cat sat on the mat"

    text, results = apply_in_order(
        base, [Edit(4, 11, "dog ran"), Edit(8, 14, "lay in"), Edit(19, 22, "rug")]
    )

    assert text == "the dog ran on the mat"
    assert [r.outcome for r in results] == [APPLIED, CONFLICT]
    assert results[1].text is None


def test_apply_in_order_refuses_an_overlap_the_word_diff_would_let_through() -> None:
    # The first suggestion kept "b", so the diff alone sees "b" unchanged; but the second
    # proposer did not see the first one's rewrite of "a b c".
    text, results = apply_in_order("a b c d", [Edit(0, 5, "a b X"), Edit(2, 3, "Y")])

    assert text == "a b X d"
    assert [r.outcome for r in results] == [APPLIED, CONFLICT]


def test_apply_in_order_merges_duplicate_suggestions() -> None:
    text, results = apply_in_order("the cat sat", [Edit(4, 7, "dog"), Edit(4, 7, "dog")])

    assert text == "the dog sat"
    assert [r.outcome for r in results] == [APPLIED, ALREADY]


def test_apply_in_order_two_insertions_at_one_point_conflict() -> None:
    text, results = apply_in_order("the cat sat", [Edit(4, 4, "big "), Edit(4, 4, "black ")])

    assert text == "the big cat sat"
    assert [r.outcome for r in results] == [APPLIED, CONFLICT]


def test_apply_in_order_insertion_before_a_replaced_word_merges() -> None:
    text, results = apply_in_order("the cat sat", [Edit(4, 7, "dog"), Edit(4, 4, "big ")])

    assert text == "the big dog sat"
    assert [r.outcome for r in results] == [APPLIED, APPLIED]


def test_apply_in_order_insertion_after_a_replaced_word_conflicts() -> None:
    # In document order the replacement comes first; then the words before the insertion
    # point have changed, and an insertion needs its surroundings unchanged.
    text, results = apply_in_order("the cat sat", [Edit(7, 7, " black"), Edit(4, 7, "dog")])

    assert text == "the dog sat"
    assert [r.outcome for r in results] == [APPLIED, CONFLICT]


def test_apply_in_order_of_nothing_is_the_base() -> None:
    assert apply_in_order("the cat sat", []) == ("the cat sat", [])


# --- properties ---------------------------------------------------------------------------------


@st.composite
def separate_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    """A base of distinct words and 2-3 suggestions on it, on whole words, apart.

    At least one unchanged word lies between two suggestions. Where they touch, punctuation
    repeated at the ends of both (deleting "kaz lor, " after "kas, ") may be read as either
    comma, which is a conflict (see the table: which-b-was-deleted).
    """
    units = draw(unique_old_units)
    starts = _unit_starts(units)
    cuts = sorted(draw(st.sets(st.integers(0, len(units)), min_size=4, max_size=6)))
    edits = [
        Edit(starts[a], starts[b], draw(new_text))
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
    ]
    assume(len(edits) >= 2)
    return _join(units), edits


@fast
@given(separate_edits(), st.randoms(use_true_random=False))
def test_separate_suggestions_give_one_text_in_any_order(
    drawn: tuple[str, list[Edit]], rng
) -> None:
    base, edits = drawn
    shuffled = list(edits)
    rng.shuffle(shuffled)
    expected = _splice(base, edits)

    for order in (edits, edits[::-1], shuffled):
        text = base
        for edit in order:
            result = apply_edit(base, text, edit)
            assert result.outcome is APPLIED
            assert result.text is not None
            text = result.text
        assert text == expected

    text, results = apply_in_order(base, shuffled)
    assert text == expected
    assert [r.outcome for r in results] == [APPLIED] * len(edits)


@st.composite
def edit_on_tokens(draw: st.DrawFn, *, allow_insertion: bool) -> tuple[str, Edit]:
    """A base in which words may repeat, and an edit on token boundaries."""
    base = _join(draw(old_units))
    boundaries = _token_boundaries(base)
    start, end = sorted(draw(st.lists(st.sampled_from(boundaries), min_size=2, max_size=2)))
    replacement = draw(new_text)
    assume(start < end or (allow_insertion and replacement))
    return base, Edit(start, end, replacement)


@fast
@given(edit_on_tokens(allow_insertion=True))
def test_edit_on_unchanged_text_applies_exactly(drawn: tuple[str, Edit]) -> None:
    base, edit = drawn

    result = _merge(base, base, edit.start, edit.end, edit.replacement)

    assert result.outcome is APPLIED
    assert result.text == base[: edit.start] + edit.replacement + base[edit.end :]
    assert (result.start, result.end) == (edit.start, edit.end)


@fast
@given(edit_on_tokens(allow_insertion=True))
def test_identical_changes_merge_cleanly(drawn: tuple[str, Edit]) -> None:
    base, edit = drawn
    current = base[: edit.start] + edit.replacement + base[edit.end :]

    result = _merge(base, current, edit.start, edit.end, edit.replacement)

    assert result.outcome is ALREADY
    assert result.text == current
    assert result.current_excerpt == edit.replacement


@fast
@given(edit_on_tokens(allow_insertion=False), st.data())
def test_changed_words_in_the_range_always_conflict(drawn: tuple[str, Edit], data) -> None:
    base, edit = drawn
    inside = [at for at in _token_boundaries(base) if edit.start <= at <= edit.end]
    a, b = sorted(data.draw(st.lists(st.sampled_from(inside), min_size=2, max_size=2)))
    # At least one word of the range is replaced by other words or deleted.
    assume(any(char.isalpha() for char in base[a:b]))
    current = base[:a] + data.draw(new_text) + base[b:]
    mine = base[: edit.start] + edit.replacement + base[edit.end :]

    result = _merge(base, current, edit.start, edit.end, edit.replacement)

    if current == mine:
        assert (result.outcome, result.text) == (ALREADY, current)
    else:
        assert (result.outcome, result.text) == (CONFLICT, None)


@st.composite
def edit_and_change_elsewhere(draw: st.DrawFn) -> tuple[str, Edit, Edit]:
    """A base of distinct words, a suggestion and a change made meanwhile to other words.

    At least one unchanged word lies between them (for changes touching the range, where
    repeated punctuation can make the diff ambiguous, see the table above).
    """
    units = draw(unique_old_units)
    starts = _unit_starts(units)
    a, b = sorted(draw(st.lists(st.integers(0, len(units)), min_size=2, max_size=2, unique=True)))
    edit = Edit(starts[a], starts[b], draw(new_text))
    sides = [side for side in (range(a), range(b + 1, len(units) + 1)) if side]
    assume(sides)
    side = draw(st.sampled_from(sides))
    c, d = sorted(draw(st.lists(st.sampled_from(side), min_size=2, max_size=2)))
    other = Edit(starts[c], starts[d], draw(new_text))
    assume(c < d or other.replacement)
    return _join(units), edit, other


@fast
@given(edit_and_change_elsewhere())
def test_changes_elsewhere_are_kept_and_do_not_block(drawn: tuple[str, Edit, Edit]) -> None:
    base, edit, other = drawn
    current = _splice(base, [other])

    result = _merge(base, current, edit.start, edit.end, edit.replacement)

    assert result.outcome is APPLIED
    assert result.text == _splice(base, [edit, other])
    rebased = rebase(edit, base, current)
    assert rebased is not None
    assert _splice(current, [rebased]) == result.text


@st.composite
def overlapping_edits(draw: st.DrawFn) -> tuple[str, Edit, Edit]:
    base = _join(draw(old_units))
    boundaries = _token_boundaries(base)
    a, b, c, d = sorted(draw(st.lists(st.sampled_from(boundaries), min_size=4, max_size=4)))
    # [a, c) and [b, d) overlap when b < c; either may be first in document order.
    assume(b < c)
    first, second = Edit(a, c, draw(new_text)), Edit(b, d, draw(new_text))
    if draw(st.booleans()):
        first, second = Edit(a, d, first.replacement), Edit(b, c, second.replacement)
    return base, first, second


@fast
@given(overlapping_edits())
def test_overlapping_suggestions_are_never_applied_on_top(
    drawn: tuple[str, Edit, Edit],
) -> None:
    base, *edits = drawn
    # Document order; for equal ranges, the order given.
    first, second = sorted(edits[::-1], key=lambda e: (e.start, e.end))  # noqa: C415

    text, results = apply_in_order(base, edits[::-1])

    assert text == _splice(base, [first])
    assert results[0].outcome is APPLIED
    if first == second:
        assert results[1].outcome is ALREADY
    else:
        assert (results[1].outcome, results[1].text) == (CONFLICT, None)


def test_splitting_a_paragraph_does_not_block_the_rest_of_it() -> None:
    # opcodes() alone matches the new blank line with the old one and reports "kas kaz lor"
    # as rewritten; the merge diffs such regions again, token by token.
    base = "kar kas kaz lor.\n\nlos "
    current = "KAR.\n\nkas kaz los "  # "kar " split off as a paragraph, "lor.\n\n" deleted

    result = apply_edit(base, current, Edit(4, 8, ""))

    assert (result.outcome, result.text) == (APPLIED, "KAR.\n\nkaz los ")
