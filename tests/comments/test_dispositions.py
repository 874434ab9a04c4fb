"""Editors give every thread of a round its disposition (revised only by a new record), a
suggestion's decision is its disposition, the commenter answers it in consolidation, and a
chapter is not approved while a comment has none."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from chapters.models import Chapter, Status, Transition
from chapters.review import GuardFailed, transition
from comments.actions import (
    accept,
    answer,
    decide_many,
    dispose,
    dispose_many,
    reject,
    withdraw,
)
from comments.models import (
    Answer,
    Conflict,
    Disposition,
    NotAllowed,
    Thread,
    ThreadStatus,
)
from handbook_review.notifications.models import Event, Notification
from handbook_review.people.models import Role
from tests import factories


def consolidate(chapter: Chapter) -> None:
    Chapter.objects.filter(pk=chapter.pk).update(status=Status.CONSOLIDATION)
    chapter.status = Status.CONSOLIDATION


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """A block whose after-commit notices run at its end, as they would after the commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def comment(chapter, counterpart):
    return factories.comment_thread(chapter, by=counterpart, body="Say which serial number.")


def fresh(thread: Thread) -> Thread:
    return Thread.objects.select_related("disposition").get(pk=thread.pk)


# --- Giving a disposition


def test_a_disposition_resolves_the_thread_and_is_what_it_points_at(comment, editor, clock):
    before = fresh(comment).updated_at
    clock.advance(timedelta(minutes=1))
    given = dispose(comment, by=editor, kind="noted", reason="The protocol says which.")
    thread = fresh(comment)
    assert thread.disposition == given
    assert (thread.status, thread.resolved_by) == (ThreadStatus.RESOLVED, editor)
    assert thread.updated_at > before
    assert (given.kind, given.reason, given.by, given.version) == (
        "noted",
        "The protocol says which.",
        editor,
        1,
    )


def test_revising_writes_a_new_record_and_keeps_the_old(comment, editor, other_editor):
    first = dispose(comment, by=editor, kind="not_accepted", reason="Out of scope.")
    second = dispose(
        comment, by=other_editor, kind="modified", applied_text="the serial number on the frame"
    )
    assert second.replaces == first
    assert list(Disposition.objects.filter(thread=comment).order_by("pk")) == [first, second]
    assert Disposition.objects.get(pk=first.pk).kind == "not_accepted"
    assert fresh(comment).disposition == second


def test_a_new_disposition_clears_the_answer(chapter, comment, editor, counterpart):
    consolidate(chapter)
    first = dispose(comment, by=editor, kind="deferred")
    answer(comment, by=counterpart, kind="contested", reason="It is urgent.")
    assert fresh(comment).answer == "contested"
    dispose(comment, by=editor, kind="accepted")
    assert fresh(comment).answer == ""
    assert Answer.objects.get().disposition == first


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("not_accepted", {}, "Say why"),
        ("noted", {"reason": "   "}, "Say why"),
        ("modified", {}, "text as applied"),
        ("duplicate", {}, "which comment"),
        ("urgent", {}, "Choose a disposition"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(comment, editor, kind, fields, message):
    with pytest.raises(NotAllowed, match=message):
        dispose(comment, by=editor, kind=kind, **fields)
    assert not Disposition.objects.exists()
    assert fresh(comment).status == ThreadStatus.OPEN


def test_a_duplicate_names_another_thread_of_the_same_handbook(
    handbook, chapter, comment, counterpart, editor
):
    other = factories.comment_thread(chapter, by=counterpart, words="calibre")
    with pytest.raises(NotAllowed, match="itself"):
        dispose(comment, by=editor, kind="duplicate", duplicate_of=comment)
    elsewhere_book = factories.handbook(codes=("AL",))
    elsewhere = factories.comment_thread(
        factories.chapter(elsewhere_book, by=editor), by=editor, words="calibre"
    )
    with pytest.raises(NotAllowed, match="no such comment"):
        dispose(comment, by=editor, kind="duplicate", duplicate_of=elsewhere)
    given = dispose(comment, by=editor, kind="duplicate", duplicate_of=other)
    assert given.duplicate_of == other
    # The other way round would make each a duplicate of the other.
    with pytest.raises(NotAllowed, match="itself marked a duplicate"):
        dispose(other, by=editor, kind="duplicate", duplicate_of=comment)
    assert Disposition.objects.count() == 1


@pytest.mark.parametrize("role", ["counterpart", "coordinator", "outsider"])
def test_only_editors_dispose(request, comment, role):
    with pytest.raises(NotAllowed):
        dispose(comment, by=request.getfixturevalue(role), kind="noted", reason="x")
    assert not Disposition.objects.exists()


def test_an_administrator_disposes(comment, administrator):
    assert dispose(comment, by=administrator, kind="accepted").by == administrator


# --- Suggestions: the decision is the disposition


def test_accepting_a_suggestion_writes_its_disposition(chapter, counterpart, editor):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="calibre.")
    decision = accept(found, by=editor, reason="Good.")
    row = Disposition.objects.get(thread=found.thread)
    assert (row.kind, row.decision, row.reason) == ("accepted", decision, "Good.")
    assert fresh(found.thread).disposition == row


