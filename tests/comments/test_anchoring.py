import itertools
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from comments.anchoring import (
    CONTEXT,
    Anchor,
    AnchorError,
    Outcome,
    Quote,
    Reanchored,
    describe,
    reanchor,
    resolve_selection,
)

# Quoted words, the words around them and the words edits bring in come from disjoint
# vocabularies, so that a diff can only align a quoted word with itself: the properties are
# about anchoring, not about ambiguities of the diff.
_FILLER = [a + b for a, b in itertools.product(["ka", "lo", "mi", "ne", "të", "ça"], "rstvz")]
_QUOTED = [a + b for a, b in itertools.product(["гра", "по", "ли", "ци", "ја"], "нјкд")]
_NEW_WORDS = [word.upper() for word in _FILLER]

filler = st.lists(st.sampled_from(_FILLER), min_size=1, max_size=12)
unique_filler = st.lists(st.sampled_from(_FILLER), min_size=2, max_size=20, unique=True)
many_words = st.lists(st.sampled_from(_FILLER), min_size=8, max_size=20)
quoted = st.lists(st.sampled_from(_QUOTED), min_size=1, max_size=6, unique=True)

fast = settings(max_examples=60, deadline=None)


def _on(text: str, phrase: str, occurrence: int = 0) -> Anchor:
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(phrase, at + 1)
    return describe(text, at, at + len(phrase))


def _one(old: str, new: str, anchor: Anchor) -> tuple[Outcome, str | None]:
    [result] = reanchor(old, new, [anchor])
    if result.anchor is None:
        return result.outcome, None
    start, end = result.anchor.start, result.anchor.end
    assert new[start:end] == result.anchor.quote.exact
    assert result.anchor == describe(new, start, end)
    return result.outcome, result.anchor.quote.exact


# --- describe -----------------------------------------------------------------------------------


def test_describe_quotes_the_selection_with_its_context() -> None:
    text = "x" * 40 + "selected" + "y" * 40

    anchor = describe(text, 40, 48)

    assert anchor == Anchor(40, 48, Quote("selected", "x" * CONTEXT, "y" * CONTEXT))


def test_describe_at_the_edges_of_the_text_has_short_context() -> None:
    assert describe("Only words", 0, 4).quote == Quote("Only", "", " words")
    assert describe("Only words", 5, 10).quote == Quote("words", "Only ", "")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (-1, 3, "outside"),
        (3, 3, "outside"),
        (5, 3, "outside"),
        (0, 99, "outside"),
        (5, 6, "not only spaces"),
        (5, 7, "not only spaces"),
    ],
)
def test_describe_refuses_bad_selections(start: int, end: int, message: str) -> None:
    with pytest.raises(AnchorError, match=message):
        describe("Some \n text", start, end)


def test_describe_refuses_overlong_selections() -> None:
    with pytest.raises(AnchorError, match="at most 20,000"):
        describe("a" * 20_001, 0, 20_001)


# --- resolve_selection --------------------------------------------------------------------------

_TWICE = "The police decide. Appeals go to the court. The police decide again."


def test_resolve_selection_trusts_offsets_that_point_at_the_text() -> None:
    at = _TWICE.rindex("police")

    anchor = resolve_selection(_TWICE, exact="police", start=at, end=at + 6)

    assert anchor == describe(_TWICE, at, at + 6)


def test_resolve_selection_finds_the_text_when_offsets_are_off() -> None:
    anchor = resolve_selection(_TWICE, exact="court", start=3, end=8)

    assert anchor.start == _TWICE.index("court")


def test_resolve_selection_uses_context_to_pick_an_occurrence() -> None:
    anchor = resolve_selection(_TWICE, exact="police", prefix="court. The ", suffix=" decide again")

    assert anchor.start == _TWICE.rindex("police")


def test_resolve_selection_breaks_a_context_tie_by_distance_from_the_offsets() -> None:
    text = "same words here. same words here."

    anchor = resolve_selection(text, exact="same words", start=16, end=26)

    assert anchor.start == 17


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({"exact": ""}, "not only spaces"),
        ({"exact": " \n "}, "not only spaces"),
        ({"exact": "x" * 20_001}, "at most 20,000"),
        ({"exact": "tribunal"}, "not in this chapter"),
        ({"exact": "The police decide."}, "not in this chapter"),
        ({"exact": "police"}, "several times"),
        ({"exact": "police", "prefix": "unrelated ", "suffix": " words"}, "several times"),
    ],
)
def test_resolve_selection_refuses(selection: dict[str, str], message: str) -> None:
    text = _TWICE.replace("decide.", "decide")
    with pytest.raises(AnchorError, match=message):
        resolve_selection(text, **selection)


