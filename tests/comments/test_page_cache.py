"""The chapter page's thread panel is cached whole (comments.cards.thread_panel) under the
chapter's version, the threads' change stamp, the reader's audience, the language and the
filters. One test per input of the key: change only that input after the panel is warm for
someone else, and the page shows what this reader, now, may see; never another's panel."""

from datetime import timedelta

import pytest
from django.urls import reverse

from comments.actions import add_comment
from comments.models import PositionKind, Thread, Visibility
from handbook_review.people.models import Role
from tests import factories
from tests.conftest import client_for


def panel(person, chapter, query=""):
    page = client_for(person).get(chapter.get_absolute_url() + query)
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('<section id="threads"') :]


@pytest.fixture
def thread(chapter, counterpart):
    return factories.comment_thread(chapter, by=counterpart, body="Which serial number?")


def test_a_new_comment_is_on_the_next_page(chapter, thread, counterpart, bosnian):
    assert "Which serial number?" in panel(bosnian, chapter)  # warm
    add_comment(thread, by=counterpart, body="And the calibre?")
    assert "1 reply" in panel(bosnian, chapter)


def test_a_new_version_moves_the_highlights(chapter, thread, editor, bosnian):
    before = panel(bosnian, chapter)
    chapter.revise(
        body="A new opening sentence.\n\n" + chapter.body, by=editor, reason="r", base_version=1
    )
    after = panel(bosnian, chapter)
    assert before != after
    thread.refresh_from_db()
    assert f"&quot;start&quot;: {thread.start}," in after


def test_an_editors_only_thread_stays_with_editors_though_their_panel_is_warm(
    chapter, editor, bosnian
):
    factories.comment_thread(
        chapter, by=editor, words="serial number", body="Between us.", visibility="editors"
    )
    assert "Between us." in panel(editor, chapter)  # warm for the editors' audience
    assert "Between us." not in panel(bosnian, chapter)


def test_a_jurisdictions_internal_thread_stays_with_it(chapter, thread, counterpart, bosnian):
    Thread.objects.filter(pk=thread.pk).update(
        position=PositionKind.INTERNAL, updated_at=thread.updated_at + timedelta(seconds=1)
    )
    albanian = factories.user(Role.COUNTERPART, code="AL", name="Another Albanian")
    assert "Which serial number?" in panel(albanian, chapter)  # warm for Albania
    assert "Which serial number?" not in panel(bosnian, chapter)


def test_ones_own_editors_only_thread_is_not_shown_to_a_colleague(chapter, counterpart):
    factories.comment_thread(
        chapter,
        by=counterpart,
        words="serial number",
        body="For the editors.",
        visibility="editors",
    )
    colleague = factories.user(Role.COUNTERPART, code="AL", name="A Colleague")
    assert "For the editors." in panel(counterpart, chapter)  # warm for its author
    assert "For the editors." not in panel(colleague, chapter)
    assert "For the editors." in panel(counterpart, chapter)


def test_the_round_closing_takes_reply_away(chapter, thread, bosnian, clock):
    assert ">Reply</a>" in panel(bosnian, chapter)  # warm while the round is open
    clock.set_to(clock.now() + timedelta(days=30))
    after = panel(bosnian, chapter)
    assert ">Reply</a>" not in after and "Open the thread" in after


def test_another_language_gets_its_own_panel(chapter, thread, counterpart, bosnian):
    assert "thread</h2>" in panel(counterpart, chapter)  # warm in English
    bosnian.language = "bs"
    bosnian.save(update_fields=["language"])
    assert "thread</h2>" not in panel(bosnian, chapter)


def test_filters_get_their_own_panel(chapter, thread, editor, bosnian):
    assert "Which serial number?" in panel(bosnian, chapter)
    client_for(editor).post(reverse("comments:resolve", args=[thread.pk]), {"action": "resolve"})
    assert "Which serial number?" not in panel(bosnian, chapter, "?status=open")
    assert "Which serial number?" in panel(bosnian, chapter, "?status=resolved")


def test_visibility_changed_after_the_fact_follows(chapter, thread, editor, bosnian):
    assert "Which serial number?" in panel(bosnian, chapter)
    Thread.objects.filter(pk=thread.pk).update(
        visibility=Visibility.EDITORS, updated_at=thread.updated_at + timedelta(seconds=1)
    )
    assert "Which serial number?" not in panel(bosnian, chapter)
    assert "Which serial number?" in panel(editor, chapter)