def test_modifying_and_rejecting_write_their_dispositions(chapter, counterpart, editor):
    taken = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    refused = factories.suggestion(
        chapter, by=counterpart, words="Introductory", replacement="Opening"
    )
    accept(taken, by=editor, replacement="calibre (bore)")
    reject(refused, by=editor, reason="Keep it.")
    modified = Disposition.objects.get(thread=taken.thread)
    assert (modified.kind, modified.applied_text) == ("modified", "calibre (bore)")
    assert Disposition.objects.get(thread=refused.thread).kind == "not_accepted"


def test_decide_many_writes_a_disposition_each(chapter, counterpart, editor):
    found = [
        factories.suggestion(chapter, by=counterpart, words=w, replacement=w.upper())
        for w in ("calibre", "Introductory")
    ]
    decide_many(found, by=editor, action="reject", reason="No capitals.")
    assert Disposition.objects.filter(kind="not_accepted", reason="No capitals.").count() == 2


def test_disposing_of_a_suggestion_decides_it(chapter, counterpart, editor):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    given = dispose(found.thread, by=editor, kind="modified", applied_text="calibre or bore")
    found.refresh_from_db()
    chapter.refresh_from_db()
    assert found.status == "accepted" and "calibre or bore" in chapter.body
    assert given.decision.kind == "modified"
    deferred = factories.suggestion(chapter, by=counterpart, words="make", replacement="brand")
    later = dispose(deferred.thread, by=editor, kind="deferred")
    deferred.refresh_from_db()
    assert deferred.status == "rejected" and later.reason == "Deferred to a later edition."
    assert later.decision.reason == later.reason


def test_an_applied_suggestion_cannot_be_revised_to_not_accepted(chapter, counterpart, editor):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    first = dispose(found.thread, by=editor, kind="accepted")
    with pytest.raises(NotAllowed, match="edit the chapter"):
        dispose(found.thread, by=editor, kind="not_accepted", reason="Changed our mind.")
    again = dispose(found.thread, by=editor, kind="accepted", reason="Agreed at the workshop.")
    assert again.replaces == first and again.decision is None
    chapter.refresh_from_db()
    assert chapter.version == 2  # nothing applied twice


def test_a_rejected_suggestion_may_be_accepted_after_all(chapter, counterpart, editor):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    first = dispose(found.thread, by=editor, kind="not_accepted", reason="No.")
    second = dispose(found.thread, by=editor, kind="accepted", reason="On reflection, yes.")
    found.refresh_from_db()
    chapter.refresh_from_db()
    assert found.status == "accepted" and "bore" in chapter.body
    assert second.replaces == first


def test_a_conflicted_suggestion_is_refused_as_a_conflict(chapter, counterpart, editor):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    chapter.revise(
        body=chapter.body.replace("calibre", "gauge"), by=editor, reason="r", base_version=1
    )
    with pytest.raises(Conflict):
        dispose(found.thread, by=editor, kind="accepted")
    assert not Disposition.objects.exists()


def test_a_withdrawn_suggestion_takes_no_disposition(chapter, counterpart, editor):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    withdraw(found, by=counterpart)
    with pytest.raises(NotAllowed, match="withdrawn"):
        dispose(found.thread, by=editor, kind="noted", reason="Fine.")