@fast
@given(st.text(min_size=1, max_size=80), st.data())
def test_resolve_selection_returns_what_describe_described(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assume(not text[start:end].isspace())
    anchor = describe(text, start, end)
    quote = anchor.quote

    assert resolve_selection(text, exact=quote.exact, start=start, end=end) == anchor
    try:
        found = resolve_selection(text, exact=quote.exact, prefix=quote.prefix, suffix=quote.suffix)
    except AnchorError:
        assert text.count(quote.exact) > 1
    else:
        assert found.quote.exact == quote.exact
        if text.count(quote.exact) == 1:
            assert found == anchor


# --- reanchor: table of edits -------------------------------------------------------------------

_TEXT = (
    "Chapter 4. Border crossings\n"
    "At every crossing the border police check the documents of each traveller. "
    "Travellers without documents are referred to the asylum office.\n"
    "Гранична полиција је надлежна за контролу. Policia e Kufirit, çështje e rëndësishme.\n"
    "Appeals go to the court within thirty days."
)
_MOVED_PARAGRAPH = (
    "Chapter 4. Border crossings\n"
    "Гранична полиција је надлежна за контролу. Policia e Kufirit, çështje e rëndësishme.\n"
    "Appeals go to the court within thirty days.\n"
    "At every crossing the border police check the documents of each traveller. "
    "Travellers without documents are referred to the asylum office."
)


@pytest.mark.parametrize(
    ("phrase", "new", "outcome", "exact"),
    [
        ("border police", _TEXT, Outcome.KEPT, "border police"),
        ("border police", _TEXT + "\nA new last line.", Outcome.KEPT, "border police"),
        ("border police", "Preface.\n" + _TEXT, Outcome.MOVED, "border police"),
        (
            "border police",
            _TEXT.replace("every crossing", "each crossing"),
            Outcome.MOVED,
            "border police",
        ),
        (
            "border police check",
            _TEXT.replace("police check", "guards check"),
            Outcome.EDITED,
            "border guards check",
        ),
        (
            "border police check the documents",
            _TEXT.replace("the documents of", "the papers of"),
            Outcome.EDITED,
            "border police check the papers",
        ),
        (
            "Гранична полиција",
            _TEXT.replace("Гранична полиција", "Гранична служба"),
            Outcome.EDITED,
            "Гранична служба",
        ),
        (
            "Policia e Kufirit",
            _TEXT.replace("Policia e Kufirit", "Policia e Shtetit"),
            Outcome.EDITED,
            "Policia e Shtetit",
        ),
        (
            "traveller",
            _TEXT.replace("each traveller", "each travellers"),
            Outcome.EDITED,
            "travellers",
        ),
        (
            "border police check",
            _TEXT.replace("police check", "police  check"),
            Outcome.EDITED,
            "border police  check",
        ),
        ("Chapter", _TEXT.replace("Chapter", "Section"), Outcome.ORPHANED, None),
        ("Chapter 4", _TEXT.replace("Chapter 4", "Chapter 5"), Outcome.EDITED, "Chapter 5"),
        ("thirty days.", _TEXT.replace("thirty days", "30 days"), Outcome.EDITED, "30 days."),
        ("border police", _TEXT.replace("the border police ", ""), Outcome.ORPHANED, None),
        (
            "Travellers without documents are referred to the asylum office.",
            _TEXT.replace(
                "Travellers without documents are referred to the asylum office.",
                "Nobody may be sent back at the border without a hearing.",
            ),
            Outcome.ORPHANED,
            None,
        ),
        ("asylum", _MOVED_PARAGRAPH, Outcome.MOVED, "asylum"),
        (
            "At every crossing the border police check the documents of each traveller.",
            _MOVED_PARAGRAPH,
            Outcome.MOVED,
            "At every crossing the border police check the documents of each traveller.",
        ),
        ("within thirty days", "", Outcome.ORPHANED, None),
        (",", _TEXT.replace("Kufirit,", "Kufirit;"), Outcome.ORPHANED, None),
        (".", _TEXT.replace("Chapter 4.", "Chapter 4:"), Outcome.ORPHANED, None),
    ],
    ids=[
        "nothing-changed",
        "text-added-after",
        "text-typed-before",
        "edit-in-context",
        "one-word-edited",
        "last-word-edited",
        "cyrillic-word-edited",
        "albanian-word-edited",
        "typo-in-one-word-quote",
        "whitespace-only-edit",
        "one-word-quote-replaced",
        "quote-at-text-start-edited",
        "quote-at-text-end-edited",
        "quote-deleted",
        "sentence-rewritten",
        "paragraph-moved",
        "whole-sentence-moved",
        "everything-deleted",
        "one-character-replaced",
        "punctuation-replaced",
    ],
)
def test_reanchor(phrase: str, new: str, outcome: Outcome, exact: str | None) -> None:
    assert _one(_TEXT, new, _on(_TEXT, phrase)) == (outcome, exact)


def test_text_typed_before_moves_the_offsets_by_its_length() -> None:
    anchor = _on(_TEXT, "asylum office")
    [result] = reanchor(_TEXT, "Read this first. " + _TEXT, [anchor])

    assert result.outcome == Outcome.MOVED
    assert result.anchor is not None
    assert (result.anchor.start, result.anchor.end) == (anchor.start + 17, anchor.end + 17)
    assert result.anchor.quote.prefix.endswith("to the ")


def test_a_repeated_phrase_never_captures_a_thread_whose_phrase_was_deleted() -> None:
    old = "Call the border police. Wait. Call the border police. Go. Call the border police."
    anchor = _on(old, "border police", occurrence=1)
    new = "Call the border police. Wait. Call. Go. Call the border police."

    assert _one(old, new, anchor) == (Outcome.ORPHANED, None)


def test_a_repeated_phrase_never_captures_a_thread_whose_phrase_was_edited() -> None:
    old = "Call the border police. Then wait. Call the border police. Go. Call the border police."
    anchor = _on(old, "border police", occurrence=1)
    new = old.replace("wait. Call the border police", "wait. Call the border guards")

    [result] = reanchor(old, new, [anchor])

    assert result.outcome == Outcome.EDITED
    assert result.anchor is not None
    assert result.anchor.start == anchor.start
    assert result.anchor.quote.exact == "border guards"


def test_a_phrase_pasted_into_new_text_is_not_taken_without_its_context() -> None:
    old = "Intro text here.\nThe border police decide at the crossing today.\nEnd."
    anchor = _on(old, "border police")
    new = "Intro text here.\nEnd.\nSomething else: border police are everywhere in this country."

    assert _one(old, new, anchor) == (Outcome.ORPHANED, None)


def test_a_short_heading_moved_elsewhere_is_orphaned_as_too_common_to_follow() -> None:
    old = "Summary\nFirst paragraph of the chapter.\nSecond paragraph of it.\n"
    anchor = _on(old, "Summary")
    new = "First paragraph of the chapter.\nSecond paragraph of it.\nSummary\n"

    assert _one(old, new, anchor) == (Outcome.ORPHANED, None)


def test_a_word_shared_by_two_unrelated_paragraphs_does_not_carry_a_thread() -> None:
    old = "Intro.\nThe ministry publishes yearly statistics about migration routes.\nEnd."
    anchor = _on(old, "statistics")
    new = "Intro.\nVolunteers gather statistics whenever officials refuse cooperation.\nEnd."

    assert _one(old, new, anchor) == (Outcome.ORPHANED, None)


def test_duplicate_anchors_get_the_same_result() -> None:
    anchor = _on(_TEXT, "border police check")
    new = _TEXT.replace("police check", "guards check")

    first, second = reanchor(_TEXT, new, [anchor, anchor])

    assert first == second
    assert first.outcome == Outcome.EDITED


def test_an_anchor_whose_offsets_went_stale_is_found_by_its_quote() -> None:
    good = _on(_TEXT, "asylum office")
    stale = Anchor(good.start + 3, good.end + 3, good.quote)

    [result] = reanchor(_TEXT, "New. " + _TEXT, [stale])

    assert result.outcome == Outcome.MOVED
    assert result.anchor is not None
    assert result.anchor.start == good.start + 5


def test_an_anchor_whose_quote_is_not_in_the_old_text_is_orphaned() -> None:
    foreign = Anchor(0, 5, Quote("zebra", "", " crossing"))

    assert reanchor(_TEXT, _TEXT, [foreign])[0].outcome == Outcome.ORPHANED


def test_no_anchors_no_results() -> None:
    assert reanchor(_TEXT, "", []) == []


# --- reanchor: properties -----------------------------------------------------------------------


@st.composite
def text_with_quote(draw: st.DrawFn) -> tuple[list[str], int, int]:
    """Words, each once, and the index range of the quoted words among them."""
    around, quote = draw(unique_filler), draw(quoted)
    split = draw(st.integers(0, len(around)))
    before, after = around[:split], around[split:]
    return [*before, *quote, *after], len(before), len(before) + len(quote)


def _span(words: list[str], first: int, stop: int) -> tuple[int, int]:
    start = len(" ".join(words[:first])) + (1 if first else 0)
    return start, start + len(" ".join(words[first:stop]))


@fast
@given(text_with_quote())
def test_unchanged_text_keeps_every_anchor(case: tuple[list[str], int, int]) -> None:
    words, first, stop = case
    text = " ".join(words)
    anchor = describe(text, *_span(words, first, stop))

    assert reanchor(text, text, [anchor, anchor]) == [reanchor(text, text, [anchor])[0]] * 2
    assert _one(text, text, anchor) == (Outcome.KEPT, anchor.quote.exact)


word_edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace"]),
        st.integers(0, 40),
        st.sampled_from(_NEW_WORDS),
    ),
    min_size=1,
    max_size=4,
)


