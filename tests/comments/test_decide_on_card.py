"""Editors decide where they read: Accept, Modify and Reject on every open suggestion's card
(collapsed too), and Accept through htmx answers with the navigation to the new version."""

import re

from django.urls import reverse

from comments.actions import mark_conflicted
from comments.models import SuggestionStatus
from tests.comments.test_suggestions import suggest
from tests.comments.test_tracked_changes import text_chapter
from tests.conftest import client_for

__all__ = ["text_chapter"]  # the fixture, used by name


def card(page: str, thread_id: int) -> str:
    found = re.search(
        rf'<article class="thread[^"]*" id="thread-{thread_id}".*?</article>', page, re.S
    )
    assert found is not None
    return found.group(0)


def test_a_collapsed_card_offers_the_editor_accept_modify_and_reject(
    text_chapter, counterpart, editor
):
    suggestion = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    shown = card(page, suggestion.thread_id)
    assert "expanded" not in shown.split(">", 1)[0]
    accept = reverse("comments:accept_suggestion", args=[suggestion.pk])
    assert f'hx-post="{accept}">Accept</button>' in shown
    assert reverse("comments:decide_suggestion", args=[suggestion.pk]) in shown
    assert reverse("comments:reject_suggestion", args=[suggestion.pk]) in shown
    # Cached for everyone of the audience: no one's CSRF token in it.
    assert "csrfmiddlewaretoken" not in shown
    # The popover that offers the same buttons at a tracked change is on the page.
    assert 'id="change-popover"' in page


def test_counterparts_get_no_decision_buttons_even_with_the_cards_cached(
    text_chapter, counterpart, bosnian, editor
):
    suggestion = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    client_for(editor).get(text_chapter.get_absolute_url())  # the editor's panel cached first
    for person in (counterpart, bosnian):
        page = client_for(person).get(text_chapter.get_absolute_url()).content.decode()
        shown = card(page, suggestion.thread_id)
        assert "accept" not in shown and "Reject" not in shown
        assert 'id="change-popover"' not in page


def test_a_conflicted_suggestion_offers_resolve_not_accept(text_chapter, counterpart, editor):
    suggestion = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    mark_conflicted(suggestion)
    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    shown = card(page, suggestion.thread_id)
    assert "Resolve conflict" in shown and "hx-post" not in shown


def test_accept_through_htmx_answers_with_the_way_to_the_new_version(
    text_chapter, counterpart, editor
):
    suggestion = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    response = client_for(editor).post(
        reverse("comments:accept_suggestion", args=[suggestion.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    thread = suggestion.thread_id
    assert response["HX-Redirect"] == (
        text_chapter.get_absolute_url() + f"?thread={thread}#thread-{thread}"
    )
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    text_chapter.refresh_from_db()
    assert "serial number and make" in text_chapter.body
    # Without htmx, the same redirect as ever.
    other = suggest(text_chapter, "evidence bag", "sealed bag", by=counterpart)
    plain = client_for(editor).post(reverse("comments:accept_suggestion", args=[other.pk]))
    assert plain.status_code == 302


def test_a_counterpart_cannot_accept_through_htmx_either(text_chapter, counterpart, bosnian):
    suggestion = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    response = client_for(bosnian).post(
        reverse("comments:accept_suggestion", args=[suggestion.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.OPEN


# --- Whose change is whose; decided ones no longer look open


def test_tracked_changes_and_cards_carry_the_proposers_jurisdiction(
    text_chapter, counterpart, bosnian, editor
):
    from tests.comments.test_tracked_changes import tracked_changes

    albanian = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    bosnian_one = suggest(text_chapter, "evidence bag", "sealed bag", by=bosnian)
    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    whose = {c["id"]: (c["jurisdiction"], c["jurisdiction_name"]) for c in tracked_changes(page)}
    assert whose == {
        albanian.thread_id: ("AL", "Albania"),
        bosnian_one.thread_id: ("BA", "Bosnia and Herzegovina"),
    }
    assert '<span class="j-tag j-al" title="Albania">AL</span>' in card(page, albanian.thread_id)
    assert 'class="j-tag j-ba"' in card(page, bosnian_one.thread_id)


def test_a_decided_suggestion_says_what_became_of_it(text_chapter, counterpart, editor):
    from comments.actions import accept, reject

    taken = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    refused = suggest(text_chapter, "evidence bag", "sealed bag", by=counterpart)
    open_one = suggest(text_chapter, "A receipt", "One receipt", by=counterpart)
    accept(taken, by=editor)
    reject(refused, by=editor, reason="No.")
    text_chapter.refresh_from_db()
    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    accepted_card = card(page, taken.thread_id)
    assert 'class="proposal sg-accepted decided"' in accepted_card
    assert f"Applied: the text has read so since version {text_chapter.version}." in accepted_card
    assert 'class="proposal sg-rejected decided"' in card(page, refused.thread_id)
    assert "Not applied: the text was left as it was." in card(page, refused.thread_id)
    assert 'class="proposal sg-open"' in card(page, open_one.thread_id)