# --- Bulk


def test_dispose_many_in_document_order_stops_at_the_first_failure(chapter, counterpart, editor):
    late = factories.comment_thread(chapter, by=counterpart, words="calibre")
    early = factories.comment_thread(chapter, by=counterpart, words="Introductory")
    found = factories.suggestion(chapter, by=counterpart, words="serial", replacement="s.")
    withdraw(found, by=counterpart)
    report = dispose_many(
        [late, found.thread, early], by=editor, kind="noted", reason="Editorial, later."
    )
    assert [t.pk for t in report.done] == [early.pk]
    assert report.stopped_at.pk == found.thread_id and "withdrawn" in report.error
    assert fresh(late).disposition is None


def test_bulk_disposition_tells_each_author_once(chapter, counterpart, bosnian, editor):
    mine = [
        factories.comment_thread(chapter, by=counterpart, words=w)
        for w in ("calibre", "Introductory", "make")
    ]
    theirs = factories.comment_thread(chapter, by=bosnian, words="serial")
    report = dispose_many([*mine, theirs], by=editor, kind="noted", reason="Next edition.")
    assert len(report.done) == 4
    told = Notification.objects.filter(event=Event.DISPOSITION)
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(
        [counterpart.email, bosnian.email]
    )
    assert "3 of your comments" in told.get(recipient=counterpart).subject


# --- The commenter's answer


def test_the_author_accepts_or_contests_in_consolidation(chapter, comment, editor, counterpart):
    given = dispose(comment, by=editor, kind="not_accepted", reason="Out of scope.")
    with pytest.raises(NotAllowed, match="consolidation"):
        answer(comment, by=counterpart, kind="accepted")
    consolidate(chapter)
    with pytest.raises(NotAllowed, match="why"):
        answer(comment, by=counterpart, kind="contested")
    assert not Answer.objects.exists()
    row = answer(comment, by=counterpart, kind="contested", reason="It is in scope.")
    assert (row.disposition, row.by) == (given, counterpart)
    assert fresh(comment).answer == "contested"


def test_the_authors_coordinator_answers_but_not_another_jurisdictions(
    chapter, comment, editor, coordinator
):
    consolidate(chapter)
    dispose(comment, by=editor, kind="accepted")
    bosnian_coordinator = factories.user(Role.COORDINATOR, code="BA")
    with pytest.raises(NotAllowed, match="author"):
        answer(comment, by=bosnian_coordinator, kind="accepted")
    assert answer(comment, by=coordinator, kind="accepted").by == coordinator


@pytest.mark.parametrize("role", ["bosnian", "editor", "outsider"])
def test_no_one_else_answers(request, chapter, comment, editor, role):
    consolidate(chapter)
    dispose(comment, by=editor, kind="accepted")
    with pytest.raises(NotAllowed):
        answer(comment, by=request.getfixturevalue(role), kind="contested", reason="No.")
    assert not Answer.objects.exists()


def test_an_answer_is_on_the_current_disposition(chapter, comment, editor, counterpart):
    consolidate(chapter)
    with pytest.raises(NotAllowed, match="no disposition"):
        answer(comment, by=counterpart, kind="accepted")
    first = dispose(comment, by=editor, kind="deferred")
    dispose(comment, by=editor, kind="accepted")
    with pytest.raises(NotAllowed, match="revised"):
        answer(comment, by=counterpart, kind="accepted", on=first.pk)
    assert not Answer.objects.exists()


# --- Notifications


def test_the_author_is_told_of_a_disposition_and_of_a_revision(comment, editor, counterpart, told):
    with told():
        dispose(comment, by=editor, kind="deferred")
    with told():
        dispose(comment, by=editor, kind="accepted")
    told = Notification.objects.filter(recipient=counterpart, event=Event.DISPOSITION)
    assert told.count() == 2
    assert "revised" in told.order_by("pk").last().subject
    assert not Notification.objects.filter(recipient=editor).exists()