def _edit_around(
    words: list[str], first: int, stop: int, edits: list[tuple[str, int, str]], sides: str
) -> tuple[list[str], int, int]:
    """Apply word edits outside words[first:stop] (on the given sides); where the quote went."""
    for kind, at, word in edits:
        at %= len(words) + 1
        before = at < first or (kind == "insert" and at == first)
        after = at >= stop and (kind == "insert" or at < len(words))
        if not ((before and "before" in sides) or (after and "after" in sides)):
            continue
        if kind == "insert":
            words = [*words[:at], word, *words[at:]]
        else:
            words = [*words[:at], *([word] if kind == "replace" else []), *words[at + 1 :]]
        if before:
            shift = {"insert": 1, "delete": -1, "replace": 0}[kind]
            first, stop = first + shift, stop + shift
    return words, first, stop


@fast
@given(text_with_quote(), word_edits, st.sampled_from(["before", "after"]))
def test_edits_on_one_side_of_the_quote_keep_it_exact(
    case: tuple[list[str], int, int], edits: list[tuple[str, int, str]], side: str
) -> None:
    words, first, stop = case
    old = " ".join(words)
    anchor = describe(old, *_span(words, first, stop))
    words, first, stop = _edit_around(words, first, stop, edits, side)
    new = " ".join(words)

    [result] = reanchor(old, new, [anchor])

    assert result.outcome in {Outcome.KEPT, Outcome.MOVED}
    assert result.anchor is not None
    assert result.anchor.quote.exact == anchor.quote.exact
    assert (result.anchor.start, result.anchor.end) == _span(words, first, stop)


