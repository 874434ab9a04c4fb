"""One number per comment or suggestion (issue 18, item 8): the number a page gives it is its
number in the disposition report (CSV, XLSX), in its e-mails and in the notification list. A
suggestion goes by its thread's number, as a comment does (Thread.number)."""

import csv
import io

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse

from comments.actions import add_comment, dispose, reject
from handbook_review.notifications.models import EmailMode, Preference
from handbook_review.notifications.tasks import send_digests
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """A block whose after-commit notices (and their e-mails) run at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def threads(chapter, counterpart):
    """Two comments, then a suggestion, so the suggestion's own row id is not its number."""
    first = factories.comment_thread(chapter, by=counterpart, words="serial number", body="Which?")
    second = factories.comment_thread(chapter, by=counterpart, words="make", body="The make too.")
    suggestion = factories.suggestion(
        chapter, by=counterpart, words="calibre", replacement="calibre and model"
    )
    assert suggestion.number == suggestion.thread_id != suggestion.pk
    return first, second, suggestion


def report(person, handbook, fmt):
    url = reverse(f"comments:disposition_report_{fmt}", args=[handbook.slug]) + "?round=all"
    response = client_for(person).get(url)
    assert response.status_code == 200
    return response.content


def csv_numbers(content):
    """{first words of the comment: the row's number} from the CSV report."""
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    column = dict(zip(header, range(len(header)), strict=True))
    return {row[column["Comment"]]: int(row[column["No."]]) for row in rows}, [
        dict(zip(header, row, strict=True)) for row in rows
    ]


def xlsx_numbers(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Dispositions"]
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, line, strict=True)) for line in sheet.iter_rows(3, values_only=True)]
    return {row["Comment"]: row["No."] for row in rows}


def mails_to(person):
    return [m for m in mail.outbox if m.to == [person.email]]


def test_a_comment_has_one_number_on_its_pages_in_the_report_and_in_its_email(
    handbook, chapter, editor, counterpart, threads, told
):
    first, second, _suggestion = threads
    n = first.number
    with told():
        dispose(first, by=editor, kind="noted", reason="The protocol says which.")
        dispose(second, by=editor, kind="duplicate", duplicate_of=first)

    # The pages: its disposition form, and the chapter page naming it as the one duplicated.
    form = client_for(editor).get(reverse("comments:dispose", args=[first.pk])).content.decode()
    assert f"Disposition of comment #{n}" in form
    page = client_for(editor).get(f"{chapter.get_absolute_url()}?thread={second.pk}").text
    assert f"Duplicate of comment #{n}" in page

    numbers, rows = csv_numbers(report(editor, handbook, "csv"))
    assert numbers["Which?"] == n
    duplicate = next(row for row in rows if row["Comment"] == "The make too.")
    assert duplicate["Disposition"] == f"Duplicate of another comment (no. {n})"
    assert xlsx_numbers(report(editor, handbook, "xlsx"))["Which?"] == n

    [email, _duplicate] = mails_to(counterpart)
    assert f"Comment #{n} on “1. Legal framework”, about: “serial number”" in email.body
    listed = client_for(counterpart).get(reverse("notifications:list")).text
    assert f"Comment #{n} · “serial number”" in listed


def test_a_suggestion_goes_by_its_threads_number_everywhere(
    handbook, editor, counterpart, threads, told
):
    *_comments, suggestion = threads
    n = suggestion.number
    decide = client_for(editor).get(reverse("comments:decide_suggestion", args=[suggestion.pk]))
    assert f"Modify and accept suggestion #{n}" in decide.text
    with told():
        reject(suggestion, by=editor, reason="We keep the calibre alone.")

    assert csv_numbers(report(editor, handbook, "csv"))[0]["Clearer."] == n
    assert xlsx_numbers(report(editor, handbook, "xlsx"))["Clearer."] == n
    [email] = mails_to(counterpart)
    assert f"Suggestion #{n}, about: “calibre”" in email.body
    listed = client_for(counterpart).get(reverse("notifications:list")).text
    assert f"Suggestion #{n} · “calibre”" in listed


def test_the_chapter_page_names_a_suggestion_by_its_number(chapter, editor, threads):
    *_comments, suggestion = threads
    page = client_for(editor).get(chapter.get_absolute_url()).text
    assert f"Suggestion #{suggestion.number}: Open" in page


def test_the_daily_digest_names_each_item_by_its_number(editor, counterpart, threads, told):
    first, *_rest = threads
    Preference.objects.create(user=counterpart, email=EmailMode.DIGEST)
    with told():
        add_comment(first, by=editor, body="The one on the frame.")
    assert send_digests.call() == 1
    [digest] = mails_to(counterpart)
    assert f"(Comment #{first.number})\n" in digest.body