def test_an_author_who_can_no_longer_see_the_thread_is_not_told(chapter, editor, counterpart, told):
    thread = factories.comment_thread(chapter, by=counterpart)
    counterpart.is_active = False
    counterpart.save()
    with told():
        dispose(thread, by=editor, kind="noted", reason="Internal.")
    assert not Notification.objects.exists()


def test_the_editors_are_told_of_a_contested_answer(
    chapter, comment, editor, other_editor, administrator, counterpart, told
):
    from comments.actions import add_comment

    add_comment(comment, by=other_editor, body="Looking into it.")
    consolidate(chapter)
    dispose(comment, by=editor, kind="not_accepted", reason="No.")
    with told():
        answer(comment, by=counterpart, kind="contested", reason="Yes.")
    told = Notification.objects.filter(event=Event.ANSWER)
    assert set(told.values_list("recipient", flat=True)) == {editor.pk, other_editor.pk}
    assert "contests" in told.first().subject


def test_a_suggestions_proposer_is_told_once(chapter, counterpart, editor, told):
    found = factories.suggestion(chapter, by=counterpart, words="calibre", replacement="bore")
    with told():
        dispose(found.thread, by=editor, kind="deferred")
    told = Notification.objects.filter(recipient=counterpart)
    assert told.count() == 1 and "Deferred" in told.get().body


# --- The approval guard


def test_approval_waits_for_every_disposition(chapter, comment, counterpart, editor):
    editors_own = factories.comment_thread(chapter, by=editor, words="calibre")
    withdrawn = factories.suggestion(chapter, by=counterpart, words="make", replacement="brand")
    withdraw(withdrawn, by=counterpart)
    internal = factories.comment_thread(chapter, by=counterpart, words="Introductory")
    Thread.objects.filter(pk=internal.pk).update(position="internal", status="resolved")
    Thread.objects.filter(pk=comment.pk).update(status="resolved")
    Thread.objects.filter(pk=editors_own.pk).update(status="resolved")
    consolidate(chapter)
    with pytest.raises(GuardFailed) as refused:
        transition(chapter, to=Status.APPROVED, by=editor)
    assert refused.value.reasons == ["1 comment without a disposition"]
    dispose(comment, by=editor, kind="accepted")
    transition(chapter, to=Status.APPROVED, by=editor)
    assert Chapter.objects.get(pk=chapter.pk).status == Status.APPROVED


def test_the_guard_can_be_overridden_with_a_note(chapter, counterpart, editor):
    for words in ("calibre", "make", "Introductory"):
        factories.comment_thread(chapter, by=counterpart, words=words)
    Thread.objects.update(status="resolved")
    consolidate(chapter)
    with pytest.raises(GuardFailed) as refused:
        transition(chapter, to=Status.APPROVED, by=editor, override=True)
    assert "3 comments without a disposition" in refused.value.reasons
    record = transition(
        chapter, to=Status.APPROVED, by=editor, override=True, note="Agreed at the workshop."
    )
    assert Transition.objects.get(pk=record.pk).override is True
    assert record.note == "Agreed at the workshop."


def test_a_merged_thread_needs_no_disposition(chapter, counterpart, editor):
    kept = factories.comment_thread(chapter, by=counterpart, words="calibre")
    merged = factories.comment_thread(chapter, by=counterpart, words="make")
    Thread.objects.filter(pk=merged.pk).update(merged_into=kept, status="resolved")
    dispose(kept, by=editor, kind="accepted")
    consolidate(chapter)
    transition(chapter, to=Status.APPROVED, by=editor)


# --- Two editors at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_editors_disposing_at_once_make_two_records_in_sequence(
    handbook, editor, other_editor, counterpart
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two real connections need PostgreSQL")
    chap = factories.chapter(handbook, by=editor)
    thread = factories.comment_thread(chap, by=counterpart)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def give(person, kind):
        try:
            barrier.wait(timeout=10)
            dispose(thread, by=person, kind=kind, reason="At once.")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=give, args=(editor, "noted")),
        threading.Thread(target=give, args=(other_editor, "deferred")),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors
    first, second = Disposition.objects.filter(thread=thread).order_by("pk")
    assert first.replaces is None and second.replaces == first
    assert Thread.objects.get(pk=thread.pk).disposition == second
