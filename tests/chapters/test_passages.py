"""The changed passages of two texts (chapters.diffing.passages): what a reviewer reads again."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chapters.diffing import Passage, Unchanged, passages


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("A\nB\n", "A\nB\n", [Unchanged(2)]),
        (
            "A\nB\nC\n",
            "A\nX\nB\nC\n",
            [Unchanged(1), Passage(2, 2, 2, 4, "<ins>X\n</ins>"), Unchanged(2)],
        ),
        (
            "A one.\nB two.\nC three.\nD four.\n",
            "A one.\nB 2.\nC three.\nD four!\n",
            [
                Unchanged(1),
                Passage(7, 14, 7, 12, "B <del>two</del><ins>2</ins>.\n"),
                Unchanged(1),
                Passage(23, 31, 21, 29, "D four<del>.</del><ins>!</ins>\n"),
            ],
        ),
        ("", "new\n", [Passage(0, 0, 0, 4, "<ins>new\n</ins>")]),
        ("old\n", "", [Passage(0, 4, 0, 0, "<del>old\n</del>")]),
        # Blank lines are not paragraphs.
        (
            "A\n\n\nB\n\nC\n",
            "A\n\n\nB\n\nC!\n",
            [Unchanged(2), Passage(7, 9, 7, 10, "C<ins>!</ins>\n")],
        ),
    ],
)
def test_passages(old, new, expected):
    assert passages(old, new) == expected


lines = st.lists(st.sampled_from(["", "a b", "c d e", "ë f", "g"]), max_size=8)


@given(lines, lines)
def test_passages_cover_every_change_and_nothing_else(old_lines, new_lines):
    old, new = "\n".join(old_lines) + "\n", "\n".join(new_lines) + "\n"
    found = passages(old, new)
    changed = [b for b in found if isinstance(b, Passage)]
    # In order, whole lines, and outside them the two texts are the same.
    old_rest, new_rest, a, b = [], [], 0, 0
    for part in changed:
        assert a <= part.old_start <= part.old_end and b <= part.new_start <= part.new_end
        assert part.old_start == 0 or old[part.old_start - 1] == "\n"
        assert part.new_start == 0 or new[part.new_start - 1] == "\n"
        old_rest.append(old[a : part.old_start])
        new_rest.append(new[b : part.new_start])
        a, b = part.old_end, part.new_end
    old_rest.append(old[a:])
    new_rest.append(new[b:])
    assert old_rest == new_rest
    assert (old == new) == (not changed)
    unchanged = sum(b.paragraphs for b in found if isinstance(b, Unchanged))
    assert unchanged == sum(1 for line in "".join(new_rest).split("\n") if line.strip())
