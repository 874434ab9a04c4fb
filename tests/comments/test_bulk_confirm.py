"""Accept all / Reject all: first the list and the count, then, confirmed, exactly what was
listed; a reject needs its reason, and nothing typed is lost."""

import pytest
from django.urls import reverse

from comments.models import SuggestionStatus
from tests import factories
from tests.comments.test_suggestion_views import in_round
from tests.comments.test_suggestions import BODY, suggest
from tests.conftest import client_for


@pytest.fixture
def text_chapter(handbook, editor):
    return in_round(factories.chapter(handbook, by=editor, body=BODY), editor)


@pytest.fixture
def two(text_chapter, counterpart, bosnian):
    return [
        suggest(text_chapter, "serial number", "serial number and make", by=counterpart),
        suggest(text_chapter, "evidence bag", "sealed evidence bag", by=bosnian),
    ]


def url(chapter) -> str:
    return reverse("comments:bulk_decide", args=[chapter.handbook.slug, chapter.pk])


def statuses(suggestions) -> list[str]:
    for suggestion in suggestions:
        suggestion.refresh_from_db()
    return [s.status for s in suggestions]


def test_the_first_step_lists_them_with_their_count_and_decides_nothing(text_chapter, two, editor):
    response = client_for(editor).post(url(text_chapter), {"action": "accept"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Accept these 2 suggestions?" in page
    assert page.index(f"#{two[0].number}<") < page.index(f"#{two[1].number}<")  # document order
    assert "serial number and make" in page and "sealed evidence bag" in page
    assert "Albania" in page and "Bosnia and Herzegovina" in page
    assert statuses(two) == [SuggestionStatus.OPEN, SuggestionStatus.OPEN]


def test_one_jurisdiction_only(text_chapter, two, editor, bosnian):
    response = client_for(editor).post(
        url(text_chapter), {"action": "reject", "jurisdiction": bosnian.jurisdiction_id}
    )
    page = response.content.decode()
    assert "Reject 1 suggestion?" in page
    assert "sealed evidence bag" in page and "serial number and make" not in page


def test_confirmed_decides_exactly_what_was_listed(text_chapter, two, editor, coordinator):
    client = client_for(editor)
    client.post(url(text_chapter), {"action": "accept"})
    # A suggestion arrives while the editor reads the list.
    late = suggest(text_chapter, "receipt", "written receipt", by=coordinator)
    response = client.post(
        url(text_chapter), {"action": "accept", "confirmed": "1", "ids": [s.pk for s in two]}
    )
    assert response.status_code == 302
    assert statuses(two) == [SuggestionStatus.ACCEPTED, SuggestionStatus.ACCEPTED]
    assert statuses([late]) == [SuggestionStatus.OPEN]


def test_a_reject_without_a_reason_is_refused_on_the_list_with_nothing_lost(
    text_chapter, two, editor
):
    client = client_for(editor)
    first = client.post(url(text_chapter), {"action": "reject", "reason": ""})
    assert first.status_code == 200 and "Reason (required)" in first.content.decode()
    response = client.post(
        url(text_chapter),
        {"action": "reject", "confirmed": "1", "ids": [s.pk for s in two], "reason": "  "},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say why the suggestions are rejected." in page
    assert f'name="ids" value="{two[0].pk}"' in page  # the same list, to try again
    assert statuses(two) == [SuggestionStatus.OPEN, SuggestionStatus.OPEN]
    done = client.post(
        url(text_chapter),
        {
            "action": "reject",
            "confirmed": "1",
            "ids": [s.pk for s in two],
            "reason": "Out of scope.",
        },
    )
    assert done.status_code == 302
    assert statuses(two) == [SuggestionStatus.REJECTED, SuggestionStatus.REJECTED]


def test_nothing_open_says_so(text_chapter, editor):
    response = client_for(editor).post(url(text_chapter), {"action": "accept"}, follow=True)
    assert "There is no open suggestion to decide." in response.content.decode()


def test_a_forged_action_is_a_400(text_chapter, two, editor):
    response = client_for(editor).post(url(text_chapter), {"action": "delete"})
    assert response.status_code == 400
    assert statuses(two) == [SuggestionStatus.OPEN, SuggestionStatus.OPEN]


def test_the_list_costs_the_same_queries_for_two_or_twelve(
    text_chapter, two, editor, counterpart, queries
):
    client = client_for(editor)
    with queries() as small:
        client.post(url(text_chapter), {"action": "accept"})
    for n in range(10):
        suggest(text_chapter, "person concerned", f"person concerned {n}", by=counterpart)
    with queries() as large:
        response = client.post(url(text_chapter), {"action": "accept"})
    assert "Accept these 12 suggestions?" in response.content.decode()
    queries.expect(small, large)


def test_a_forged_jurisdiction_is_a_400(text_chapter, two, editor):
    response = client_for(editor).post(url(text_chapter), {"action": "accept", "jurisdiction": "x"})
    assert response.status_code == 400