@fast
@given(text_with_quote(), word_edits)
def test_edits_around_the_quote_keep_it_exact_or_orphan_it_if_both_sides_changed(
    case: tuple[list[str], int, int], edits: list[tuple[str, int, str]]
) -> None:
    words, first, stop = case
    old = " ".join(words)
    anchor = describe(old, *_span(words, first, stop))
    words, first, stop = _edit_around(words, first, stop, edits, "before and after")
    new = " ".join(words)
    expected = describe(new, *_span(words, first, stop))

    [result] = reanchor(old, new, [anchor])

    if result.outcome == Outcome.ORPHANED:
        # Only when the context changed on both sides might the quote be a coincidence.
        assert expected.quote.prefix != anchor.quote.prefix
        assert expected.quote.suffix != anchor.quote.suffix
    else:
        assert result.outcome in {Outcome.KEPT, Outcome.MOVED}
        assert result.anchor == expected


@fast
@given(text_with_quote(), st.data())
def test_text_typed_before_the_quote_moves_it_by_the_typed_length(
    case: tuple[list[str], int, int], data: st.DataObject
) -> None:
    words, first, stop = case
    old = " ".join(words)
    anchor = describe(old, *_span(words, first, stop))
    at = _span(words, data.draw(st.integers(0, first)), first)[0]
    typed = " ".join(data.draw(filler)) + data.draw(st.sampled_from([" ", "\n", ". "]))
    new = old[:at] + typed + old[at:]

    [result] = reanchor(old, new, [anchor])

    assert result.outcome == Outcome.MOVED
    assert result.anchor is not None
    assert result.anchor.start == anchor.start + len(typed)
    assert result.anchor.quote.exact == anchor.quote.exact


