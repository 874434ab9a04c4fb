import html
import itertools
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapters.diffing import Change, diff_html, opcodes, tokenize, word_diff

WORDS = [
    "border",
    "police",
    "crossing",
    "asylum",
    "Гранична",
    "полиција",
    "прелаз",
    "Policia",
    "Kufirit",
    "çështje",
    "rëndësishme",
    "e",
    "the",
    "of",
    "2024",
    "don't",
    "cross-border",
]

# Texts made of the handbook's own kinds of characters, so that random pairs share tokens and
# the diff has something to align; plus arbitrary text, so nothing escapes the properties.
text_like_a_chapter = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from([" ", " ", " ", "\n", "\n\n", "  ", ", ", ". ", "# ", "*", "_", "<b>"]),
    ),
    max_size=40,
).map("".join)
any_text = st.one_of(text_like_a_chapter, st.text(max_size=60))


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyzçëшђ"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(size)]


def _chapter(seed: int, words: int = 20_000) -> str:
    """About `words` words in ~300 paragraphs, common words far more frequent than rare ones."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(random.Random(0))
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    paragraphs = []
    while words > 0:
        size = min(words, rng.randint(35, 100))
        paragraphs.append(" ".join(rng.choices(vocabulary, weights, k=size)) + ".")
        words -= size
    return "\n\n".join(paragraphs)


def _apply(old: str, new: str, ops: list) -> str:
    return "".join(old[i1:i2] if tag == "equal" else new[j1:j2] for tag, i1, i2, j1, j2 in ops)


def _boundaries(text: str) -> set[int]:
    at = 0
    found = {0}
    for token in tokenize(text):
        at += len(token)
        found.add(at)
    return found


# --- tokenize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        ("Border police", ["Border", " ", "police"]),
        ("Гранична полиција", ["Гранична", " ", "полиција"]),
        ("Policia e Kufirit, çështje", ["Policia", " ", "e", " ", "Kufirit", ",", " ", "çështje"]),
        ("don't", ["don't"]),
        ("l’Union", ["l’Union"]),
        ("cross-border", ["cross", "-", "border"]),
        ("_emphasis_ **bold**", ["_", "emphasis", "_", " ", "*", "*", "bold", "*", "*"]),
        ("a  \n\n  b", ["a", "  \n", "\n", "  ", "b"]),
        ("line\r\nnext", ["line", "\r\n", "next"]),
        ("e\u0308ra", ["e\u0308ra"]),
        ("art. 12(3)", ["art", ".", " ", "12", "(", "3", ")"]),
    ],
)
def test_tokenize_splits_words_spaces_and_symbols(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@given(st.text())
def test_tokenize_round_trips(text: str) -> None:
    assert "".join(tokenize(text)) == text


# --- diff_html and word_diff: what a reviewer sees ---------------------------------------------

_PARAGRAPH = " ".join(_vocabulary(random.Random(1), 500))
_WORD_250 = _PARAGRAPH.split(" ")[250]


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("", "", ""),
        ("", "New text.", "<ins>New text.</ins>"),
        ("Old text.", "", "<del>Old text.</del>"),
        ("Same text.", "Same text.", "Same text."),
        ("border crossing", "border police crossing", "border <ins>police </ins>crossing"),
        ("border police crossing", "border crossing", "border <del>police </del>crossing"),
        (
            "Гранична полиција је надлежна.",
            "Гранична служба је надлежна.",
            "Гранична <del>полиција</del><ins>служба</ins> је надлежна.",
        ),
        (
            "Policia e Kufirit, çështje e rëndësishme.",
            "Policia e Shtetit, çështje e rëndësishme.",
            "Policia e <del>Kufirit</del><ins>Shtetit</ins>, çështje e rëndësishme.",
        ),
        ("two words", "two  words", "two<del> </del><ins>  </ins>words"),
        ("one\ntwo", "one\n\ntwo", "one\n<ins>\n</ins>two"),
        ("first\n\nsecond", "first\n\nthird", "first\n\n<del>second</del><ins>third</ins>"),
        ("one two three four", "one 2 3 four", "one <del>two three</del><ins>2 3</ins> four"),
        (
            "<script>alert(1)</script>",
            "<script>alert(2)</script>",
            "&lt;script&gt;alert(<del>1</del><ins>2</ins>)&lt;/script&gt;",
        ),
        (
            _PARAGRAPH,
            _PARAGRAPH.replace(f" {_WORD_250} ", " changed ", 1),
            html.escape(_PARAGRAPH).replace(
                f" {_WORD_250} ", f" <del>{_WORD_250}</del><ins>changed</ins> ", 1
            ),
        ),
    ],
    ids=[
        "both-empty",
        "all-new",
        "all-deleted",
        "identical",
        "insertion",
        "deletion",
        "cyrillic",
        "albanian",
        "whitespace-only",
        "paragraph-break-added",
        "newlines-kept",
        "adjacent-words-as-one-change",
        "markup-is-escaped",
        "one-word-in-500",
    ],
)
def test_diff_html_marks_only_what_changed(old: str, new: str, shown: str) -> None:
    assert diff_html(old, new) == shown


def test_one_word_changed_in_a_long_chapter_marks_only_that_word() -> None:
    old = _chapter(seed=3)
    at = old.index(" ", 70_000) + 1
    word = old[at : old.index(" ", at)]
    new = old[:at] + "zzchanged" + old[at + len(word) :]

    shown = diff_html(old, new)

    assert shown.count("<del>") == shown.count("<ins>") == 1
    assert f"<del>{html.escape(word)}</del><ins>zzchanged</ins>" in shown


def test_word_diff_shows_a_replacement_as_deletion_then_insertion() -> None:
    assert word_diff("the old rule applies", "the new rule applies") == [
        Change("equal", "the "),
        Change("delete", "old"),
        Change("insert", "new"),
        Change("equal", " rule applies"),
    ]


@given(any_text, any_text)
def test_word_diff_rebuilds_both_versions_without_repeating_a_tag(old: str, new: str) -> None:
    changes = word_diff(old, new)

    assert "".join(c.text for c in changes if c.tag != "insert") == old
    assert "".join(c.text for c in changes if c.tag != "delete") == new
    assert all(c.text for c in changes)
    assert all(a.tag != b.tag for a, b in itertools.pairwise(changes))


@given(any_text, any_text)
def test_diff_html_is_escaped_text_between_del_and_ins_tags(old: str, new: str) -> None:
    shown = diff_html(old, new)

    without_insertions = re.sub(r"<ins>.*?</ins>", "", shown, flags=re.DOTALL)
    without_deletions = re.sub(r"<del>.*?</del>", "", shown, flags=re.DOTALL)
    assert html.unescape(re.sub(r"</?del>", "", without_insertions)) == old
    assert html.unescape(re.sub(r"</?ins>", "", without_deletions)) == new
    assert "<" not in re.sub(r"</?(del|ins)>", "", shown)


# --- opcodes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "ops"),
    [
        ("", "", []),
        ("abc", "", [("delete", 0, 3, 0, 0)]),
        ("", "abc", [("insert", 0, 0, 0, 3)]),
        ("same", "same", [("equal", 0, 4, 0, 4)]),
        ("foo", "food", [("replace", 0, 3, 0, 4)]),
        (
            "a b c",
            "a x c",
            [("equal", 0, 2, 0, 2), ("replace", 2, 3, 2, 3), ("equal", 3, 5, 3, 5)],
        ),
        ("a c", "a b c", [("equal", 0, 2, 0, 2), ("insert", 2, 2, 2, 4), ("equal", 2, 3, 4, 5)]),
    ],
)
def test_opcodes_are_character_offsets(old: str, new: str, ops: list) -> None:
    assert opcodes(old, new) == ops


@given(any_text, any_text)
def test_opcodes_cover_both_texts_in_order_on_token_boundaries(old: str, new: str) -> None:
    ops = opcodes(old, new)

    assert _apply(old, new, ops) == new
    i = j = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i, j)
        assert {"equal": i2 - i1 == j2 - j1 > 0, "replace": i1 < i2 and j1 < j2}.get(tag, True)
        assert tag != "delete" or (i1 < i2 and j1 == j2)
        assert tag != "insert" or (i1 == i2 and j1 < j2)
        assert tag != "equal" or old[i1:i2] == new[j1:j2]
        assert {i1, i2} <= _boundaries(old)
        assert {j1, j2} <= _boundaries(new)
        i, j = i2, j2
    assert (i, j) == (len(old), len(new))
    assert all((a[0] == "equal") != (b[0] == "equal") for a, b in itertools.pairwise(ops))
    assert opcodes(old, new) == ops


@given(st.text(min_size=1))
def test_opcodes_of_identical_text_are_one_equal(text: str) -> None:
    assert opcodes(text, text) == [("equal", 0, len(text), 0, len(text))]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=300),
    st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "replace"]),
            st.integers(0, 299),
            st.sampled_from(WORDS),
        ),
        max_size=5,
    ),
)
def test_opcodes_rebuild_edited_word_lists(words: list[str], edits: list) -> None:
    old = " ".join(words)
    edited = list(words)
    for kind, at, word in edits:
        at %= len(edited) + 1
        if kind == "insert":
            edited.insert(at, word)
        elif edited and at < len(edited):
            edited[at : at + 1] = [] if kind == "delete" else [word]
    new = " ".join(edited)

    assert _apply(old, new, opcodes(old, new)) == new


# --- speed --------------------------------------------------------------------------------------


def a_few_edits_in_a_20000_word_chapter() -> tuple[str, str]:
    """A 20,000-word text and the same with one word inserted, a paragraph added, one deleted
    and one reversed (the bench times diffing them)."""
    old = _chapter(seed=1)
    paragraphs = old.split("\n\n")
    paragraphs[10] = paragraphs[10].replace(" ", " inserted ", 1)
    paragraphs[150] = "A new paragraph.\n\n" + paragraphs[150]
    del paragraphs[200]
    paragraphs[290] = paragraphs[290][::-1]
    return old, "\n\n".join(paragraphs)


def entirely_different_20000_word_chapters() -> tuple[str, str]:
    return _chapter(seed=1), _chapter(seed=2)


def test_a_few_edits_in_a_20000_word_chapter_diff() -> None:
    # How fast is bench/run.py's business (text_diff_few_edits_ms).
    old, new = a_few_edits_in_a_20000_word_chapter()
    assert len(old) > 120_000

    assert _apply(old, new, opcodes(old, new)) == new


def test_entirely_different_20000_word_chapters_still_diff() -> None:
    # How fast is bench/run.py's business (text_diff_html_different_ms).
    old, new = entirely_different_20000_word_chapters()

    assert "<ins" in diff_html(old, new) or "<del" in diff_html(old, new)
    assert _apply(old, new, opcodes(old, new)) == new
