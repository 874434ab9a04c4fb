"""One way of writing a date, the reader's language's (issue 18, item 8): the notification list,
the chapter page's comments, e-mails and the printed disposition report all write a moment as
`handbook_review.dates.moment` does; machines (<time datetime>, the CSV) keep ISO 8601."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from comments.actions import add_comment
from comments.reports import disposition
from handbook_review.notifications.delivery import when
from handbook_review.notifications.models import Event, Notification
from tests import factories
from tests.conftest import client_for

MOMENT = datetime(2026, 12, 3, 14, 40, tzinfo=UTC)  # 15:40 in Belgrade
US_STYLE = ("December 3", "Dec. 3", "12/03/2026", "3:40 p.m.", "3:40 PM")

WRITTEN = [
    ("en", "3 December 2026, 15:40 CET"),
    ("sr-latn", "3. decembar 2026. 15:40 CET"),
    ("sq", "3 Dhjetor 2026, 15:40 CET"),
]


@pytest.fixture
def at_moment(clock):
    """The clock stopped at MOMENT before anything is made (the chapter's round opens then)."""
    clock.set_to(MOMENT)
    return clock


def reading_in(person, language):
    person.language = language
    person.save(update_fields=["language"])
    return client_for(person)


def assert_written(page, written):
    assert written in page
    assert not any(us in page for us in US_STYLE), [us for us in US_STYLE if us in page]


@pytest.mark.parametrize(("language", "written"), WRITTEN)
def test_the_notification_list_writes_dates_in_the_readers_language(
    at_moment, counterpart, language, written
):
    Notification.objects.create(
        recipient=counterpart, event=Event.REPLY, key="k", subject="S", body="B", url="/"
    )
    page = reading_in(counterpart, language).get(reverse("notifications:list")).text
    assert_written(page, written)
    assert '<time datetime="2026-12-03T15:40:00+01:00">' in page  # for machines, ISO 8601


@pytest.mark.parametrize(("language", "written"), WRITTEN)
def test_the_chapter_page_writes_a_comments_date_in_the_readers_language(
    at_moment, chapter, counterpart, language, written
):
    factories.comment_thread(chapter, by=counterpart, body="Which serial number?")
    page = reading_in(counterpart, language).get(chapter.get_absolute_url()).text
    assert_written(page, written)


@pytest.mark.parametrize(("language", "written"), WRITTEN)
def test_the_printed_report_and_emails_write_dates_in_the_readers_language(
    at_moment, handbook, chapter, editor, counterpart, language, written
):
    thread = factories.comment_thread(chapter, by=counterpart, body="Which serial number?")
    add_comment(thread, by=editor, body="The one on the frame.")
    with translation.override(language):
        report = disposition.build(disposition.Scope(handbook=handbook), editor, None, at=MOMENT)
        assert written in report.title
        [row] = report.rows
        assert f"Sanja Editor (SEESAC), {written}: The one on the frame." in row["replies"]
        assert_written(disposition.to_html(report), written)
        assert when(MOMENT) == written
    assert disposition.cell_value(row["created_at"]) == "2026-12-03T15:40:00+01:00"  # the CSV
