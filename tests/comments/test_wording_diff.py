"""Modify and accept: the editor's wording is shown as a word diff against the words it replaces,
redrawn as they type (htmx) or on "Show the difference" without JavaScript, which decides
nothing and keeps what was typed; against the current text when the suggestion is conflicted."""

import pytest
from django.urls import reverse

from comments.models import SuggestionStatus
from tests import factories
from tests.comments.test_suggestion_views import in_round
from tests.comments.test_suggestions import BODY, suggest
from tests.conftest import client_for


@pytest.fixture
def suggestion(handbook, editor, counterpart):
    chapter = in_round(factories.chapter(handbook, by=editor, body=BODY), editor)
    return suggest(chapter, "serial number", "serial number and make", by=counterpart)


def diff_url(suggestion) -> str:
    return reverse("comments:wording_diff", args=[suggestion.pk])


def decide_url(suggestion) -> str:
    return reverse("comments:decide_suggestion", args=[suggestion.pk])


def test_the_modify_page_shows_the_proposed_wording_as_a_diff_and_asks_for_it_live(
    suggestion, editor
):
    page = client_for(editor).get(decide_url(suggestion)).content.decode()
    assert 'id="wording-diff"' in page
    assert "serial number<ins> and make</ins>" in page.split('id="wording-diff"')[1]
    assert f'hx-post="{diff_url(suggestion)}"' in page
    assert 'hx-target="#wording-diff"' in page


def test_the_live_diff_is_the_typed_wording_against_the_original_escaped(suggestion, editor):
    response = client_for(editor).post(diff_url(suggestion), {"replacement": "serial <b>code</b>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("serial ")
    assert "<del>number</del>" in html and "<ins>&lt;b&gt;code&lt;/b&gt;</ins>" in html
    assert "<b>" not in html


def test_show_the_difference_decides_nothing_and_keeps_the_wording(suggestion, editor):
    response = client_for(editor).post(
        decide_url(suggestion),
        {"replacement": "serial and batch number", "reason": "Batch too.", "preview": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "serial <ins>and batch </ins>number" in page
    assert "serial and batch number</textarea>" in page and "Batch too.</textarea>" in page
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.OPEN


def test_a_conflicted_suggestion_is_diffed_against_the_current_text(suggestion, editor):
    chapter = suggestion.thread.chapter
    chapter.revise(
        body=BODY.replace("serial number", "serial code"),
        by=editor,
        reason="Editorial",
        base_version=chapter.version,
    )
    html = (
        client_for(editor)
        .post(diff_url(suggestion), {"replacement": "serial code and make"})
        .content.decode()
    )
    assert "<ins> and make</ins>" in html and "<del>" not in html


def test_an_overlong_wording_is_refused_with_a_message(suggestion, editor):
    response = client_for(editor).post(diff_url(suggestion), {"replacement": "x" * 20_001})
    assert response.status_code == 400
    assert "longer than" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 404), ("counterpart", 403), ("editor", 200)],
)
def test_who_may_ask_for_the_diff(request, suggestion, who, status):
    person = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(person)
    assert client.post(diff_url(suggestion), {"replacement": "serial"}).status_code == status
    if who == "editor":
        assert client.get(diff_url(suggestion)).status_code == 405