@fast
@given(text_with_quote(), st.data())
def test_a_one_word_edit_inside_the_quote_is_edited_with_the_new_words(
    case: tuple[list[str], int, int], data: st.DataObject
) -> None:
    words, first, stop = case
    assume(stop - first >= 2)
    old = " ".join(words)
    anchor = describe(old, *_span(words, first, stop))
    at = data.draw(st.integers(first, stop - 1))
    words[at] = data.draw(st.sampled_from(_FILLER))
    new = " ".join(words)

    [result] = reanchor(old, new, [anchor])

    assert result.outcome == Outcome.EDITED
    assert result.anchor is not None
    assert (result.anchor.start, result.anchor.end) == _span(words, first, stop)
    assert result.anchor.quote.exact == " ".join(words[first:stop])


@fast
@given(text_with_quote())
def test_deleting_the_quote_orphans_it(case: tuple[list[str], int, int]) -> None:
    words, first, stop = case
    old = " ".join(words)
    anchor = describe(old, *_span(words, first, stop))
    new = " ".join(words[:first] + words[stop:])

    assert _one(old, new, anchor) == (Outcome.ORPHANED, None)


@fast
@given(
    quoted,
    st.lists(filler, min_size=4, max_size=4),
    st.integers(1, 2),
    st.sampled_from(["delete", "edit-one-word", "rewrite"]),
    st.sampled_from(_FILLER),
)
def test_the_same_phrase_elsewhere_never_captures_the_thread(
    phrase: list[str], fillers: list[list[str]], thread_on: int, edit: str, word: str
) -> None:
    # filler PHRASE filler PHRASE filler PHRASE filler, the thread on the 2nd or 3rd phrase.
    parts = [fillers[0], phrase, fillers[1], phrase, fillers[2], phrase, fillers[3]]
    old = " ".join(w for part in parts for w in part)
    anchor = _on(old, " ".join(phrase), occurrence=thread_on)
    mine = 1 + 2 * thread_on
    if edit == "delete":
        parts[mine] = []
    elif edit == "edit-one-word":
        parts[mine] = [word, *phrase[1:]]
    else:
        parts[mine] = [word] * len(phrase)
    new = " ".join(w for part in parts for w in part)

    mine_starts = len(" ".join(w for part in parts[:mine] for w in part)) + 1

    [result] = reanchor(old, new, [anchor])

    if edit == "edit-one-word" and len(phrase) >= 2:
        assert result.outcome == Outcome.EDITED
        assert result.anchor is not None
        assert result.anchor.start == mine_starts
        assert result.anchor.quote.exact == " ".join(parts[mine])
    else:
        assert result == Reanchored(Outcome.ORPHANED, None)


@fast
@given(
    st.lists(many_words, min_size=3, max_size=6),
    quoted,
    st.data(),
)
def test_a_paragraph_moved_elsewhere_keeps_its_thread(
    paragraphs: list[list[str]], phrase: list[str], data: st.DataObject
) -> None:
    source = data.draw(st.integers(0, len(paragraphs) - 1))
    inside = data.draw(st.integers(0, len(paragraphs[source])))
    paragraphs[source][inside:inside] = phrase
    old = "\n".join(" ".join(p) for p in paragraphs)
    anchor = _on(old, " ".join(phrase))
    moved = paragraphs.pop(source)
    target = data.draw(st.integers(0, len(paragraphs)).filter(lambda t: t != source))
    paragraphs.insert(target, moved)
    new = "\n".join(" ".join(p) for p in paragraphs)

    [result] = reanchor(old, new, [anchor])

    assert result.outcome == Outcome.MOVED
    assert result.anchor is not None
    assert result.anchor.quote.exact == anchor.quote.exact
    paragraph_start = len("\n".join(" ".join(p) for p in paragraphs[:target])) + bool(target)
    assert result.anchor.start - paragraph_start == anchor.start - old.index(" ".join(moved))


# --- speed --------------------------------------------------------------------------------------


