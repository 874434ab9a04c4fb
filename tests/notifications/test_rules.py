"""Who is told of what: replies, mentions, decisions, review rounds, editions; once each."""

import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse

from chapters.models import Edition, Round
from chapters.notices import notify_edition, sweep_rounds
from comments.actions import accept, add_comment, reject, withdraw
from comments.models import Conflict, Decision, Visibility
from handbook_review.notifications.models import Event, Notification
from tests import factories
from tests.conftest import client_for
from tests.notifications.conftest import start_thread


def told(person, **filters):
    return list(Notification.objects.filter(recipient=person, **filters))


def mails_to(person):
    return [m for m in mail.outbox if m.to == [person.email]]


# --- Replies and mentions


def test_reply_tells_the_thread_author_and_earlier_commenters_not_the_replier(
    reviewable, editor, counterpart, bosnian, other_editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        thread = start_thread(reviewable, by=counterpart)
        add_comment(thread, by=other_editor, body="It is on the frame.")
        add_comment(thread, by=bosnian, body="And on the barrel.")

    # The thread's author hears of both replies; the first replier of the one after theirs.
    assert {n.recipient for n in Notification.objects.all()} == {counterpart, other_editor}
    assert [n.event for n in told(counterpart)] == [Event.REPLY, Event.REPLY]
    assert len(told(other_editor)) == 1
    assert not told(bosnian) and not told(editor)
    latest = Notification.objects.filter(recipient=other_editor).get()
    assert "Jelena Bosnian" in latest.subject and "And on the barrel." in latest.body
    assert latest.url == f"{reviewable.get_absolute_url()}?thread={thread.pk}#thread-{thread.pk}"


def test_mention_in_a_first_comment_tells_the_mentioned_person(
    reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_thread(
            reviewable,
            by=editor,
            body="@Arben Counterpart, is this right?",
            mention_candidates=[counterpart, editor],
        )
    [mention] = told(counterpart)
    assert mention.event == Event.MENTION and mention.reasons == ["mention"]
    assert "mentioned you" in mention.subject
    assert not told(editor)


def test_reply_that_also_mentions_is_one_notification_and_one_email(
    reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        thread = start_thread(reviewable, by=counterpart)
        add_comment(
            thread,
            by=editor,
            body="@Arben Counterpart see the annex.",
            mention_candidates=[counterpart],
        )
    [both] = told(counterpart)
    assert both.reasons == ["reply", "mention"] and both.event == Event.MENTION
    assert "mentioned you in a reply" in both.subject
    assert "replied in a thread you take part in, and mentioned you" in both.body
    assert len(mails_to(counterpart)) == 1


def test_editors_only_thread_reaches_editors_and_its_author_only(
    reviewable, editor, other_editor, counterpart, bosnian, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        private = start_thread(
            reviewable, by=editor, body="Between us.", visibility=Visibility.EDITORS
        )
        add_comment(private, by=bosnian, body="I can't see this.")  # a stale tab, say
        add_comment(
            private,
            by=other_editor,
            body="@Arben Counterpart should not hear of it. @Sanja Editor agrees?",
            mention_candidates=[counterpart, editor],
        )
    assert not told(counterpart) and not told(bosnian)
    assert [n.reasons for n in told(editor)] == [["reply", "mention"], ["reply"]]
    assert not mails_to(counterpart) and not mails_to(bosnian)
    assert not any("Between us" in m.body for m in mail.outbox if m.to != [editor.email])


def test_counterpart_hears_of_replies_in_their_own_editors_only_thread(
    reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = start_thread(reviewable, by=counterpart, visibility=Visibility.EDITORS)
        add_comment(mine, by=editor, body="Noted.")
    [reply] = told(counterpart)
    assert reply.event == Event.REPLY and "Noted." in reply.body


def test_people_who_cannot_read_the_handbook_are_not_told(
    reviewable, editor, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_thread(
            reviewable, by=editor, body="@Outsider look here", mention_candidates=[outsider]
        )
    assert not told(outsider)


def test_inactive_people_are_not_told(
    reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    thread = start_thread(reviewable, by=counterpart)
    counterpart.is_active = False
    counterpart.save()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(thread, by=editor, body="Reply.")
    assert not told(counterpart)


def test_a_comment_rolled_back_tells_no_one(reviewable, editor, counterpart):
    # No commit (the test transaction is never committed): the signal is never sent.
    thread = start_thread(reviewable, by=counterpart)
    add_comment(thread, by=editor, body="Reply.")
    assert not Notification.objects.exists()


# --- Decisions on suggestions


def suggest(chapter, words, replacement, *, by):
    return factories.suggestion(
        chapter, by=by, words=words, replacement=replacement, rationale="Clearer."
    )


def test_rejection_tells_the_proposer_with_the_reason(
    reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    suggestion = suggest(reviewable, "serial number", "serial no.", by=counterpart)
    with django_capture_on_commit_callbacks(execute=True):
        reject(suggestion, by=editor, reason="We spell it out.")
    [decision] = told(counterpart)
    assert decision.event == Event.DECISION and "was rejected" in decision.subject
    assert "We spell it out." in decision.body and "Sanja Editor" in decision.body
    assert decision.key == f"decision:{suggestion.decisions.get().pk}"
    [email] = mails_to(counterpart)
    assert "We spell it out." in email.body


@pytest.mark.parametrize(
    ("replacement", "subject"),
    [(None, "was accepted"), ("serial number and model", "was accepted with changes")],
)
def test_acceptance_tells_the_proposer(
    reviewable, editor, counterpart, replacement, subject, django_capture_on_commit_callbacks
):
    suggestion = suggest(reviewable, "serial number", "serial number and make", by=counterpart)
    with django_capture_on_commit_callbacks(execute=True):
        accept(suggestion, by=editor, replacement=replacement)
    [decision] = told(counterpart)
    assert subject in decision.subject
    if replacement:
        assert "serial number and model" in decision.body


def test_conflict_tells_the_proposer_an_editor_will_decide(
    reviewable, editor, counterpart, bosnian, django_capture_on_commit_callbacks
):
    first = suggest(reviewable, "serial number", "serial no.", by=bosnian)
    second = suggest(
        reviewable, "serial number, the make", "serial number and make", by=counterpart
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept(first, by=editor)
    [conflict] = told(counterpart)
    assert "conflicts" in conflict.subject and "an editor will decide" in conflict.body
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        accept(second, by=editor)
    assert len(told(counterpart)) == 1  # already conflicted: no new decision, no new notice


def test_withdrawing_tells_no_one(reviewable, counterpart, django_capture_on_commit_callbacks):
    suggestion = suggest(reviewable, "serial number", "serial no.", by=counterpart)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(suggestion, by=counterpart)
    assert Decision.objects.filter(kind=Decision.Kind.WITHDRAWN).exists()
    assert not Notification.objects.filter(event=Event.DECISION).exists()


# --- Review rounds


def make_round(handbook, chapter, editor, *, opens_in, lasts, codes=("AL",)):
    from handbook_review import clock

    review = Round.objects.create(
        handbook=handbook,
        name="Spring review",
        opens_at=clock.now() + opens_in,
        closes_at=clock.now() + opens_in + lasts,
        created_by=editor,
    )
    review.chapters.set([chapter])
    review.jurisdictions.set([factories.jurisdiction(code) for code in codes])
    return review


def round_notices(review, person=None):
    notices = Notification.objects.filter(key__startswith=f"round:{review.pk}:")
    if person is not None:
        notices = notices.filter(recipient=person)
    return sorted(notices.values_list("event", flat=True))


def sweep_twice():
    first = sweep_rounds()
    assert sweep_rounds() == []
    return [event for _round, event in first]


def test_round_notices_go_to_invited_jurisdictions_once_each(
    frozen,
    handbook,
    reviewable,
    editor,
    counterpart,
    bosnian,
    outsider,
    django_capture_on_commit_callbacks,
):
    review = make_round(
        handbook, reviewable, editor, opens_in=timedelta(hours=2), lasts=timedelta(days=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_twice() == []  # not open yet
        frozen.advance(timedelta(hours=2))
        assert sweep_twice() == [Event.ROUND_OPENED]
        frozen.advance(timedelta(days=3))  # 48 hours before closing
        assert sweep_twice() == [Event.ROUND_CLOSING]
        frozen.advance(timedelta(days=2))
        assert sweep_twice() == [Event.ROUND_CLOSED]
        frozen.advance(timedelta(days=10))
        assert sweep_twice() == []
    assert round_notices(review, counterpart) == ["round_closed", "round_closing", "round_opened"]
    assert round_notices(review) == ["round_closed", "round_closing", "round_opened"]
    assert not told(bosnian) and not told(outsider) and not told(editor)
    assert len(mails_to(counterpart)) == 3
    review.refresh_from_db()
    assert review.announced_open_at and review.reminded_at and review.announced_closed_at
    opened = Notification.objects.get(recipient=counterpart, event=Event.ROUND_OPENED)
    assert "Spring review" in opened.subject and str(reviewable) in opened.body
    assert opened.url == reverse("chapters:round", args=[handbook.slug, review.pk])
    assert client_for(counterpart).get(opened.url).status_code == 200


def test_a_round_shorter_than_48_hours_gets_no_separate_reminder(
    frozen, handbook, reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    review = make_round(
        handbook, reviewable, editor, opens_in=timedelta(0), lasts=timedelta(hours=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_twice() == [Event.ROUND_OPENED]
        frozen.advance(timedelta(hours=29))
        assert sweep_twice() == []
        frozen.advance(timedelta(hours=1))
        assert sweep_twice() == [Event.ROUND_CLOSED]
    assert round_notices(review, counterpart) == ["round_closed", "round_opened"]


def test_an_extended_round_gets_its_reminder_before_the_new_close(
    frozen, handbook, reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    review = make_round(
        handbook, reviewable, editor, opens_in=timedelta(0), lasts=timedelta(hours=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_twice() == [Event.ROUND_OPENED]
        Round.objects.filter(pk=review.pk).update(closes_at=review.closes_at + timedelta(days=5))
        assert sweep_twice() == []
        frozen.advance(timedelta(hours=30 + 5 * 24 - 48))
        assert sweep_twice() == [Event.ROUND_CLOSING]


def test_extending_a_reminded_round_brings_a_new_reminder_and_closing_notice(
    frozen, handbook, reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    from chapters.review import extend_round

    review = make_round(
        handbook, reviewable, editor, opens_in=timedelta(0), lasts=timedelta(days=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_twice() == [Event.ROUND_OPENED]
        frozen.advance(timedelta(days=4))  # 24 hours left: reminded
        assert sweep_twice() == [Event.ROUND_CLOSING]
        extend_round(review, closes_at=review.closes_at + timedelta(days=7), by=editor)
        assert sweep_twice() == []
        frozen.advance(timedelta(days=6))  # 48 hours before the new close
        assert sweep_twice() == [Event.ROUND_CLOSING]
        frozen.advance(timedelta(days=2))
        assert sweep_twice() == [Event.ROUND_CLOSED]
    assert round_notices(review, counterpart) == [
        "round_closed",
        "round_closing",
        "round_closing",
        "round_opened",
    ]


def test_a_round_that_ran_its_whole_course_between_sweeps_is_not_announced(
    frozen, handbook, reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    review = make_round(
        handbook, reviewable, editor, opens_in=timedelta(minutes=1), lasts=timedelta(minutes=2)
    )
    frozen.advance(timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_twice() == []
    review.refresh_from_db()
    assert review.announced_open_at and review.announced_closed_at
    assert round_notices(review) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_notice_once(handbook, editor, counterpart):
    if connection.vendor != "postgresql":
        pytest.skip("two sweeps racing need two real connections: PostgreSQL")
    chap = factories.chapter(handbook, by=editor)
    Round.objects.update(announced_open_at=editor.date_joined)
    review = make_round(
        handbook, chap, editor, opens_in=timedelta(hours=-1), lasts=timedelta(days=9)
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sweep_rounds())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=sweep) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors
    assert sorted(len(r) for r in results) == [0, 1]
    assert round_notices(review, counterpart) == ["round_opened"]


# --- Editions


def publish(handbook, by, label="1.0"):
    return Edition.objects.create(
        handbook=handbook,
        label=label,
        date=date(2026, 3, 2),
        release_notes="First edition after the regional workshop.",
        title=handbook.title,
        language=handbook.language,
        published_by=by,
    )


def test_an_edition_is_announced_to_everyone_taking_part_but_the_publisher(
    handbook,
    editor,
    other_editor,
    counterpart,
    bosnian,
    outsider,
    django_capture_on_commit_callbacks,
):
    edition = publish(handbook, editor)
    with django_capture_on_commit_callbacks(execute=True):
        notify_edition(edition)
        notify_edition(edition)  # a repeat changes nothing
    told_of = Notification.objects.filter(event=Event.EDITION_PUBLISHED)
    assert {n.recipient for n in told_of} == {other_editor, counterpart, bosnian}
    assert told_of.count() == 3
    notice = told_of.get(recipient=counterpart)
    assert notice.url == edition.get_absolute_url()
    assert "1.0" in notice.subject and "regional workshop" in notice.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.email for p in (other_editor, counterpart, bosnian)
    )
