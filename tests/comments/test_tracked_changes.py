"""Open suggestions on the chapter page: tracked changes, the chapter as proposed, the preview of
a suggestion, and insertions at the cursor."""

import html
import json
import re

import pytest
from django.urls import reverse

from chapters import rendering
from chapters.models import Chapter
from comments.actions import accept, mark_conflicted, reject
from comments.models import Suggestion
from tests import factories
from tests.comments.test_suggestion_views import in_round
from tests.comments.test_suggestions import BODY, suggest
from tests.conftest import client_for


@pytest.fixture
def text_chapter(handbook, editor):
    """BODY in review, in an open round inviting every jurisdiction of the handbook."""
    return in_round(factories.chapter(handbook, by=editor, body=BODY), editor)


def tracked_changes(page: str) -> list[dict]:
    found = re.search(r'data-tracked="([^"]*)"', page)
    assert found is not None
    return json.loads(html.unescape(found.group(1)))


def chapter_body(page: str) -> str:
    """The inner HTML of #chapter-body."""
    # The text ends where the selection toolbar (readers who may comment) or the article does.
    end = r'</div>\s*(?:<div class="selection-toolbar"|</article>)'
    found = re.search(r'id="chapter-body"[^>]*>(.*?)' + end, page, re.DOTALL)
    assert found is not None
    return found.group(1)


def proposed_text(page: str) -> str:
    """The proposed view's text as it would read: without struck words and the screen readers'
    labels."""
    body = re.sub(r'<del class="tc">.*?</del>', "", chapter_body(page), flags=re.DOTALL)
    body = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", body)
    return rendering.plain_text(body)


def text_of(source: str) -> str:
    return rendering.plain_text(rendering.render_markdown(source, number=1))


# --- Tracked changes


def test_open_and_conflicted_suggestions_are_drawn_as_tracked_changes(
    text_chapter, counterpart, editor
):
    kept = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    conflicted = suggest(text_chapter, "evidence bag", "sealed bag", by=counterpart)
    mark_conflicted(conflicted)
    rejected = suggest(text_chapter, "A receipt", "One receipt", by=counterpart)
    reject(rejected, by=editor, reason="No.")

    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    changes = {change["id"]: change for change in tracked_changes(page)}
    assert set(changes) == {kept.thread_id, conflicted.thread_id}
    first = changes[kept.thread_id]
    assert first["state"] == "open"
    assert ["+", " and make"] in first["parts"]
    assert text_chapter.plain_text()[first["start"] : first["end"]] == "serial number"
    second = changes[conflicted.thread_id]
    assert second["state"] == "conflicted"
    assert ["-", "evidence"] in second["parts"] and ["+", "sealed"] in second["parts"]
    # The labels screen readers read out with the marks.
    assert 'data-label-deletion="Suggested deletion: "' in page


def test_editors_only_suggestions_are_not_drawn_for_other_counterparts(
    text_chapter, counterpart, editor
):
    hidden = suggest(text_chapter, "serial number", "serial no.", by=editor)
    hidden.thread.visibility = "editors"
    hidden.thread.save()
    page = client_for(counterpart).get(text_chapter.get_absolute_url()).content.decode()
    assert "serial no." not in page


# --- The chapter as proposed


def test_proposed_view_reads_as_with_every_open_suggestion_accepted(
    text_chapter, counterpart, editor
):
    suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    suggest(text_chapter, "evidence bag", "sealed bag", by=counterpart)
    declined = suggest(text_chapter, "A receipt", "One receipt", by=counterpart)
    reject(declined, by=editor, reason="No.")

    client = client_for(counterpart)
    page = client.get(text_chapter.get_absolute_url() + "?view=proposed").content.decode()
    expected = BODY.replace("serial number", "serial number and make").replace(
        "evidence bag", "sealed bag"
    )
    assert proposed_text(page) == text_of(expected)
    body = chapter_body(page)
    assert '<span class="visually-hidden">Inserted: </span>and make </ins>' in body
    assert '<del class="tc"><span class="visually-hidden">Deleted: </span>evidence</del>' in body
    assert 'aria-current="page">As proposed (2 open suggestions)' in page
    # The default marks the suggestions over the text (the script draws them from
    # data-tracked): the text itself is unchanged there.
    now = client.get(text_chapter.get_absolute_url()).content.decode()
    assert 'aria-current="page">With suggestions marked' in now
    assert rendering.plain_text(chapter_body(now)) == text_chapter.plain_text()
    assert len(tracked_changes(now)) == 2


