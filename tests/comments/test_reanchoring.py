"""Threads follow their text through new chapter versions, in the revising transaction."""

import pytest

from comments import anchoring
from comments.actions import open_thread, reopen_thread, resolve_thread
from comments.models import Anchor, NotAllowed, Thread, Visibility
from comments.policies import threads
from tests import factories

BODY = "The officer records the serial number of every firearm. Then the officer seals the bag.\n"


@pytest.fixture
def text_chapter(handbook, editor):
    return factories.chapter(handbook, by=editor, body=BODY)


def thread_on(chapter, words, *, by, visibility=Visibility.EVERYONE):
    text = chapter.plain_text()
    start = text.index(words)
    anchor = anchoring.describe(text, start, start + len(words))
    return open_thread(chapter, by=by, anchor=anchor, body="Please clarify.", visibility=visibility)


def test_text_typed_before_the_quote_moves_the_thread(text_chapter, editor, counterpart):
    thread = thread_on(text_chapter, "serial number", by=counterpart)
    text_chapter.revise(
        body="In all cases, " + BODY[0].lower() + BODY[1:], by=editor, reason="r", base_version=1
    )
    thread.refresh_from_db()
    new_text = text_chapter.plain_text()
    assert new_text[thread.start : thread.end] == "serial number"
    assert thread.anchored_version == 2
    outcomes = dict(Anchor.objects.filter(thread=thread).values_list("version", "outcome"))
    assert outcomes == {1: "created", 2: "moved"}


def test_old_version_keeps_the_old_position(text_chapter, editor, counterpart):
    thread = thread_on(text_chapter, "serial number", by=counterpart)
    old_start = thread.start
    text_chapter.revise(body="Intro. " + BODY, by=editor, reason="r", base_version=1)
    assert Anchor.objects.get(thread=thread, version=1).start == old_start
    assert Anchor.objects.get(thread=thread, version=2).start == old_start + len("Intro. ")


def test_deleting_the_quoted_text_orphans_but_keeps_the_thread(text_chapter, editor, counterpart):
    thread = thread_on(text_chapter, "serial number", by=counterpart)
    text_chapter.revise(
        body="Then the officer seals the bag.\n", by=editor, reason="r", base_version=1
    )
    thread.refresh_from_db()
    assert thread.is_orphaned
    assert thread.exact == "serial number"  # the original quote is kept for the orphan list
    assert thread.comments.count() == 1
    assert Anchor.objects.get(thread=thread, version=2).outcome == "orphaned"


def test_resolved_threads_stay_where_they_were_until_reopened(text_chapter, editor, counterpart):
    thread = thread_on(text_chapter, "seals the bag", by=counterpart)
    resolve_thread(thread, by=counterpart)
    text_chapter.revise(body="Intro. " + BODY, by=editor, reason="r", base_version=1)
    thread.refresh_from_db()
    assert thread.anchored_version == 1
    reopen_thread(thread, by=editor)
    thread.refresh_from_db()
    assert thread.anchored_version == 2
    assert text_chapter.plain_text()[thread.start : thread.end] == "seals the bag"


def test_counterpart_may_not_resolve_anothers_thread(text_chapter, counterpart, editor):
    other = factories.user(code="BA")
    thread = thread_on(text_chapter, "seals the bag", by=other)
    with pytest.raises(NotAllowed):
        resolve_thread(thread, by=counterpart)
    resolve_thread(thread, by=editor)
    assert not Thread.objects.get(pk=thread.pk).is_open


def test_editors_only_threads_are_invisible_to_other_counterparts(
    text_chapter, editor, counterpart
):
    other = factories.user(code="BA")
    mine = thread_on(text_chapter, "seals the bag", by=other, visibility=Visibility.EDITORS)
    public = thread_on(text_chapter, "serial number", by=editor)
    assert set(threads.visible_to(counterpart)) == {public}
    assert set(threads.visible_to(other)) == {public, mine}
    assert set(threads.visible_to(editor)) == {public, mine}


def test_counterpart_cannot_comment_on_a_draft(handbook, editor, counterpart):
    draft = factories.chapter(handbook, by=editor, body=BODY, status="draft")
    with pytest.raises(NotAllowed):
        thread_on(draft, "serial number", by=counterpart)
    assert not Thread.objects.exists()


def test_old_version_page_shows_threads_where_they_were(text_chapter, editor, counterpart):
    import json

    from django.urls import reverse

    from tests.conftest import client_for

    thread = thread_on(text_chapter, "serial number", by=counterpart)
    v1_start = thread.start
    text_chapter.revise(body="Intro. " + BODY, by=editor, reason="r", base_version=1)
    for version, start in ((1, v1_start), (2, v1_start + len("Intro. "))):
        url = reverse("version", args=[text_chapter.handbook.slug, text_chapter.pk, version])
        page = client_for(counterpart).get(url).content.decode()
        raw = page.split('data-anchors="', 1)[1].split('"', 1)[0].replace("&quot;", '"')
        assert json.loads(raw) == [
            {"id": thread.pk, "start": start, "end": start + len("serial number"), "open": True}
        ]
