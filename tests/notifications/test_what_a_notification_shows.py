"""A notification in the list says what it is about (issue 18, item 8): the item by its number,
the words of the chapter it is on, and the first lines of what was said, escaped; a deleted or
hidden comment's words are no longer shown; the list costs the same with 1 and 30."""

import pytest
from django.urls import reverse

from comments.actions import (
    add_comment,
    delete_comment,
    dispose,
    hide_comment,
    locate_point,
    open_thread,
    reject,
)
from handbook_review.notifications.delivery import SAID_CHARS, first_lines
from handbook_review.notifications.models import Notification
from tests import factories
from tests.conftest import client_for
from tests.notifications.conftest import start_thread


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """A block whose after-commit notices run at its end, as they would after the commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def listed(person):
    return client_for(person).get(reverse("notifications:list")).text


def test_a_reply_shows_its_thread_the_words_and_its_first_lines_escaped(
    reviewable, editor, counterpart, told
):
    thread = start_thread(reviewable, by=counterpart, words="serial number")
    body = (
        '<script>alert("x")</script> Look at **the frame**.\n\n'
        "Second line.\nThird line.\nFourth line, not shown."
    )
    with told():
        add_comment(thread, by=editor, body=body)
    [notice] = Notification.objects.filter(recipient=counterpart)
    assert (notice.about, notice.quote) == (f"Comment #{thread.number}", "serial number")
    page = listed(counterpart)
    assert f'<p class="about">Comment #{thread.number} · “serial number”</p>' in page
    assert (
        '<blockquote class="said">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Look at '
        "**the frame**.<br>Second line.<br>Third line. …</blockquote>"
    ) in page
    assert "<script>alert" not in page and "Fourth line" not in page


def test_what_was_said_is_cut_to_its_first_lines():
    assert first_lines("  One.\n\n\nTwo.\n") == "One.\nTwo."
    long = first_lines("word " * 100)
    assert len(long) <= SAID_CHARS and long.endswith("…")


def test_a_decision_shows_the_words_and_the_proposed_text(reviewable, editor, counterpart, told):
    suggestion = factories.suggestion(
        reviewable, by=counterpart, words="the calibre", replacement="the calibre and model"
    )
    with told():
        reject(suggestion, by=editor, reason="Model is not marked.")
    [notice] = Notification.objects.filter(recipient=counterpart)
    assert (notice.about, notice.quote, notice.said) == (
        f"Suggestion #{suggestion.number}",
        "the calibre",
        "the calibre and model",
    )


def test_a_disposition_shows_the_comment_it_disposes_of(reviewable, editor, counterpart, told):
    thread = start_thread(reviewable, by=counterpart, words="make", body="Which make?")
    with told():
        dispose(thread, by=editor, kind="noted", reason="Any make.")
    [notice] = Notification.objects.filter(recipient=counterpart)
    assert (notice.about, notice.quote, notice.said) == (
        f"Comment #{thread.number}",
        "make",
        "Which make?",
    )


def test_an_insertion_shows_the_words_either_side(reviewable, editor, counterpart, told):
    version = reviewable.version
    point = locate_point(
        reviewable, version=version, prefix="serial number,", suffix=" the make", start=None
    )
    thread = open_thread(reviewable, by=counterpart, anchor=point, body="Add the model.")
    with told():
        add_comment(thread, by=editor, body="Where?")
    [notice] = Notification.objects.filter(recipient=counterpart)
    assert notice.quote.startswith("…") and "number,‸ the make" in notice.quote


@pytest.mark.parametrize("how", ["deleted", "hidden"])
def test_a_comment_deleted_or_hidden_is_no_longer_shown(reviewable, editor, counterpart, told, how):
    thread = start_thread(reviewable, by=counterpart)
    with told():
        reply = add_comment(thread, by=editor, body="Something regrettable.")
    assert "Something regrettable." in listed(counterpart)
    if how == "deleted":
        delete_comment(reply, by=editor)
    else:
        hide_comment(reply, by=editor, reason="Off topic.")
    page = listed(counterpart)
    assert "Something regrettable." not in page
    assert f"Comment #{thread.number}" in page  # the notification itself stays


def test_the_list_costs_the_same_with_1_and_30_notices_of_replies(
    reviewable, editor, counterpart, queries, told
):
    thread = start_thread(reviewable, by=counterpart)
    client = client_for(counterpart)
    with told():
        add_comment(thread, by=editor, body="Reply 0.")
    one = queries.get(client, reverse("notifications:list"))
    with told():
        for n in range(1, 30):
            add_comment(thread, by=editor, body=f"Reply {n}.\nOn two lines.")
    thirty = queries.get(client, reverse("notifications:list"))
    assert thirty.response.text.count('class="said"') == 30
    # session, user (with the header's unread count), preference, paginator count, the page:
    # what a notification shows is written on it, nothing is fetched per item.
    queries.expect(one, thirty, equal=5)