def test_proposed_view_skips_overlapping_suggestions_and_says_which(
    text_chapter, counterpart, editor
):
    first = suggest(text_chapter, "serial number", "serial no.", by=counterpart)
    later = suggest(text_chapter, "number of every firearm", "number of each firearm", by=editor)
    page = client_for(editor).get(text_chapter.get_absolute_url() + "?view=proposed")
    text = page.content.decode()
    assert proposed_text(text) == text_of(BODY.replace("serial number", "serial no."))
    assert "1 suggestion is skipped" in text
    assert f"Suggestion #{later.number}</a>: it overlaps suggestion #{first.number}" in text
    mark_conflicted(first)
    again = client_for(editor).get(text_chapter.get_absolute_url() + "?view=proposed")
    assert "1 conflicted suggestion is left out" in again.content.decode()


def test_proposed_view_carries_older_suggestions_onto_the_current_text(
    text_chapter, counterpart, editor
):
    suggest(text_chapter, "evidence bag", "sealed bag", by=counterpart)
    text_chapter.revise(
        body=BODY.replace("Officers", "Customs officers"), by=editor, reason="r", base_version=1
    )
    page = client_for(editor).get(text_chapter.get_absolute_url() + "?view=proposed")
    expected = BODY.replace("Officers", "Customs officers").replace("evidence bag", "sealed bag")
    assert proposed_text(page.content.decode()) == text_of(expected)


@pytest.mark.parametrize("view", ["", "?view=proposed"])
def test_page_query_count_is_the_same_with_1_and_100_suggestions_in_both_views(
    handbook, editor, counterpart, view, queries
):
    body = "\n\n".join(f"Paragraph {i} names the calibre number {i}." for i in range(110))
    chapter = in_round(factories.chapter(handbook, by=editor, body=body), editor)

    def add(i):
        suggest(chapter, f"calibre number {i}.", f"calibre no. {i}.", by=counterpart)

    add(0)
    client = client_for(editor)
    url = chapter.get_absolute_url() + view
    cold_one, warm_one = queries.get(client, url), queries.get(client, url)
    for i in range(1, 100):
        add(i)
    cold_many, warm_many = queries.get(client, url), queries.get(client, url)
    # The chapter page's own queries, plus one for the undecided suggestions whatever their
    # number (what is drawn from them is cached by their ids and last changes).
    queries.expect(warm_one, warm_many)
    queries.expect(cold_one, cold_many)
    if view:
        page = client.get(url).content.decode()
        assert "As proposed (100 open suggestions)" in page
        assert "calibre no. 99." in proposed_text(page)


# --- Preview


def form_data(chapter, words, replacement, **changes):
    text = chapter.plain_text()
    at = text.index(words)
    return {
        "exact": words,
        "prefix": text[max(0, at - 32) : at],
        "suffix": text[at + len(words) : at + len(words) + 32],
        "start": at,
        "end": at + len(words),
        "version": chapter.version,
        "replacement": replacement,
        "body": "My careful rationale.",
        "visibility": "everyone",
        "category": "editorial",
        **changes,
    }


def preview_url(chapter):
    return reverse("comments:preview_suggestion", args=[chapter.handbook.slug, chapter.pk])


