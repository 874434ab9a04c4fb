"""comments.tracked, the pure part: the chapter as proposed, marks, previews, points, sections."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chapters import rendering
from comments import sourcemap, tracked
from comments.merging import Edit, apply_edit

SOURCE = (
    "Intro text.\n\n"
    "## Legal basis\n\n"
    "The Firearms *Protocol* obliges States to mark every firearm.\n\n"
    "### Marking\n\n"
    "Marks are stamped.\n\n"
    "## Practice\n\n"
    "Officers record the serial number, the make and the calibre.\n"
)


def text_of(source: str) -> str:
    return rendering.plain_text(rendering.render_markdown(source))


@pytest.mark.parametrize(
    ("edits", "expected", "applied", "skipped"),
    [
        ([(1, Edit(0, 2, "X"))], "Xcdef", [1], []),
        # Touching ranges both apply; an overlapping later one is skipped.
        (
            [(1, Edit(0, 2, "X")), (2, Edit(2, 4, "Y")), (3, Edit(3, 5, "Z"))],
            "XYef",
            [1, 2],
            [(3, 2)],
        ),
        # An insertion inside a replaced range is skipped; at its edge it is kept.
        (
            [(1, Edit(1, 4, "-")), (2, Edit(2, 2, "!")), (3, Edit(4, 4, "+"))],
            "a-+ef",
            [1, 3],
            [(2, 1)],
        ),
        # Two insertions at one point: the second is skipped.
        ([(1, Edit(3, 3, "P")), (2, Edit(3, 3, "Q"))], "abcPdef", [1], [(2, 1)]),
        ([], "abcdef", [], []),
    ],
)
def test_apply_all_applies_in_document_order_and_skips_overlaps(edits, expected, applied, skipped):
    result = tracked.apply_all("abcdef", edits)
    assert (result.text, result.applied, result.skipped) == (expected, applied, skipped)


@st.composite
def disjoint_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, Edit]]]:
    text = draw(st.text(alphabet="ab .\n", min_size=0, max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits = []
    # Consecutive cut pairs give ranges that never overlap (they may touch, or be empty).
    for n, (start, end) in enumerate(zip(cuts[::2], cuts[1::2], strict=False)):
        edits.append((n, Edit(start, end, draw(st.text(alphabet="xy ", max_size=5)))))
    # At most one insertion per point.
    seen: set[int] = set()
    kept = []
    for key, edit in edits:
        if edit.start == edit.end:
            if edit.start in seen:
                continue
            seen.add(edit.start)
        kept.append((key, edit))
    return text, kept


@given(disjoint_edits(), st.randoms())
def test_proposed_text_of_non_overlapping_edits_does_not_depend_on_their_order(case, random):
    text, edits = case
    shuffled = edits[:]
    random.shuffle(shuffled)
    first, second = tracked.apply_all(text, edits), tracked.apply_all(text, shuffled)
    assert first.text == second.text
    assert first.skipped == second.skipped == []
    # The same as splicing them in one by one from the end of the text.
    expected = text
    for _key, edit in sorted(edits, key=lambda item: (item[1].start, item[1].end), reverse=True):
        expected = expected[: edit.start] + edit.replacement + expected[edit.end :]
    assert first.text == expected


def test_marks_show_inserted_and_deleted_words_in_the_rendered_html():
    new_source = SOURCE.replace("serial number", "serial number and model").replace(
        "Intro text", "Introductory text"
    )
    html = rendering.render_markdown(new_source)
    marked = tracked.mark_changes(html, text_of(SOURCE), rendering.plain_text(html))
    assert (
        '<ins class="tc"><span class="visually-hidden">Inserted: </span> and model</ins>' in marked
    )
    assert "<del" in marked and ">Intro</del>" in marked
    # The marks add only their own words: the rest of the HTML is as rendered.
    assert "<em>Protocol</em>" in marked and '<h2 id="legal-basis">' in marked


def test_a_deleted_list_item_is_not_marked_between_list_items():
    old = "- one\n- two\n- three\n"
    html = rendering.render_markdown("- one\n- three\n")
    marked = tracked.mark_changes(html, text_of(old), rendering.plain_text(html))
    assert "two" in marked
    assert "<ul>\n<del" not in marked and "</li>\n<del" not in marked


def test_marks_are_left_out_when_the_text_does_not_match():
    html = "<p>Other text</p>"
    assert tracked.mark_changes(html, "Old text", "Different") == html


@pytest.mark.parametrize(
    ("start_word", "end_word", "replacement", "expected"),
    [
        (
            "sealed",
            "sealed",
            "closed",
            '…The firearm is <del><span class="visually-hidden">Deleted: </span>sealed</del>'
            '<ins><span class="visually-hidden">Inserted: </span>closed</ins> in a bag.…',
        ),
        (
            "First",
            "First",
            "The first",
            '<del><span class="visually-hidden">Deleted: </span>First</del>'
            '<ins><span class="visually-hidden">Inserted: </span>The first</ins> sentence.…',
        ),
    ],
)
def test_preview_shows_the_change_in_its_sentence(start_word, end_word, replacement, expected):
    text = "First sentence. The firearm is sealed in a bag. Last one.\nNext"
    start = text.index(start_word)
    assert tracked.preview(text, start, start + len(start_word), replacement) == expected


def test_preview_of_an_insertion_shows_only_the_inserted_words():
    text = "One. The firearm is sealed.\nTwo."
    at = text.index("sealed")
    assert tracked.preview(text, at, at, "quickly ") == (
        '…The firearm is <ins><span class="visually-hidden">Inserted: </span>quickly </ins>sealed.'
    )


@pytest.mark.parametrize(
    ("before", "whole_block", "at_source"),
    [
        ("The ", False, "The |Firearms"),  # between two plain words
        ("Firearms", False, "Firearms| *Protocol"),  # before a space, after a word
        ("Firearms ", True, None),  # at the edge of emphasis: the block
        ("Protocol", True, None),  # inside emphasis: the block
        ("calibre.", False, "calibre.|\n"),  # end of a paragraph
        ("Intro", False, "Intro| text"),
    ],
)
def test_insertion_point_maps_a_caret_to_the_markdown(before, whole_block, at_source):
    text = text_of(SOURCE)
    at = text.index(before) + len(before)
    found = tracked.insertion_point(SOURCE, at)
    assert found.whole_block is whole_block
    if whole_block:
        assert SOURCE[found.start : found.end] == (
            "The Firearms *Protocol* obliges States to mark every firearm."
        )
    else:
        assert found.start == found.end
        left, right = at_source.split("|")
        assert SOURCE[: found.start].endswith(left) and SOURCE[found.start :].startswith(right)


def test_an_insertion_merges_as_an_insertion():
    text = text_of(SOURCE)
    at = text.index("every firearm")
    found = tracked.insertion_point(SOURCE, at)
    merged = apply_edit(SOURCE, SOURCE, Edit(found.start, found.end, "each and "))
    assert merged.text is not None and "mark each and every firearm" in merged.text


def test_insertion_in_text_that_is_not_markdown_is_refused():
    source = "Words.\n\n<div>raw html</div>\n"
    at = text_of(source).index("raw") + 1
    with pytest.raises(sourcemap.SourceMapError):
        tracked.insertion_point(source, at)


@pytest.mark.parametrize(
    ("heading", "expected_start", "expected_end"),
    [
        ("legal-basis", "## Legal basis", "Marks are stamped."),
        ("marking", "### Marking", "Marks are stamped."),
        ("practice", "## Practice", "the calibre."),
    ],
)
def test_section_range_runs_to_the_next_heading_of_the_same_level(
    heading, expected_start, expected_end
):
    found = tracked.section_range(SOURCE, heading)
    assert found is not None
    section = SOURCE[found[0] : found[1]]
    assert section.startswith(expected_start) and section.endswith(expected_end)


def test_section_range_of_an_unknown_heading_is_none():
    assert tracked.section_range(SOURCE, "nope") is None


def test_tracked_change_of_a_section_is_found_over_its_text():
    text = text_of(SOURCE)
    start, end = tracked.section_range(SOURCE, "practice") or (0, 0)
    heading = text.index("Practice")
    change = tracked.tracked_change(
        text,
        start=heading,
        end=heading + len("Practice"),
        current_exact="Practice",
        original=SOURCE[start:end],
        replacement="## Practice\n\nOfficers record the serial number.",
        whole_block=True,
    )
    assert change is not None and change.start == heading
    assert ("-", ", the make and the calibre") in change.parts
    assert "".join(t for tag, t in change.parts if tag != "+") == text[change.start : change.end]
