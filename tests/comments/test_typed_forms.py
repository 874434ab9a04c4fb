"""Typed comments in the forms: the type is chosen (general by default for a comment,
editorial for a suggestion), "essential" only with technical, the type shown on every card and
the chapter page's thread list filtered by it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from comments.forms import RewriteForm, SuggestionForm, ThreadForm
from comments.models import CATEGORY_HELP, ESSENTIAL_HELP, Category, Thread
from tests import factories
from tests.conftest import client_for


def thread_data(chapter, **extra):
    return {
        "exact": "make and the calibre",
        "version": chapter.version,
        "body": "Add the model.",
        "visibility": "everyone",
        "category": "technical",
        **extra,
    }


def suggestion_data(chapter, **extra):
    text = chapter.plain_text()
    words = "make and the calibre"
    at = text.index(words)
    return {
        "exact": words,
        "prefix": text[max(0, at - 32) : at],
        "suffix": text[at + len(words) : at + len(words) + 32],
        "start": at,
        "end": at + len(words),
        "version": chapter.version,
        "replacement": "make, model and calibre",
        "body": "The model identifies it.",
        "visibility": "everyone",
        "category": "editorial",
        **extra,
    }


def new_thread_url(chapter):
    return reverse("comments:new_thread", args=[chapter.handbook.slug, chapter.pk])


def new_suggestion_url(chapter):
    return reverse("comments:new_suggestion", args=[chapter.handbook.slug, chapter.pk])


# --- The forms


def test_a_comment_defaults_to_general_and_a_suggestion_to_editorial(chapter):
    outline = chapter.outline()
    assert ThreadForm(chapter=chapter, outline=outline)["category"].value() == "general"
    assert SuggestionForm(chapter=chapter, outline=outline)["category"].value() == "editorial"
    assert RewriteForm()["category"].value() == "editorial"


def test_the_page_offers_the_types_with_their_help_and_essential_with_its_own(chapter, counterpart):
    page = client_for(counterpart).get(chapter.get_absolute_url()).content.decode()
    for help_text in CATEGORY_HELP.values():
        assert str(help_text) in page
    assert str(ESSENTIAL_HELP) in page
    # The comment form has general ticked, the suggestion form editorial.
    assert 'name="category" value="general" id="id_category_0" required checked' in page
    assert 'name="category" value="editorial" id="sg_category_2" required checked' in page
    assert 'aria-describedby="id_essential_helptext"' in page


@pytest.mark.parametrize("category", [None, "", "urgent"])
def test_the_type_is_required_and_checked(chapter, counterpart, category):
    data = thread_data(chapter)
    if category is None:
        del data["category"]
    else:
        data["category"] = category
    response = client_for(counterpart).post(new_thread_url(chapter), data)
    assert response.status_code == 400
    assert not Thread.objects.exists()
    page = response.content.decode()
    assert "Choose the type" in page or "Select a valid choice" in page
    assert "Add the model." in page  # what was typed is kept


@pytest.mark.parametrize("category", ["general", "editorial"])
def test_essential_is_refused_unless_technical_and_the_text_kept(chapter, counterpart, category):
    response = client_for(counterpart).post(
        new_thread_url(chapter), thread_data(chapter, category=category, essential="on")
    )
    assert response.status_code == 400
    assert not Thread.objects.exists()
    page = response.content.decode()
    assert "Only a technical comment can be essential" in page
    assert "Add the model." in page and "make and the calibre" in page
    assert f'name="category" value="{category}"' in page
    number = ["general", "technical", "editorial"].index(category)
    assert f'value="{category}" id="id_category_{number}" required checked' in page
    assert 'id="id_essential" checked' in page and 'id="id_essential_error"' in page


def test_a_technical_essential_comment_is_recorded_so(chapter, counterpart):
    response = client_for(counterpart).post(
        new_thread_url(chapter), thread_data(chapter, essential="on")
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert (thread.category, thread.essential) == (Category.TECHNICAL, True)


def test_a_comment_of_each_type_without_essential(chapter, counterpart):
    client = client_for(counterpart)
    for category in Category.values:
        assert client.post(new_thread_url(chapter), thread_data(chapter, category=category))
    assert sorted(Thread.objects.values_list("category", "essential")) == [
        ("editorial", False),
        ("general", False),
        ("technical", False),
    ]


def test_a_suggestion_takes_its_type_and_may_be_essential_if_technical(chapter, counterpart):
    client = client_for(counterpart)
    refused = client.post(new_suggestion_url(chapter), suggestion_data(chapter, essential="on"))
    assert refused.status_code == 400
    assert "Only a technical comment can be essential" in refused.content.decode()
    assert "make, model and calibre" in refused.content.decode()
    assert not Thread.objects.exists()
    made = client.post(
        new_suggestion_url(chapter),
        suggestion_data(chapter, category="technical", essential="on"),
    )
    assert made.status_code == 302
    thread = Thread.objects.get()
    assert (thread.kind, thread.category, thread.essential) == ("suggestion", "technical", True)


def test_a_section_rewrite_takes_its_type(chapter, counterpart):
    url = reverse("comments:rewrite_section", args=[chapter.handbook.slug, chapter.pk])
    client = client_for(counterpart)
    form = client.get(url + "?section=legal-basis").content.decode()
    assert str(CATEGORY_HELP[Category.EDITORIAL]) in form and str(ESSENTIAL_HELP) in form
    data = {
        "section": "legal-basis",
        "version": chapter.version,
        "replacement": "## Legal basis\n\nThe Firearms Protocol and the ATT oblige States.",
        "body": "Cite the ATT.",
        "category": "general",
        "essential": "on",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400 and not Thread.objects.exists()
    assert "Only a technical comment can be essential" in refused.content.decode()
    assert "the ATT oblige States." in refused.content.decode()
    assert client.post(url, {**data, "category": "technical"}).status_code == 302
    assert Thread.objects.get().category == "technical" and Thread.objects.get().essential


# --- The cards and the filter


def typed(chapter, by, words, category, essential=False):
    from comments import anchoring
    from comments.actions import open_thread

    text = chapter.plain_text()
    at = text.index(words)
    return open_thread(
        chapter,
        by=by,
        anchor=anchoring.describe(text, at, at + len(words)),
        body=f"On {words}.",
        category=category,
        essential=essential,
    )


def card_of(page, thread):
    start = page.index(f'id="thread-{thread.pk}"')
    return page[start : page.index("</article>", start)]


def test_every_card_shows_its_type_collapsed_and_expanded(chapter, counterpart, editor):
    general = typed(chapter, counterpart, "serial number", "general")
    essential = typed(chapter, counterpart, "calibre", "technical", essential=True)
    client = client_for(editor)
    for _round in range(2):  # rendered, then from the cache
        page = client.get(chapter.get_absolute_url()).content.decode()
        assert 'class="badge type type-general">General</span>' in card_of(page, general)
        card = card_of(page, essential)
        assert "type-technical" in card and '<strong class="essential">essential</strong>' in card
        # The badge is inside the quote the highlight is described by.
        quote = card[card.index("<blockquote") : card.index("</blockquote>")]
        assert "Technical" in quote
    opened = client.get(chapter.get_absolute_url() + f"?thread={essential.pk}").content.decode()
    card = card_of(opened, essential)
    assert "thread expanded" in opened and "type-technical" in card and "essential" in card


def test_a_cached_card_changes_with_the_type(chapter, counterpart, editor):
    thread = typed(chapter, counterpart, "serial number", "general")
    client = client_for(editor)
    assert "type-general" in card_of(
        client.get(chapter.get_absolute_url()).content.decode(), thread
    )
    # A change of a thread touches its updated_at, which the panel's key follows; the card's
    # own key names the type as well.
    Thread.objects.filter(pk=thread.pk).update(
        category="editorial", updated_at=thread.updated_at + timedelta(seconds=1)
    )
    card = card_of(client.get(chapter.get_absolute_url()).content.decode(), thread)
    assert "type-editorial" in card and "type-general" not in card


@pytest.mark.parametrize(
    ("chosen", "shown"),
    [
        ("general", {"serial number"}),
        ("technical", {"calibre", "make"}),
        ("essential", {"calibre"}),
        ("editorial", {"Firearms Protocol"}),
        ("", {"serial number", "calibre", "make", "Firearms Protocol"}),
        ("nonsense", {"serial number", "calibre", "make", "Firearms Protocol"}),
    ],
)
def test_the_thread_list_is_filtered_by_type(chapter, counterpart, bosnian, chosen, shown):
    threads = {
        "serial number": typed(chapter, counterpart, "serial number", "general"),
        "calibre": typed(chapter, counterpart, "calibre", "technical", essential=True),
        "make": typed(chapter, bosnian, "make", "technical"),
        "Firearms Protocol": typed(chapter, counterpart, "Firearms Protocol", "editorial"),
    }
    page = client_for(counterpart).get(chapter.get_absolute_url() + f"?type={chosen}")
    html = page.content.decode()
    assert {w for w, t in threads.items() if f'id="thread-{t.pk}"' in html} == shown
    if chosen in Category.values or chosen == "essential":
        assert f'<option value="{chosen}" selected>' in html


def cards(html: str) -> int:
    """The thread cards of a page (not the other elements whose class starts with "thread")."""
    return len(re.findall(r'<article class="thread[" ]', html))


def test_the_type_filter_combines_with_the_others(chapter, counterpart, bosnian):
    typed(chapter, counterpart, "calibre", "technical")
    theirs = typed(chapter, bosnian, "make", "technical")
    typed(chapter, bosnian, "serial number", "general")
    url = chapter.get_absolute_url() + f"?type=technical&jurisdiction={bosnian.jurisdiction_id}"
    fragment = client_for(counterpart).get(
        url, headers={"HX-Request": "true", "HX-Target": "threads"}
    )
    html = fragment.content.decode()
    assert cards(html) == 1 and f'id="thread-{theirs.pk}"' in html


def test_filtering_by_type_costs_no_query_more_with_more_threads(
    handbook, editor, counterpart, queries
):
    body = "\n\n".join(f"Paragraph {i} about firearms marking number {i}." for i in range(60))
    chap = factories.chapter(handbook, by=editor, body=body)
    for i in range(2):
        typed(chap, counterpart, f"marking number {i}.", "technical", essential=i % 2 == 0)
    client = client_for(counterpart)
    url = chap.get_absolute_url() + "?type=essential"
    cold_one, warm_one = queries.get(client, url), queries.get(client, url)
    for i in range(2, 50):
        typed(chap, counterpart, f"marking number {i}.", "technical", essential=i % 2 == 0)
    cold_many, warm_many = queries.get(client, url), queries.get(client, url)
    assert cards(warm_many.response.content.decode()) == 25
    # The chapter page's budget (tests/comments/test_views.py) plus, the list being filtered,
    # the open suggestions for the overlay: the filter is one more condition, not a query.
    queries.expect(warm_one, warm_many)
    queries.expect(cold_one, cold_many)