def test_preview_fragment_shows_the_change_in_its_sentence(text_chapter, counterpart):
    response = client_for(counterpart).post(
        preview_url(text_chapter),
        form_data(text_chapter, "evidence bag", "sealed evidence bag"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.strip().startswith('<div id="suggestion-preview"')
    assert (
        "The firearm is then sealed in an "
        '<ins><span class="visually-hidden">Inserted: </span>sealed </ins>evidence bag.'
    ) in fragment
    assert not Suggestion.objects.exists()


def test_preview_without_javascript_is_the_page_with_the_form_kept(text_chapter, counterpart):
    response = client_for(counterpart).post(
        preview_url(text_chapter), form_data(text_chapter, "evidence bag", "sealed bag")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<del><span class="visually-hidden">Deleted: </span>evidence</del>' in page
    assert "My careful rationale." in page and ">sealed bag</textarea>" in page
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replacement": "evidence bag"}, "same as the original"),
        ({"exact": "words not in the chapter", "start": ""}, "not in this chapter"),
    ],
)
def test_a_bad_preview_says_why_and_keeps_the_text(text_chapter, counterpart, changes, message):
    data = {**form_data(text_chapter, "evidence bag", "sealed bag"), **changes}
    client = client_for(counterpart)
    fragment = client.post(preview_url(text_chapter), data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 400 and message in fragment.content.decode()
    page = client.post(preview_url(text_chapter), data)
    assert page.status_code == 400
    assert message in page.content.decode() and "My careful rationale." in page.content.decode()


PREVIEW_MATRIX = [("anonymous", 302), ("outsider", 404), ("counterpart", 200), ("editor", 200)]


@pytest.mark.parametrize(("role", "expected"), PREVIEW_MATRIX, ids=[m[0] for m in PREVIEW_MATRIX])
def test_preview_permission_matrix(request, text_chapter, role, expected):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = client_for(person).post(
        preview_url(text_chapter), form_data(text_chapter, "evidence bag", "sealed bag")
    )
    assert response.status_code == expected
    if role == "anonymous":
        assert "/accounts/login/" in response["Location"]


def test_preview_is_refused_when_the_counterpart_may_not_suggest(handbook, editor, counterpart):
    approved = factories.chapter(handbook, by=editor, body=BODY, status="approved")
    response = client_for(counterpart).post(
        preview_url(approved), form_data(approved, "evidence bag", "sealed bag")
    )
    assert response.status_code == 403


# --- Insertion at the cursor


def insertion_data(chapter, before, words):
    text = chapter.plain_text()
    at = text.index(before) + len(before)
    return {
        "exact": "",
        "prefix": text[max(0, at - 32) : at],
        "suffix": text[at : at + 32],
        "start": at,
        "end": at,
        "version": chapter.version,
        "replacement": words,
        "body": "Registration too.",
        "visibility": "everyone",
        "category": "editorial",
    }


def new_suggestion_url(chapter):
    return reverse("comments:new_suggestion", args=[chapter.handbook.slug, chapter.pk])


def test_an_insertion_at_the_cursor_is_proposed_drawn_and_accepted(
    text_chapter, counterpart, editor
):
    data = insertion_data(text_chapter, "sealed in an ", "approved ")
    client = client_for(counterpart)
    preview = client.post(preview_url(text_chapter), data, HTTP_HX_REQUEST="true")
    assert '<ins><span class="visually-hidden">Inserted: </span>approved </ins>' in (
        preview.content.decode()
    )
    assert "<del>" not in preview.content.decode()

    response = client.post(new_suggestion_url(text_chapter), data)
    assert response.status_code == 302
    made = Suggestion.objects.get()
    assert made.source_start == made.source_end and made.original == ""
    assert made.thread.start == made.thread.end

    page = client.get(text_chapter.get_absolute_url()).content.decode()
    [change] = tracked_changes(page)
    assert change["parts"] == [["+", "approved "]] and change["start"] == change["end"]
    assert "Insertion at" in page

    accept(made, by=editor)
    chapter = Chapter.objects.get()
    assert "sealed in an approved evidence bag." in chapter.body
    assert chapter.version == 2


def test_an_insertion_stays_on_its_spot_when_the_chapter_changes_elsewhere(
    text_chapter, counterpart, editor
):
    data = insertion_data(text_chapter, "sealed in an ", "approved ")
    client_for(counterpart).post(new_suggestion_url(text_chapter), data)
    made = Suggestion.objects.get()
    text_chapter.revise(
        body="A new first paragraph.\n\n" + text_chapter.body,
        by=editor,
        reason="intro",
        base_version=text_chapter.version,
    )
    made.thread.refresh_from_db()
    assert made.thread.status == "open"
    text = Chapter.objects.get().plain_text()
    assert text[: made.thread.start].endswith("sealed in an ")
    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    [change] = tracked_changes(page)
    assert change["start"] == made.thread.start
    accept(made, by=editor)
    assert "sealed in an approved evidence bag." in Chapter.objects.get().body


def test_an_insertion_inside_formatting_asks_for_the_whole_paragraph(handbook, editor, counterpart):
    body = "The *Firearms Protocol* obliges States.\n\nSecond paragraph.\n"
    chapter = in_round(factories.chapter(handbook, by=editor, body=body), editor)
    data = insertion_data(chapter, "The ", "UN ")
    client = client_for(counterpart)
    response = client.post(new_suggestion_url(chapter), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "whole paragraph" in page and "Registration too." in page and "“UN ”" in page
    assert ">The *Firearms Protocol* obliges States.</textarea>" in page
    assert 'name="scope" value="block"' in page
    assert not Suggestion.objects.exists()

    again = {**data, "scope": "block", "replacement": "The *UN Firearms Protocol* obliges States."}
    assert client.post(new_suggestion_url(chapter), again).status_code == 302
    made = Suggestion.objects.get()
    assert made.whole_block and made.original == "The *Firearms Protocol* obliges States."
    accept(made, by=editor)
    assert Chapter.objects.get().body == (
        "The *UN Firearms Protocol* obliges States.\n\nSecond paragraph.\n"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replacement": ""}, "Write the words to insert."),
        ({"start": "", "end": ""}, "Or place the cursor where words should be inserted."),
        ({"version": 7}, "place the cursor again"),
        ({"prefix": "nowhere", "suffix": "at all", "start": 3, "end": 3}, "cannot be told apart"),
    ],
)
def test_bad_insertions_are_refused_and_the_text_kept(text_chapter, counterpart, changes, message):
    data = {**insertion_data(text_chapter, "sealed in an ", "approved "), **changes}
    response = client_for(counterpart).post(new_suggestion_url(text_chapter), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Registration too." in page
    assert not Suggestion.objects.exists()


def test_a_selection_across_formatting_has_the_whole_paragraph_edited(
    handbook, editor, counterpart
):
    body = "The *Firearms Protocol* obliges States.\n\nSecond paragraph.\n"
    chapter = in_round(factories.chapter(handbook, by=editor, body=body), editor)
    data = form_data(chapter, "Protocol obliges", "Protocol binds")
    client = client_for(counterpart)
    response = client.post(new_suggestion_url(chapter), data)
    # Replacing only the selected words would drop the rest of the paragraph: the user is
    # handed the paragraph's Markdown to edit instead, with what they wrote kept in view.
    assert response.status_code == 400
    page = response.content.decode()
    assert "“Protocol binds”" in page and "My careful rationale." in page
    assert ">The *Firearms Protocol* obliges States.</textarea>" in page
    assert not Suggestion.objects.exists()

    again = {**data, "scope": "block", "replacement": "The *Firearms Protocol* binds States."}
    preview = client.post(preview_url(chapter), again, HTTP_HX_REQUEST="true")
    assert '<ins><span class="visually-hidden">Inserted: </span>binds</ins>' in (
        preview.content.decode()
    )
    assert client.post(new_suggestion_url(chapter), again).status_code == 302
    made = Suggestion.objects.get()
    assert made.whole_block and made.original == "The *Firearms Protocol* obliges States."
    # Drawn over the paragraph's text.
    [change] = tracked_changes(client.get(chapter.get_absolute_url()).content.decode())
    assert ["-", "obliges"] in change["parts"] and ["+", "binds"] in change["parts"]
