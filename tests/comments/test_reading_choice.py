"""Every reader chooses how to read a chapter with open suggestions: as it reads now (no marks:
the original sentences can be read and selected), with the suggestions marked, or as proposed;
and whose suggestions: everyone's, their jurisdiction's, their own."""

import pytest

from comments.models import Suggestion
from handbook_review.people.roles import Role
from tests import factories
from tests.comments.test_suggestions import suggest
from tests.comments.test_tracked_changes import (
    chapter_body,
    proposed_text,
    text_chapter,
    tracked_changes,
)
from tests.conftest import client_for

__all__ = ["text_chapter"]  # the fixture, used by name


@pytest.fixture
def three_proposals(text_chapter, counterpart, bosnian):
    """Arben (Albania) and his Albanian colleague and Jelena (Bosnia) each suggest a change."""
    colleague = factories.user(Role.COUNTERPART, code="AL", name="Elira Colleague")
    return {
        "mine": suggest(text_chapter, "serial number", "serial number and make", by=counterpart),
        "colleague": suggest(text_chapter, "evidence bag", "sealed bag", by=colleague),
        "bosnian": suggest(text_chapter, "A receipt", "One receipt", by=bosnian),
    }


def page(person, chapter, query: str = "") -> str:
    response = client_for(person).get(chapter.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def marked(html: str) -> set[int]:
    return {change["id"] for change in tracked_changes(html)}


def ids(*suggestions: Suggestion) -> set[int]:
    return {s.thread_id for s in suggestions}


def test_by_default_every_visible_suggestion_is_marked(text_chapter, three_proposals, counterpart):
    html = page(counterpart, text_chapter)
    assert marked(html) == ids(*three_proposals.values())
    assert 'aria-current="page">With suggestions marked' in html
    assert 'aria-current="true">Everyone&#x27;s' in html


def test_as_it_reads_now_marks_nothing_and_the_text_can_be_selected(
    text_chapter, three_proposals, counterpart
):
    html = page(counterpart, text_chapter, "?changes=none")
    assert marked(html) == set()
    assert 'aria-current="page">As it reads now' in html
    # The text as it is, selectable: the selection toolbar and keyboard selection are there.
    assert "serial number and make" not in chapter_body(html)
    assert 'id="selection-toolbar"' in html and 'tabindex="0"' in html
    # Whose suggestions does not apply when none are marked; the count still names them all.
    assert 'id="whose-label"' not in html
    assert "As proposed (3 open suggestions)" in html


def test_only_mine_and_my_jurisdictions(text_chapter, three_proposals, counterpart):
    mine = page(counterpart, text_chapter, "?changes=mine")
    assert marked(mine) == ids(three_proposals["mine"])
    assert "1 suggestion shown of those open." in mine
    assert 'aria-current="true">Mine' in mine
    ours = page(counterpart, text_chapter, "?changes=jurisdiction")
    assert marked(ours) == ids(three_proposals["mine"], three_proposals["colleague"])
    assert "2 suggestions shown of those open." in ours
    # The other links keep the choice of whose.
    assert "?view=proposed&amp;changes=jurisdiction" in ours


def test_as_proposed_with_only_mine_applies_only_mine(text_chapter, three_proposals, counterpart):
    html = page(counterpart, text_chapter, "?view=proposed&changes=mine")
    text = proposed_text(html)
    assert "serial number and make" in text
    assert "sealed bag" not in text and "One receipt" not in text
    # "none" as proposed is no reading at all: every suggestion is applied.
    everything = proposed_text(page(counterpart, text_chapter, "?view=proposed&changes=none"))
    assert "sealed bag" in everything and "One receipt" in everything


def test_an_unknown_choice_marks_everything(text_chapter, three_proposals, counterpart):
    assert marked(page(counterpart, text_chapter, "?changes=%3Cscript%3E")) == ids(
        *three_proposals.values()
    )


def test_the_choices_never_show_what_the_reader_may_not_see(
    text_chapter, three_proposals, counterpart, editor
):
    hidden = suggest(text_chapter, "A receipt", "A signed receipt", by=editor)
    hidden.thread.visibility = "editors"
    hidden.thread.save()
    for query in ("", "?changes=mine", "?changes=jurisdiction"):
        html = page(counterpart, text_chapter, query)
        assert hidden.thread_id not in marked(html)
        assert "A signed receipt" not in html
    assert "A signed receipt" not in page(counterpart, text_chapter, "?view=proposed")
    assert hidden.thread_id in marked(page(editor, text_chapter))


def test_a_reader_without_a_jurisdiction_is_offered_everyones_and_mine(
    text_chapter, three_proposals
):
    reader = factories.user(Role.EDITOR, code="AL", name="No Jurisdiction")
    reader.jurisdiction = None
    reader.save()
    html = page(reader, text_chapter, "?changes=jurisdiction")
    assert "My jurisdiction&#x27;s" not in html
    assert marked(html) == ids(*three_proposals.values())
