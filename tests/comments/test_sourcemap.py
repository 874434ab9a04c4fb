import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapters.rendering import plain_text, render_markdown
from comments.sourcemap import SourceMapError, SourceRange, _chart, source_range

DOC = """# Title here

Plain words and **bold text** and *em* and [link text](http://x.org "t") more.
Second line with `code` and &amp; and \\* star.

- item one
- item two

| a | b |
|---|---|
| cell one | cell two |

Footnote here[^1].

[^1]: The note text.

Гранична полиција и në kufi të Shqipërisë.

Please repeat me once. Then repeat me twice.
"""


def _text(source: str) -> str:
    return plain_text(render_markdown(source))


def _select(source: str, exact: str, occurrence: int = 0) -> SourceRange:
    text = _text(source)
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(exact, at + 1)
    return source_range(
        source,
        exact=exact,
        prefix=text[max(0, at - 32) : at],
        suffix=text[at + len(exact) : at + len(exact) + 32],
        start=at,
    )


@pytest.mark.parametrize(
    ("exact", "expected", "whole_block"),
    [
        ("Plain words", "Plain words", False),
        ("bold", "bold", False),
        ("bold text and", "Plain words and **bold text**", True),
        ("link text more", "Plain words and **bold text**", True),
        ("link", "link", False),
        ("Title", "Title", False),
        ("item two", "item two", False),
        ("cell one", "cell one", False),
        ("cell one\ncell two", "cell one | cell two", True),
        ("and & and", "Plain words and **bold text**", True),
        ("more.\nSecond", "more.\nSecond", False),
        ("The note", "The note", False),
        ("полиција и në", "полиција и në", False),
        ("item one\nitem two", "item one\n- item two", True),
        ("star.\n\nitem one", "Plain words", True),
    ],
)
def test_selection_maps_to_source(exact: str, expected: str, whole_block: bool) -> None:
    found = _select(DOC, exact)

    assert found.whole_block is whole_block
    assert DOC[found.start : found.end].startswith(expected)
    if not whole_block:
        assert DOC[found.start : found.end] == exact


def test_widened_paragraph_is_the_whole_inline_content() -> None:
    found = _select(DOC, "bold text and")

    assert DOC[found.start : found.end] == (
        'Plain words and **bold text** and *em* and [link text](http://x.org "t") more.\n'
        "Second line with `code` and &amp; and \\* star."
    )


def test_multi_block_selection_covers_both_blocks() -> None:
    found = _select(DOC, "Title here\nPlain")

    assert found.whole_block
    assert DOC[found.start : found.end].startswith("Title here\n\nPlain words")
    assert DOC[found.start : found.end].endswith("\\* star.")


def test_repeated_phrase_is_told_apart_by_context_and_by_start() -> None:
    second = _select(DOC, "repeat me", occurrence=0)
    text = _text(DOC)
    at = text.index("repeat me")

    by_start = source_range(DOC, exact="repeat me", start=at)
    by_context = source_range(DOC, exact="repeat me", prefix="once. Then ", suffix=" twice.")

    assert by_start == second
    assert DOC[by_context.start : by_context.end] == "repeat me"
    assert by_context.start > by_start.start


def test_ambiguous_selection_is_refused() -> None:
    with pytest.raises(SourceMapError, match="ambiguous"):
        source_range(DOC, exact="repeat me")


def test_text_not_in_chapter_is_refused() -> None:
    with pytest.raises(SourceMapError, match="not in this chapter"):
        source_range(DOC, exact="absent words")


def test_crlf_source_gives_offsets_in_the_original() -> None:
    source = "First para.\r\n\r\nSecond **para** here.\r\n"

    found = source_range(source, exact="Second")
    widened = source_range(source, exact="para here")

    assert source[found.start : found.end] == "Second"
    assert source[widened.start : widened.end] == "Second **para** here."


def test_map_reproduces_the_rendered_plain_text() -> None:
    assert _chart(DOC).text == _text(DOC)


_WORDS_OF_THE_LONG_CHAPTER = ["alpha", "beta", "gamma", "delta", "kufi", "полиција"]


def twenty_thousand_words() -> tuple[str, str, str]:
    """About 20,000 words in 300 paragraphs, and two selections in it (the bench times these)."""
    words = _WORDS_OF_THE_LONG_CHAPTER
    paragraphs = [
        " ".join(
            f"**{words[(i + j) % 6]}**" if j % 9 == 0 else f"{words[(i * j) % 6]}{i}x{j}"
            for j in range(67)
        )
        for i in range(300)
    ]
    first = f"{words[150 % 6]}150x1 {words[300 % 6]}150x2 "
    again = f"{words[(299 * 5) % 6]}299x5 "
    return "\n\n".join(paragraphs), first, again


def test_twenty_thousand_words_are_charted_once_for_many_selections() -> None:
    # How fast is bench/run.py's business (sourcemap_first_ms, sourcemap_again_ms).
    source, first, again = twenty_thousand_words()
    _chart.cache_clear()

    for exact in (first, again):
        found = source_range(source, exact=exact)
        assert source[found.start : found.end] == exact and not found.whole_block

    assert (_chart.cache_info().misses, _chart.cache_info().hits) == (1, 1)


# --- Properties --------------------------------------------------------------------------------

_WORDS = ["ka", "lo", "mi", "ne", "të", "ça", "гра", "по", "ли", "ци"]
word = st.sampled_from(_WORDS)


@st.composite
def inline(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        chunk = " ".join(draw(st.lists(word, min_size=1, max_size=3)))
        style = draw(st.sampled_from(["", "", "**", "*", "_", "link"]))
        parts.append(f"[{chunk}](/x)" if style == "link" else f"{style}{chunk}{style}")
    return " ".join(parts)


@st.composite
def document(draw: st.DrawFn) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            blocks.append(draw(inline()))
        else:
            blocks.append("\n".join(f"- {draw(inline())}" for _ in range(draw(st.integers(1, 3)))))
    return "\n\n".join(blocks)


@settings(max_examples=150, deadline=None)
@given(source=document(), data=st.data())
def test_replacing_the_span_only_changes_the_selected_region(
    source: str, data: st.DataObject
) -> None:
    text = _text(source)
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    first = data.draw(st.integers(0, len(spans) - 1))
    last = data.draw(st.integers(first, min(first + 4, len(spans) - 1)))
    at, end = spans[first][0], spans[last][1]
    exact = text[at:end]

    try:
        found = source_range(
            source,
            exact=exact,
            prefix=text[max(0, at - 32) : at],
            suffix=text[end : end + 32],
            start=at,
        )
    except SourceMapError as error:  # a selection of generated text only, never here
        pytest.fail(str(error))

    assert 0 <= found.start < found.end <= len(source)
    original = source[found.start : found.end]
    assert _text(source[: found.start] + original + source[found.end :]) == text
    if not found.whole_block:
        assert original == exact
    target = [w for w in _WORDS if w in original]
    changed = original.replace(target[0], "ZZ", 1)
    edited = _text(source[: found.start] + changed + source[found.end :])
    # Text before the selection's block(s) and after them is unchanged.
    head = len(_text(source[: found.start]).rstrip())
    head = min(head, at)
    chart = _chart(source)
    inside = [i for i, p in enumerate(chart.src_at) if 0 <= p < found.end]
    tail = len(text) - max(inside[-1] + 1, end)
    assert edited[:head] == text[:head]
    assert edited[len(edited) - tail :] == text[len(text) - tail :] or tail == 0
    assert edited != text
