"""The comment resolution matrix became the disposition report (test_disposition_report.py): its
URLs send editors there with the same scope, and what the matrix guaranteed still holds in the
report's CSV and XLSX: the round rule, visibility by construction, sections of orphaned and
accepted suggestions, Cyrillic intact, formulas neutralised, the CSV and the XLSX agreeing."""

import csv
import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.urls import reverse

from chapters.models import Round
from comments import reports
from comments.actions import accept, add_comment, locate_section, reject
from comments.models import Anchor, Thread
from comments.reports import disposition
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def bosnian(db):
    """Bosnian customs counterpart, writing in Serbian Cyrillic."""
    return factories.user(code="BA", agency="customs", name="Јелена Босанска")


@pytest.fixture
def other_chapter(handbook, editor):
    """Chapter 2, in review, left out of the round."""
    return factories.chapter(handbook, by=editor, title="Practice", number=2)


@pytest.fixture
def known(handbook, chapter, other_chapter, editor, counterpart, bosnian):
    """A round over chapter 1 for AL and BA, with a comment (and a reply), a rejected and an
    accepted suggestion, an editors-only note, a Cyrillic comment and a would-be formula."""
    Round.objects.filter(handbook=handbook).delete()  # the chapter factory's own rounds
    round_ = factories.review_round_at(handbook, [chapter], by=editor, name="First round")
    t = {}
    t["comment"] = factories.comment_thread(
        chapter, by=counterpart, words="serial number", body="Which serial number?"
    )
    add_comment(t["comment"], by=editor, body="The one on the frame.")
    t["rejected"] = factories.suggestion(
        chapter, by=counterpart, words="obliges", replacement="asks", rationale="Softer."
    )
    reject(t["rejected"], by=editor, reason="The Protocol does oblige.")
    t["accepted"] = factories.suggestion(
        chapter,
        by=bosnian,
        words="Officers record",
        replacement="Officers write down",
        rationale="Plainer.",
    )
    accept(t["accepted"], by=editor, reason="Agreed.")
    t["private"] = factories.comment_thread(
        chapter, by=editor, words="calibre", body="Check with FRONTEX.", visibility="editors"
    )
    t["cyrillic"] = factories.comment_thread(
        chapter, by=bosnian, words="Firearms Protocol", body="Серијски број оружја."
    )
    t["formula"] = factories.comment_thread(
        chapter, by=counterpart, words="make", body='=HYPERLINK("http://evil.example","x")'
    )
    factories.review_round_at(handbook, [other_chapter], by=editor, name="Other round")
    t["elsewhere"] = factories.comment_thread(other_chapter, by=counterpart, body="Not in round.")
    return round_, t


def pk(item):
    return item.thread_id if hasattr(item, "thread_id") else item.pk


def download(person, book, fmt, name="disposition_report", **query):
    address = reverse(f"comments:{name}_{fmt}", args=[book.slug])
    if query:
        address += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client_for(person).get(address)


