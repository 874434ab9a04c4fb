"""A jurisdiction's national position and ballot (comments/actions/ballots.py): the coordinator's
endorse, hold back, merge and undo; the vote and its rules; the sign-off it replaces; internal
threads kept inside the jurisdiction; the disapproval that stands in the way of approval."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse

from chapters import review
from chapters.models import Round, SignOff, Status, Transition
from comments import anchoring, policies
from comments.actions import (
    cast_vote,
    endorse,
    hold_back,
    merge,
    open_thread,
    reopen_position,
)
from comments.models import (
    Disposition,
    DispositionKind,
    NotAllowed,
    Position,
    PositionKind,
    Thread,
    Vote,
    VoteValue,
)
from comments.vetoes import standing_disapprovals
from handbook_review.notifications.models import Event, Notification
from handbook_review.people.models import Agency, Role
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def typed_thread(chapter, *, by, words="serial number", essential=True, body="Essential."):
    """A technical thread (essential unless told) on `words`."""
    chapter.refresh_from_db()
    text = chapter.plain_text()
    at = text.index(words)
    return open_thread(
        chapter,
        by=by,
        anchor=anchoring.describe(text, at, at + len(words)),
        body=body,
        category="technical",
        essential=essential,
    )


@pytest.fixture
def workshop(chapter):
    return Round.objects.get(chapters=chapter)


@pytest.fixture
def albanian_thread(chapter, counterpart):
    return typed_thread(chapter, by=counterpart)


@pytest.fixture
def ba_coordinator(db):
    """Bosnian coordinator: coordinates Bosnia, not Albania."""
    return factories.user(Role.COORDINATOR, code="BA", agency=Agency.CUSTOMS, name="Bosnian Coord")


def unchanged(thread):
    fresh = Thread.objects.get(pk=thread.pk)
    return fresh.position == "" and fresh.merged_into_id is None and not Position.objects.exists()


# --- Endorse, hold back, merge, undo


def test_endorsing_records_the_position_and_touches_the_card(albanian_thread, coordinator, clock):
    before = Thread.objects.get(pk=albanian_thread.pk).updated_at
    clock.advance(timedelta(minutes=1))
    endorse(albanian_thread, by=coordinator)
    fresh = Thread.objects.get(pk=albanian_thread.pk)
    assert fresh.position == PositionKind.ENDORSED
    assert fresh.updated_at > before
    [row] = Position.objects.all()
    assert (row.thread_id, row.kind, row.by_id) == (fresh.pk, "endorsed", coordinator.pk)


def test_a_coordinator_of_albania_cannot_endorse_a_bosnian_comment(chapter, bosnian, coordinator):
    bosnian_thread = typed_thread(chapter, by=bosnian)
    with pytest.raises(NotAllowed):
        endorse(bosnian_thread, by=coordinator)
    assert unchanged(bosnian_thread)


def test_an_endorsed_comment_must_be_undone_before_it_is_held_back(albanian_thread, coordinator):
    endorse(albanian_thread, by=coordinator)
    with pytest.raises(NotAllowed, match="undo"):
        hold_back(albanian_thread, by=coordinator, reason="Internal.")
    reopen_position(albanian_thread, by=coordinator)
    assert Thread.objects.get(pk=albanian_thread.pk).position == PositionKind.OPEN
    hold_back(albanian_thread, by=coordinator, reason="Internal.")
    kinds = list(Position.objects.values_list("kind", flat=True))
    assert kinds == ["endorsed", "open", "internal"]  # the history is kept


def test_holding_back_needs_a_reason_and_tells_the_author(
    albanian_thread, coordinator, counterpart, django_capture_on_commit_callbacks
):
    with pytest.raises(NotAllowed, match="why"):
        hold_back(albanian_thread, by=coordinator, reason="  ")
    assert unchanged(albanian_thread)
    with django_capture_on_commit_callbacks(execute=True):
        hold_back(albanian_thread, by=coordinator, reason="We settle this at home.")
    [told] = Notification.objects.filter(event=Event.POSITION)
    assert told.recipient == counterpart
    assert "held back" in told.subject and "We settle this at home." in told.body


def test_merging_a_duplicate_points_to_the_other_and_tells_the_author(
    chapter, counterpart, coordinator, django_capture_on_commit_callbacks
):
    kept = typed_thread(chapter, by=counterpart)
    duplicate = typed_thread(chapter, by=counterpart, words="calibre", body="Same point.")
    with django_capture_on_commit_callbacks(execute=True):
        merge(duplicate, into=kept, by=coordinator, reason="Says the same.")
    fresh = Thread.objects.get(pk=duplicate.pk)
    assert (fresh.position, fresh.merged_into_id) == (PositionKind.MERGED, kept.pk)
    assert fresh.comments.get().body == "Same point."  # the merged thread keeps its text
    [told] = Notification.objects.filter(event=Event.POSITION)
    assert told.recipient == counterpart and "merged" in told.subject
    reopen_position(duplicate, by=coordinator)
    fresh.refresh_from_db()
    assert (fresh.position, fresh.merged_into_id) == (PositionKind.OPEN, None)


def test_a_merge_into_itself_another_jurisdiction_or_a_merged_thread_is_refused(
    chapter, counterpart, bosnian, coordinator
):
    first = typed_thread(chapter, by=counterpart)
    second = typed_thread(chapter, by=counterpart, words="calibre")
    third = typed_thread(chapter, by=counterpart, words="make")
    bosnian_thread = typed_thread(chapter, by=bosnian, words="Officers")
    with pytest.raises(NotAllowed, match="itself"):
        merge(first, into=first, by=coordinator)
    with pytest.raises(NotAllowed, match="jurisdiction"):
        merge(first, into=bosnian_thread, by=coordinator)
    merge(second, into=first, by=coordinator)
    with pytest.raises(NotAllowed, match="merged"):
        merge(third, into=second, by=coordinator)
    with pytest.raises(NotAllowed, match="merged into this one"):
        merge(first, into=third, by=coordinator)
    assert Position.objects.count() == 1


def test_nothing_is_consolidated_after_the_round_closed(albanian_thread, coordinator, workshop):
    Round.objects.filter(pk=workshop.pk).update(closes_at=workshop.opens_at + timedelta(minutes=1))
    for attempt in (
        lambda: endorse(albanian_thread, by=coordinator),
        lambda: hold_back(albanian_thread, by=coordinator, reason="r"),
    ):
        with pytest.raises(NotAllowed, match="closed"):
            attempt()
    assert unchanged(albanian_thread)


# --- The vote


def test_a_disapproval_needs_an_essential_comment_of_the_voters_own(
    chapter, workshop, counterpart, bosnian, coordinator
):
    ours = typed_thread(chapter, by=counterpart)
    plain = typed_thread(chapter, by=counterpart, words="calibre", essential=False)
    theirs = typed_thread(chapter, by=bosnian, words="make")
    disapprove = VoteValue.DISAPPROVE
    with pytest.raises(NotAllowed, match="at least one essential"):
        cast_vote(workshop, chapter, by=coordinator, value=disapprove)
    with pytest.raises(NotAllowed, match="only essential"):
        cast_vote(workshop, chapter, by=coordinator, value=disapprove, essentials=[theirs.pk])
    with pytest.raises(NotAllowed, match="only essential"):
        cast_vote(workshop, chapter, by=coordinator, value=disapprove, essentials=[plain.pk])
    with pytest.raises(NotAllowed, match="Only a disapproval"):
        cast_vote(workshop, chapter, by=coordinator, value="approve", essentials=[ours.pk])
    with pytest.raises(NotAllowed, match="Choose"):
        cast_vote(workshop, chapter, by=coordinator, value="maybe")
    assert not Vote.objects.exists()
    vote = cast_vote(workshop, chapter, by=coordinator, value=disapprove, essentials=[ours.pk])
    assert list(vote.essentials.all()) == [ours]
    assert vote.jurisdiction_id == coordinator.jurisdiction_id and vote.version == chapter.version


def test_an_essential_comment_held_back_cannot_back_a_disapproval(
    albanian_thread, chapter, workshop, coordinator
):
    hold_back(albanian_thread, by=coordinator, reason="Ours.")
    with pytest.raises(NotAllowed):
        cast_vote(
            workshop, chapter, by=coordinator, value="disapprove", essentials=[albanian_thread.pk]
        )
    assert not Vote.objects.exists()


def test_a_changed_vote_supersedes_the_standing_one_and_the_history_is_kept(
    albanian_thread, chapter, workshop, coordinator, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = cast_vote(
            workshop, chapter, by=coordinator, value="disapprove", essentials=[albanian_thread.pk]
        )
        second = cast_vote(workshop, chapter, by=coordinator, value="approve_with_comments")
    rows = list(Vote.objects.order_by("pk"))
    assert [v.pk for v in rows] == [first.pk, second.pk]
    assert rows[0].superseded_at is not None and rows[1].superseded_at is None
    assert list(rows[0].essentials.all()) == [albanian_thread]  # what it said is kept
    # Editors are told of each vote, once.
    told = Notification.objects.filter(event=Event.VOTE, recipient=editor)
    assert sorted(told.values_list("key", flat=True)) == [f"vote:{first.pk}", f"vote:{second.pk}"]
    assert not Notification.objects.filter(event=Event.VOTE, recipient=coordinator).exists()


def test_a_vote_after_the_round_closed_is_refused(chapter, workshop, coordinator, clock):
    clock.advance(timedelta(days=15))
    with pytest.raises(NotAllowed, match="not open"):
        cast_vote(workshop, chapter, by=coordinator, value="approve")
    assert not Vote.objects.exists()


def test_only_a_coordinator_of_an_invited_jurisdiction_votes(
    handbook, chapter, workshop, counterpart, editor, coordinator
):
    for person in (counterpart, editor):
        with pytest.raises(NotAllowed):
            cast_vote(workshop, chapter, by=person, value="approve")
    bosnia_only = factories.review_round(handbook, [chapter], codes=("BA",), by=editor)
    with pytest.raises(NotAllowed, match="not invited"):
        cast_vote(bosnia_only, chapter, by=coordinator, value="approve")
    assert not Vote.objects.exists()


# --- The sign-off it replaces


def test_sign_off_is_refused_where_a_coordinator_votes_and_kept_elsewhere(
    chapter, workshop, counterpart, bosnian, coordinator
):
    with pytest.raises(review.SignOffRefused, match="Albania's coordinator votes for it"):
        review.sign_off(workshop, chapter, by=counterpart, verdict="no_comments")
    assert not SignOff.objects.exists()
    review.sign_off(workshop, chapter, by=bosnian, verdict="no_comments")
    assert SignOff.objects.get().jurisdiction_id == bosnian.jurisdiction_id


def test_an_inactive_coordinator_leaves_the_sign_off_in_place(chapter, workshop, counterpart):
    factories.user(Role.COORDINATOR, code="AL", name="Gone", is_active=False)
    review.sign_off(workshop, chapter, by=counterpart, verdict="with_comments")
    assert SignOff.objects.count() == 1


def test_the_round_page_shows_the_vote_instead_of_the_sign_off_buttons(
    chapter, workshop, counterpart, bosnian, coordinator
):
    url = reverse("chapters:round", args=[chapter.handbook.slug, workshop.pk])
    cast_vote(workshop, chapter, by=coordinator, value="approve_with_comments")
    html = client_for(counterpart).get(url).content.decode()
    assert "Vote: Approve with comments" in html
    assert 'name="verdict"' not in html  # Albania's counterparts no longer sign off
    # Bosnia has no coordinator: its counterpart still signs off there.
    assert 'name="verdict"' in client_for(bosnian).get(url).content.decode()


# --- Internal threads are the jurisdiction's own business


def test_an_internal_thread_is_seen_only_by_its_jurisdiction(
    albanian_thread, chapter, coordinator, counterpart, bosnian, editor, administrator
):
    second_albanian = factories.user(Role.COUNTERPART, code="AL", name="Second Albanian")
    hold_back(albanian_thread, by=coordinator, reason="Ours.")
    seen = {
        person.pk
        for person in (coordinator, counterpart, second_albanian, bosnian, editor, administrator)
        if policies.threads.visible_to(person).filter(pk=albanian_thread.pk).exists()
    }
    assert seen == {coordinator.pk, counterpart.pk, second_albanian.pk}
    told = set(
        policies.threads.users_who_can("view", Thread.objects.get(pk=albanian_thread.pk))
        .filter(pk__in=[coordinator.pk, counterpart.pk, bosnian.pk, editor.pk, administrator.pk])
        .values_list("pk", flat=True)
    )
    assert told == {coordinator.pk, counterpart.pk}
    # The pages: the editors' chapter page and dashboard do not show or count it.
    page = client_for(editor).get(chapter.get_absolute_url()).content.decode()
    assert f'id="thread-{albanian_thread.pk}"' not in page
    assert f'id="thread-{albanian_thread.pk}"' in (
        client_for(second_albanian).get(chapter.get_absolute_url()).content.decode()
    )
    assert client_for(editor).get(f"/threads/{albanian_thread.pk}/").status_code == 404


def test_an_internal_thread_does_not_stand_in_the_way_of_approval(
    albanian_thread, chapter, coordinator
):
    from comments.vetoes import open_discussion

    assert open_discussion(None, chapter=chapter)
    hold_back(albanian_thread, by=coordinator, reason="Ours.")
    assert open_discussion(None, chapter=chapter) == []


# --- The disapproval guard


def dispose(thread, kind, *, by):
    disposition = Disposition.objects.create(thread=thread, kind=kind, by=by, reason="Because.")
    Thread.objects.filter(pk=thread.pk).update(disposition=disposition)
    return disposition


@pytest.fixture
def disapproved(albanian_thread, chapter, workshop, coordinator, clock):
    """Albania disapproves naming its essential comment; the round closes; the chapter is in
    consolidation with its threads resolved (so only the disapproval stands in the way)."""
    cast_vote(
        workshop, chapter, by=coordinator, value="disapprove", essentials=[albanian_thread.pk]
    )
    clock.advance(timedelta(days=15))
    Thread.objects.filter(chapter=chapter).update(status="resolved")
    chapter.status = Status.CONSOLIDATION
    chapter.save(update_fields=["status"])
    return albanian_thread


def test_a_standing_disapproval_keeps_the_chapter_from_approval(disapproved, chapter, editor):
    with pytest.raises(review.GuardFailed) as refused:
        review.transition(chapter, to=Status.APPROVED, by=editor)
    # The comment has no disposition yet either (the other guard says so too).
    assert f"Albania disapproves: essential comments #{disapproved.pk} not accepted" in (
        refused.value.reasons
    )
    dispose(disapproved, DispositionKind.NOT_ACCEPTED, by=editor)
    with pytest.raises(review.GuardFailed):
        review.transition(chapter, to=Status.APPROVED, by=editor)
    chapter.refresh_from_db()
    assert chapter.status == Status.CONSOLIDATION


@pytest.mark.parametrize("kind", [DispositionKind.ACCEPTED, DispositionKind.MODIFIED])
def test_a_satisfied_essential_comment_lifts_the_guard(disapproved, chapter, editor, kind):
    dispose(disapproved, kind, by=editor)
    assert standing_disapprovals(None, chapter=chapter) == []
    review.transition(chapter, to=Status.APPROVED, by=editor)
    assert Transition.objects.filter(target=Status.APPROVED, override=False).exists()


def test_a_changed_vote_lifts_the_guard(disapproved, chapter, workshop, coordinator, clock):
    clock.advance(timedelta(days=-15))
    cast_vote(workshop, chapter, by=coordinator, value="approve")
    assert standing_disapprovals(None, chapter=chapter) == []


def test_an_editor_may_override_the_disapproval_with_a_reason(disapproved, chapter, editor):
    with pytest.raises(review.GuardFailed, match="reason"):
        review.transition(chapter, to=Status.APPROVED, by=editor, override=True)
    review.transition(
        chapter, to=Status.APPROVED, by=editor, override=True, note="Agreed at the workshop."
    )
    record = Transition.objects.get(target=Status.APPROVED)
    assert record.override and record.note == "Agreed at the workshop."


def test_the_latest_rounds_vote_is_the_one_that_stands(
    disapproved, handbook, chapter, coordinator, editor, clock
):
    later = factories.review_round(handbook, [chapter], codes=("AL",), by=editor, name="Second")
    cast_vote(later, chapter, by=coordinator, value="approve")
    assert standing_disapprovals(None, chapter=chapter) == []


# --- Two coordinators voting at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_voting_at_once_leave_one_standing_vote(handbook, editor):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two real connections need PostgreSQL")
    chapter = factories.chapter(handbook, by=editor)
    workshop = Round.objects.get(chapters=chapter)
    first = factories.user(Role.COORDINATOR, code="AL", name="First Coordinator")
    second = factories.user(Role.COORDINATOR, code="AL", name="Second Coordinator")
    barrier = threading.Barrier(2)
    errors = []

    def vote(person, value):
        try:
            barrier.wait(timeout=10)
            cast_vote(workshop, chapter, by=person, value=value)
        except NotAllowed as error:  # a clear refusal is an allowed outcome
            errors.append(error)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=vote, args=(first, "approve")),
        threading.Thread(target=vote, args=(second, "approve_with_comments")),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    votes = list(Vote.objects.filter(chapter=chapter))
    standing = [v for v in votes if v.superseded_at is None]
    assert len(standing) == 1
    assert len(votes) + len(errors) == 2
    assert all(v.superseded_at is not None for v in votes if v not in standing)
