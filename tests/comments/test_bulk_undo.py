"""A bulk decision can be undone by its editor for a few minutes: the text of before comes back
as a new version (recorded, with its reason), the suggestions and their threads open again with
a 'reopened' decision; refused once the chapter moved on, a suggestion was decided again, or
the minutes are up."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse

from comments.actions import CannotUndo, accept, undo_bulk
from comments.models import UNDO_MINUTES, BulkRun, Decision, SuggestionStatus, ThreadStatus
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


def decide_all(client, chapter, suggestions, action, reason=""):
    return client.post(
        reverse("comments:bulk_decide", args=[chapter.handbook.slug, chapter.pk]),
        {
            "action": action,
            "confirmed": "1",
            "ids": [s.pk for s in suggestions],
            "reason": reason,
        },
    )


def undo_url(run) -> str:
    return reverse("comments:undo_bulk", args=[run.pk])


def refreshed(objects):
    for each in objects:
        each.refresh_from_db()
    return objects


def test_the_chapter_page_offers_the_undo_after_a_bulk_decision(text_chapter, two, editor):
    client = client_for(editor)
    response = decide_all(client, text_chapter, two, "reject", reason="Out of scope.")
    page = client.get(response.url).content.decode()
    run = BulkRun.objects.get()
    assert "You rejected 2 suggestions at once." in page
    assert f'action="{undo_url(run)}"' in page
    assert "Possible until" in page
    # Only on this chapter's page, and not for another editor.
    other = factories.chapter(text_chapter.handbook, by=editor, body="Other text.\n")
    assert "at once." not in client.get(other.get_absolute_url()).content.decode()


def test_undoing_a_bulk_accept_restores_the_text_as_a_new_version_and_reopens_them(
    text_chapter, two, editor, counterpart, django_capture_on_commit_callbacks
):
    client = client_for(editor)
    decide_all(client, text_chapter, two, "accept")
    text_chapter.refresh_from_db()
    assert text_chapter.version == 3 and "sealed evidence bag" in text_chapter.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(undo_url(BulkRun.objects.get()))
    assert response.status_code == 302
    text_chapter.refresh_from_db()
    assert text_chapter.body == BODY and text_chapter.version == 4  # a new version, not a rewind
    restoring = text_chapter.history.get(version=4)
    assert restoring.history_user == editor
    assert restoring.history_change_reason.startswith("Undo of the bulk acceptance of ")
    assert "the text of version 1 restored" in restoring.history_change_reason
    for suggestion in refreshed(two):
        assert suggestion.status == SuggestionStatus.OPEN and suggestion.applied_version is None
        assert suggestion.thread.status == ThreadStatus.OPEN
        assert suggestion.thread.disposition is None
        assert suggestion.decisions.order_by("pk").last().kind == Decision.Kind.REOPENED
    # The proposers are told; the offer is gone from the page.
    told = [m for m in mail.outbox if m.to == [counterpart.email]]
    assert told and "was reopened" in told[0].subject
    page = client.get(text_chapter.get_absolute_url()).content.decode()
    assert "at once." not in page and "Undone: 2 suggestions are open again." in page
    # What was reopened can be decided again, against the restored text.
    client.post(reverse("comments:accept_suggestion", args=[two[0].pk]))
    text_chapter.refresh_from_db()
    assert "serial number and make" in text_chapter.body


def test_undoing_a_bulk_reject_changes_no_text(text_chapter, two, editor):
    client = client_for(editor)
    decide_all(client, text_chapter, two, "reject", reason="Out of scope.")
    client.post(undo_url(BulkRun.objects.get()))
    text_chapter.refresh_from_db()
    assert text_chapter.version == 1
    assert [s.status for s in refreshed(two)] == [SuggestionStatus.OPEN] * 2


def test_an_undo_is_refused_after_the_minutes_are_up(text_chapter, two, editor, clock):
    client = client_for(editor)
    clock.set_to(clock.now())
    decide_all(client, text_chapter, two, "reject", reason="Out of scope.")
    clock.advance(timedelta(minutes=UNDO_MINUTES, seconds=1))
    assert "at once." not in client.get(text_chapter.get_absolute_url()).content.decode()
    response = client.post(undo_url(BulkRun.objects.get()), follow=True)
    assert "can be undone for 10 minutes only" in response.content.decode()
    assert [s.status for s in refreshed(two)] == [SuggestionStatus.REJECTED] * 2


def test_an_undo_is_refused_once_the_chapter_changed_since(text_chapter, two, editor):
    client = client_for(editor)
    decide_all(client, text_chapter, two, "accept")
    text_chapter.refresh_from_db()
    text_chapter.revise(
        body=text_chapter.body + "\nA new paragraph.\n",
        by=editor,
        reason="Editorial",
        base_version=text_chapter.version,
    )
    response = client.post(undo_url(BulkRun.objects.get()), follow=True)
    assert "The chapter has changed since these decisions (version 4)" in (
        response.content.decode()
    )
    text_chapter.refresh_from_db()
    assert "A new paragraph." in text_chapter.body and "sealed evidence bag" in text_chapter.body
    assert [s.status for s in refreshed(two)] == [SuggestionStatus.ACCEPTED] * 2


def test_an_undo_is_refused_once_one_was_decided_again(text_chapter, two, editor):
    client = client_for(editor)
    decide_all(client, text_chapter, two, "reject", reason="Out of scope.")
    run = BulkRun.objects.get()
    undo_bulk(run, by=editor)
    with pytest.raises(CannotUndo, match="undone already"):
        undo_bulk(run, by=editor)
    # Decided again by hand, then an older run's undo would undo that too.
    client.post(reverse("comments:reject_suggestion", args=[two[0].pk]), {"reason": "Duplicate."})
    assert refreshed(two)[0].status == SuggestionStatus.REJECTED
    run.undone_at = None
    run.save(update_fields=["undone_at"])
    with pytest.raises(CannotUndo, match="decided again"):
        undo_bulk(run, by=editor)


def test_suggestions_the_run_made_conflicted_open_again(text_chapter, editor, counterpart, bosnian):
    first = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    overlapping = suggest(text_chapter, "serial number of", "number on", by=bosnian)
    client = client_for(editor)
    decide_all(client, text_chapter, [first], "accept")
    overlapping.refresh_from_db()
    assert overlapping.status == SuggestionStatus.CONFLICTED
    client.post(undo_url(BulkRun.objects.get()))
    overlapping.refresh_from_db()
    assert overlapping.status == SuggestionStatus.OPEN


MATRIX = [
    # (who, status): only the editor who ran it may undo; others 403, counterparts 403, no
    # login goes to the login page, someone who cannot see the chapter 404.
    ("anonymous", 302),
    ("outsider", 404),
    ("counterpart", 403),
    ("other_editor", 403),
    ("editor", 302),
]


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_who_may_undo(request, text_chapter, two, editor, who, status):
    decide_all(client_for(editor), text_chapter, two, "reject", reason="Out of scope.")
    run = BulkRun.objects.get()
    person = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_for(person).post(undo_url(run))
    assert response.status_code == status
    expected = SuggestionStatus.OPEN if who == "editor" else SuggestionStatus.REJECTED
    assert [s.status for s in refreshed(two)] == [expected] * 2


def test_an_unknown_run_is_404_and_get_is_refused(text_chapter, editor):
    client = client_for(editor)
    assert client.post(reverse("comments:undo_bulk", args=[999])).status_code == 404
    assert client.get(reverse("comments:undo_bulk", args=[999])).status_code == 405


def test_no_undo_run_is_recorded_when_nothing_was_decided(text_chapter, two, editor):
    two[0].thread.chapter.revise(
        body=BODY.replace("serial number", "number"),
        by=editor,
        reason="Editorial",
        base_version=1,
    )
    decide_all(client_for(editor), text_chapter, two[:1], "accept")
    assert not BulkRun.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_undo_racing_another_editors_accept_never_loses_that_accept(
    handbook, editor, other_editor, counterpart, bosnian
):
    """Two real connections: the undo and another editor's accept queue on the chapter row;
    whichever goes second sees the first. Either the undo lands first (and the accept then
    merges into the restored text) or the accept does (and the undo is refused): never an
    undo that rewinds past the other editor's version."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two real connections need PostgreSQL")
    chapter = factories.chapter(handbook, by=editor, body=BODY)
    two = [
        suggest(chapter, "serial number", "serial number and make", by=counterpart),
        suggest(chapter, "evidence bag", "sealed evidence bag", by=bosnian),
    ]
    decide_all(client_for(editor), chapter, two, "accept")
    late = suggest(chapter, "A receipt", "A written receipt", by=counterpart)
    run = BulkRun.objects.get()
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def undo():
        try:
            barrier.wait(timeout=10)
            outcomes["undo"] = undo_bulk(run, by=editor)
        except Exception as error:  # reported below
            outcomes["undo"] = error
        finally:
            connections.close_all()

    def accept_late():
        try:
            barrier.wait(timeout=10)
            outcomes["accept"] = accept(late, by=other_editor)
        except Exception as error:  # reported below
            outcomes["accept"] = error
        finally:
            connections.close_all()

    workers = [threading.Thread(target=undo), threading.Thread(target=accept_late)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not isinstance(outcomes["accept"], Exception), outcomes
    chapter.refresh_from_db()
    assert "A written receipt" in chapter.body  # the other editor's accept is never lost
    if isinstance(outcomes["undo"], CannotUndo):
        assert "sealed evidence bag" in chapter.body and chapter.version == 4
    else:
        assert not isinstance(outcomes["undo"], Exception), outcomes
        assert "sealed evidence bag" not in chapter.body and chapter.version == 5