def _chapter(rng: random.Random, words: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzçëшђ"
    vocabulary = [
        "".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(3000)
    ]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    paragraphs = []
    while words > 0:
        size = min(words, rng.randint(35, 100))
        paragraphs.append(" ".join(rng.choices(vocabulary, weights, k=size)) + ".")
        words -= size
    return "\n\n".join(paragraphs)


def twenty_thousand_words_and_300_threads() -> tuple[str, str, list[Anchor]]:
    """A 20,000-word text, 300 anchors on it, and the text after ten quoted words were replaced
    and paragraphs added, deleted and moved (the bench times re-anchoring them)."""
    rng = random.Random(7)
    old = _chapter(rng, 20_000)
    word_starts = [0, *(at + 1 for at, char in enumerate(old) if char == " ")]
    # Threads on three words each; ten of them get their middle word replaced.
    anchors = []
    for n in sorted(rng.sample(range(len(word_starts) - 4), 300)):
        anchors.append(describe(old, word_starts[n], word_starts[n + 3] - 1))
    new = old
    for anchor in anchors[::30][::-1]:
        middle = old.index(" ", anchor.start) + 1
        new = new[:middle] + "CHANGED" + new[old.index(" ", middle) :]
    # A paragraph added, one deleted, one moved.
    paragraphs = new.split("\n\n")
    paragraphs.insert(250, paragraphs.pop(40))
    del paragraphs[100]
    new = "A new opening paragraph.\n\n" + "\n\n".join(paragraphs)
    return old, new, anchors


def test_reanchoring_300_threads_in_a_20000_word_chapter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # How fast is bench/run.py's business (text_reanchor_300_ms).
    old, new, anchors = twenty_thousand_words_and_300_threads()

    results = reanchor(old, new, anchors)

    assert len(results) == 300
    assert sum(r.outcome == Outcome.MOVED for r in results) > 250
    assert sum(r.outcome == Outcome.EDITED for r in results) >= 9
    assert capsys.readouterr() == ("", "")


# --- Points: insertions proposed at the cursor have no words of their own


POINT_TEXT = "Officers record the serial number. They check the calibre of the weapon."


def point_at(text: str, at: int) -> Anchor:
    return Anchor(at, at, Quote("", text[max(0, at - CONTEXT) : at], text[at : at + CONTEXT]))


def test_a_point_follows_text_typed_before_it() -> None:
    at = POINT_TEXT.index(" They")
    new = "Border " + POINT_TEXT
    (result,) = reanchor(POINT_TEXT, new, [point_at(POINT_TEXT, at)])
    assert result.outcome == Outcome.MOVED
    assert result.anchor is not None
    assert result.anchor.start == result.anchor.end == at + len("Border ")
    assert new[: result.anchor.start].endswith("serial number.")


def test_a_point_stays_when_the_text_elsewhere_changes() -> None:
    at = POINT_TEXT.index(" They")
    new = POINT_TEXT.replace("calibre", "make and calibre")
    (result,) = reanchor(POINT_TEXT, new, [point_at(POINT_TEXT, at)])
    assert result.outcome == Outcome.KEPT
    assert result.anchor is not None and result.anchor.start == at


@pytest.mark.parametrize(
    "new",
    [
        POINT_TEXT.replace("number. They", "number; they"),  # the words at the point changed
        POINT_TEXT.replace("number.", "number. Also the make."),  # text inserted right there
        POINT_TEXT.replace(" They check", ""),  # the words after it are gone
    ],
)
def test_a_point_whose_surroundings_changed_is_orphaned(new: str) -> None:
    at = POINT_TEXT.index(" They")
    (result,) = reanchor(POINT_TEXT, new, [point_at(POINT_TEXT, at)])
    assert result.outcome == Outcome.ORPHANED


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["arm", "border", "check", "Ђорђе", "çështje", "the", "."]),
        min_size=6,
        max_size=40,
    ),
    data=st.data(),
)
def test_a_point_is_never_placed_between_other_words(words: list[str], data: st.DataObject) -> None:
    old = " ".join(words)
    at = data.draw(st.integers(0, len(old)))
    i = data.draw(st.integers(0, len(old)))
    j = data.draw(st.integers(i, min(len(old), i + 12)))
    new = old[:i] + data.draw(st.sampled_from(["", "x", "new words "])) + old[j:]
    anchor = point_at(old, at)
    (result,) = reanchor(old, new, [anchor])
    if result.anchor is not None:
        placed = result.anchor.start
        assert new[:placed].endswith(anchor.quote.prefix[-8:])
        assert new[placed:].startswith(anchor.quote.suffix[:8])
