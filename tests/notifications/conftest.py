"""Notification helpers: a stopped clock, a round that lets counterparts comment, a thread."""

from datetime import UTC, datetime, timedelta

import pytest

from chapters.models import Round
from comments import anchoring
from comments.actions import open_thread
from handbook_review import clock as review_clock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen(clock):
    """The review clock stopped at START (a Monday morning); tests move it with advance/set_to."""
    clock.set_to(START)
    return clock


@pytest.fixture
def reviewable(chapter, editor):
    """`chapter`, with a round open to all its handbook's jurisdictions, so counterparts comment.

    Its round notices count as sent, so sweeps in tests only announce the rounds they make."""
    now = review_clock.now()
    Round.objects.filter(handbook=chapter.handbook).update(
        announced_open_at=now, reminded_at=now, announced_closed_at=now
    )
    review = Round.objects.create(
        handbook=chapter.handbook,
        name="Comments allowed",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        created_by=editor,
        announced_open_at=now,
        reminded_at=now,
        announced_closed_at=now,
    )
    review.chapters.set([chapter])
    review.jurisdictions.set(chapter.handbook.jurisdictions.all())
    return chapter


def start_thread(chapter, *, by, words="serial number", body="Which serial number?", **kwargs):
    text = chapter.plain_text()
    at = text.index(words)
    return open_thread(
        chapter, by=by, anchor=anchoring.describe(text, at, at + len(words)), body=body, **kwargs
    )