def csv_rows(response):
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def test_csv_has_one_row_per_thread_of_the_round(known, handbook, editor):
    round_, t = known
    response = download(editor, handbook, "csv", round=round_.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"{handbook.slug}-disposition-report-first-round-" in response["Content-Disposition"]
    header, rows = csv_rows(response)
    assert header == [str(c.title) for c in disposition.COLUMNS]
    # Document order; the thread on chapter 2 is not in the round.
    assert [int(r["No."]) for r in rows] == [
        pk(t[k]) for k in ("cyrillic", "rejected", "accepted", "comment", "formula", "private")
    ]
    by_id = {int(r["No."]): r for r in rows}
    comment = by_id[t["comment"].pk]
    assert comment["Chapter"] == "1. Legal framework"
    assert (comment["Section"], comment["Section heading"]) == ("1.2", "Practice")
    assert comment["Quoted text"] == "serial number"
    assert (comment["Jurisdiction"], comment["Agency"]) == ("Albania", "Border police")
    assert comment["Comment"] == "Which serial number?"
    assert comment["Replies"].endswith(": The one on the frame.")
    assert comment["Link"] == (
        f"http://127.0.0.1:8000/h/{handbook.slug}/c/{t['comment'].chapter_id}/"
        f"?thread={t['comment'].pk}#thread-{t['comment'].pk}"
    )
    rejected = by_id[pk(t["rejected"])]
    assert (rejected["Section"], rejected["Section heading"]) == ("1.1", "Legal basis")
    assert (rejected["Comment"], rejected["Proposed change"]) == ("Softer.", "asks")
    assert by_id[t["private"].pk]["Comment"] == "Check with FRONTEX."


def test_cyrillic_is_preserved(known, handbook, editor):
    round_, t = known
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    row = next(r for r in rows if int(r["No."]) == t["cyrillic"].pk)
    assert row["Comment"] == "Серијски број оружја."
    assert row["Author"] == "Јелена Босанска"
    book = openpyxl.load_workbook(io.BytesIO(download(editor, handbook, "xlsx").content))
    values = [cell.value for line in book.worksheets[0].iter_rows() for cell in line]
    assert "Серијски број оружја." in values


def test_formula_injection_is_neutralised(known, handbook, editor):
    round_, t = known
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    row = next(r for r in rows if int(r["No."]) == t["formula"].pk)
    assert row["Comment"] == '\'=HYPERLINK("http://evil.example","x")'
    sheet = openpyxl.load_workbook(
        io.BytesIO(download(editor, handbook, "xlsx", round=round_.pk).content)
    ).worksheets[0]
    header = [c.value for c in sheet[2]]
    column, id_column = header.index("Comment") + 1, header.index("No.") + 1
    cell = next(
        sheet.cell(row=r, column=column)
        for r in range(3, sheet.max_row + 1)
        if sheet.cell(row=r, column=id_column).value == t["formula"].pk
    )
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("a = b", "a = b"),
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert reports.neutralise(value) == expected


def test_xlsx_is_formatted_and_matches_the_csv(known, handbook, editor):
    round_, _t = known
    response = download(editor, handbook, "xlsx", round=round_.pk)
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert handbook.title in sheet["A1"].value and "First round" in sheet["A1"].value
    assert all(c.font.bold for c in sheet[2])
    assert sheet.auto_filter.ref == f"A2:W{sheet.max_row}"
    assert sheet["H3"].alignment.wrap_text
    header, csv_data = csv_rows(download(editor, handbook, "csv", round=round_.pk))

    def written(value):
        # A moment is a real date in the sheet (local time) and ISO 8601 in the CSV.
        if isinstance(value, datetime):
            return value.isoformat(timespec="seconds")
        return "" if value is None else str(value)

    def local(heading, text):
        if heading not in {"Opened at", "Disposed at"} or not text:
            return text
        return datetime.fromisoformat(text).replace(tzinfo=None).isoformat(timespec="seconds")

    xlsx_data = [
        [written(v) for v in line] for line in sheet.iter_rows(min_row=3, values_only=True)
    ]
    assert xlsx_data == [[local(h, row[h]) for h in header] for row in csv_data]


def test_whole_handbook_by_default(known, handbook, editor):
    _round, t = known
    _, rows = csv_rows(download(editor, handbook, "csv"))
    assert len(rows) == 7
    assert int(rows[-1]["No."]) == t["elsewhere"].pk
    assert rows[-1]["Chapter"] == "2. Practice"
    assert len(csv_rows(download(editor, handbook, "csv", round="all"))[1]) == 7


def test_round_takes_threads_opened_while_it_was_open(known, handbook, editor):
    round_, t = known
    Thread.objects.filter(pk=t["comment"].pk).update(
        created_at=round_.opens_at - timedelta(minutes=1)
    )
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    assert t["comment"].pk not in {int(r["No."]) for r in rows}


def test_editors_only_threads_follow_visibility_by_construction(known, handbook, counterpart):
    round_, t = known
    scope = disposition.Scope(handbook=handbook, round=round_)
    threads = disposition.report_threads(scope, counterpart)
    assert t["private"].pk not in {thread.pk for thread in threads}
    assert t["comment"].pk in {thread.pk for thread in threads}


def test_orphaned_thread_keeps_where_it_last_stood(known, handbook, editor):
    round_, t = known
    Thread.objects.filter(pk=t["comment"].pk).update(start=None, end=None)
    Thread.objects.filter(pk=t["formula"].pk).update(start=None, end=None)
    Anchor.objects.filter(thread=t["formula"]).delete()
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    by_id = {int(r["No."]): r for r in rows}
    comment = by_id[t["comment"].pk]
    assert (comment["Section"], comment["Section heading"]) == ("1.2", "Practice")
    never_placed = by_id[t["formula"].pk]
    assert never_placed["Section"] == ""
    assert never_placed["Section heading"].startswith("(orphaned")


def test_accepted_suggestion_keeps_the_section_it_changed(known, handbook, editor):
    # Its words are gone from the version it made, so its thread is orphaned there.
    round_, t = known
    assert Thread.objects.get(pk=t["accepted"].thread_id).start is None
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    row = next(r for r in rows if int(r["No."]) == t["accepted"].thread_id)
    assert row["Section"] == "1.2"


def test_section_offsets_agree_with_whole_section_anchors(handbook, editor):
    body = (
        "Intro with *emphasis* &amp; entities.\n\n## First & foremost\n\nText.\n\n"
        "### A sub-section\n\n```\ncode\n```\n\n## Практика\n\nКрај.\n"
    )
    chap = factories.chapter(handbook, by=editor, body=body)
    found = reports.sections(chap.pk, chap.version, chap.number, chap.body)
    assert [(s.number, s.text) for s in found] == [
        ("1.1", "First & foremost"),
        ("1.1.1", "A sub-section"),
        ("1.2", "Практика"),
    ]
    for heading, section in zip(chap.outline(), found, strict=True):
        assert locate_section(chap, heading.id).start == section.offset
    text = chap.plain_text()
    assert reports.section_at(found, text.index("Text.")).text == "First & foremost"
    assert reports.section_at(found, text.index("code")).text == "A sub-section"
    assert reports.section_at(found, 0) is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("role", "status"),
    [("editor", 302), ("administrator", 302), ("counterpart", 403), ("outsider", 404)],
)
def test_old_matrix_urls_keep_their_permissions_and_redirect(
    request, handbook, chapter, role, status, fmt
):
    person = request.getfixturevalue(role)
    response = download(person, handbook, fmt, name="resolution_matrix", round="all")
    assert response.status_code == status
    if status == 302:
        assert response.url == (
            reverse(f"comments:disposition_report_{fmt}", args=[handbook.slug]) + "?round=all"
        )


@pytest.mark.parametrize("name", ["resolution_matrix", "disposition_report"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymous_is_sent_to_log_in(handbook, fmt, name):
    response = download(None, handbook, fmt, name=name)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
