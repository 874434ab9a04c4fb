"""The pure folding of search (comments/search/folding.py): scripts, case and diacritics fold to
one form; the query's words; highlighted snippets. No database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comments.search.folding import fold, fold_with_offsets, readable, snippet, terms

# Serbian Cyrillic and its official Latin alphabet, letter by letter (both cases).
SERBIAN = dict(
    zip(
        "абвгдђежзијклљмнњопрстћуфхцчџш",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "đ",
            "e",
            "ž",
            "z",
            "i",
            "j",
            "k",
            "l",
            "lj",
            "m",
            "n",
            "nj",
            "o",
            "p",
            "r",
            "s",
            "t",
            "ć",
            "u",
            "f",
            "h",
            "c",
            "č",
            "dž",
            "š",
        ],
        strict=True,
    )
)
MACEDONIAN = {"ѓ": "gj", "ќ": "kj", "ѕ": "dz", "љ": "lj", "њ": "nj", "џ": "dž", "ј": "j"}
REGION = "".join(SERBIAN) + "".join(MACEDONIAN) + "abcčćdđefghijklmnopqrsštuvwxyzžëç0123456789"


def latin(cyrillic: str) -> str:
    table = {**SERBIAN, **MACEDONIAN}
    return "".join(table.get(char, char) for char in cyrillic)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ђорђе", "Đorđe"),
        ("Đorđe", "DJORDJE"),
        ("граница", "granica"),
        ("чувар", "čuvar"),
        ("čuvar", "cuvar"),
        ("ЋЕВАП", "ćevap"),
        ("џеп", "džep"),
        ("љубав", "ljubav"),
        ("Ѓорѓи", "Gjorgji"),
        ("ќерка", "kjerka"),
        ("Shqipëri", "shqiperi"),
        ("çështje", "CESHTJE"),
        ("Ženeva", "zeneva"),
    ],
)
def test_scripts_case_and_diacritics_fold_alike(one, other):
    assert fold(one) == fold(other)


@given(st.text(alphabet="".join(SERBIAN) + "".join(MACEDONIAN) + " .,", max_size=60))
def test_cyrillic_folds_like_its_latin_transliteration(text):
    assert fold(text) == fold(latin(text))
    assert fold(text.upper()) == fold(text)


@given(st.text(max_size=80))
def test_folding_is_idempotent_and_offsets_point_into_the_original(text):
    folded, offsets = fold_with_offsets(text)
    assert folded == fold(text)
    assert fold(folded) == folded
    assert len(offsets) == len(folded)
    assert offsets == sorted(offsets)
    assert all(0 <= i < len(text) for i in offsets)
    # Each folded character comes from a character that folds to include it.
    for position, origin in enumerate(offsets):
        assert folded[position] in fold(text[origin])


@given(st.text(max_size=300))
def test_terms_are_plain_words_whatever_is_typed(query):
    words = terms(query)
    assert len(words) <= 12
    for word in words:
        assert word and word.isalnum()
        assert not set(word) & set("&|!():*'\"<>-\\ ")


@pytest.mark.parametrize("query", ["", "   ", "&|!", "a & | !", "'\"", "--;", "*:*", "()"])
def test_punctuation_and_query_syntax_give_no_words_or_only_letters(query):
    assert all(word.isalnum() for word in terms(query))
    assert terms("&|!") == []


def test_terms_are_folded_and_distinct():
    assert terms("Čuvar čuvar ЧУВАР, žica!") == ["cuvar", "zica"]


@given(st.lists(st.sampled_from(list(REGION + "  .,")), min_size=0, max_size=40))
def test_snippet_keeps_the_text_it_shows(chars):
    text = "".join(chars)
    shown = snippet(text, terms(text[:5]) or ["x"])
    assert shown.text.replace("… ", "").replace(" …", "") in text


def test_snippet_marks_every_form_of_the_words():
    text = "Officers at the граница check the GRANICA crossing and the granicni point."
    shown = snippet(text, terms("granic"))
    assert [part for part, marked in shown.parts if marked] == ["граница", "GRANICA", "granicni"]
    assert shown.word == "граница"
    assert shown.before == "at the"


def test_snippet_is_a_window_around_the_first_match_of_a_long_text():
    text = "word " * 500 + "the headstamp here " + "word " * 500
    shown = snippet(text, ["headstamp"], width=120)
    assert len(shown.text) < 140
    assert ("headstamp", True) in shown.parts
    assert shown.text.startswith("… ") and shown.text.endswith(" …")


def test_snippet_without_a_match_is_the_start():
    assert snippet("Marking at manufacture and import", ["zzz"]).text.startswith("Marking")


def test_readable_drops_markdown_markup():
    markdown = (
        "## Legal *basis*\n\n- a [link](http://x.org) and **bold**[^1]\n\n| a | b |\n|---|---|"
    )
    shown = readable(markdown)
    assert "#" not in shown and "*" not in shown and "http" not in shown and "|" not in shown
    assert "Legal" in shown and "basis" in shown and "link" in shown and "bold" in shown
