"""The comment resolution matrix: one row per thread, as XLSX and CSV, for editors only."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from chapters.models import Round
from comments import reports
from comments.actions import accept, add_comment, locate_section, reject
from comments.models import Anchor, Decision, Thread
from tests import factories
from tests.conftest import client_for

HEADER = [
    "ID",
    "Chapter",
    "Section",
    "Section heading",
    "Quoted text",
    "Jurisdiction",
    "Agency",
    "Author",
    "Type",
    "Visible to",
    "Comment or proposed wording",
    "Status",
    "Editor's decision",
    "Proposer's rationale",
    "Decision reason",
    "Wording applied",
    "Decided or resolved by",
    "Decided or resolved at",
    "Opened at",
    "Replies",
    "Link",
]


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


def download(person, book, fmt, **query):
    address = reverse(f"comments:resolution_matrix_{fmt}", args=[book.slug])
    if query:
        address += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client_for(person).get(address)


def csv_rows(response):
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def local(at):
    return timezone.localtime(at).isoformat(timespec="seconds")


def test_csv_has_one_row_per_thread_of_the_round(known, handbook, editor, counterpart, bosnian):
    round_, t = known
    response = download(editor, handbook, "csv", round=round_.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"{handbook.slug}-resolution-matrix-first-round-" in disposition
    assert disposition.endswith('.csv"')
    header, rows = csv_rows(response)
    assert header == HEADER
    # Document order; the thread on chapter 2 is not in the round.
    assert [int(r["ID"]) for r in rows] == [
        pk(t[k]) for k in ("cyrillic", "rejected", "accepted", "comment", "formula", "private")
    ]
    by_id = {int(r["ID"]): r for r in rows}

    comment = by_id[t["comment"].pk]
    assert comment["Chapter"] == "1. Legal framework"
    assert (comment["Section"], comment["Section heading"]) == ("1.2", "Practice")
    assert comment["Quoted text"] == "serial number"
    assert (comment["Jurisdiction"], comment["Agency"]) == ("Albania", "Border police")
    assert comment["Author"] == "Arben Counterpart"
    assert (comment["Type"], comment["Visible to"]) == ("Comment", "Everyone taking part")
    assert comment["Comment or proposed wording"] == "Which serial number?"
    assert comment["Status"] == "Open"
    assert comment["Editor's decision"] == comment["Decided or resolved by"] == ""
    assert comment["Replies"].startswith("Sanja Editor (SEESAC), ")
    assert comment["Replies"].endswith(": The one on the frame.")
    assert comment["Link"] == (
        f"http://127.0.0.1:8000/h/{handbook.slug}/c/{t['comment'].chapter_id}/"
        f"?thread={t['comment'].pk}#thread-{t['comment'].pk}"
    )

    rejected = by_id[pk(t["rejected"])]
    decision = Decision.objects.get(suggestion=t["rejected"])
    assert (rejected["Section"], rejected["Section heading"]) == ("1.1", "Legal basis")
    assert rejected["Type"] == "Suggestion"
    assert rejected["Comment or proposed wording"] == "asks"
    assert (rejected["Status"], rejected["Editor's decision"]) == ("Rejected", "Rejected")
    assert rejected["Proposer's rationale"] == "Softer."
    assert rejected["Decision reason"] == "The Protocol does oblige."
    assert rejected["Decided or resolved by"] == "Sanja Editor"
    assert rejected["Decided or resolved at"] == local(decision.at)
    assert rejected["Decided or resolved at"][-6:] in ("+01:00", "+02:00")  # Belgrade time

    accepted = by_id[pk(t["accepted"])]
    assert (accepted["Section"], accepted["Section heading"]) == ("1.2", "Practice")
    assert (accepted["Status"], accepted["Editor's decision"]) == ("Accepted", "Accepted")
    assert accepted["Wording applied"] == "Officers write down"
    assert accepted["Decision reason"] == "Agreed."
    assert (accepted["Jurisdiction"], accepted["Agency"]) == ("Bosnia and Herzegovina", "Customs")

    private = by_id[t["private"].pk]
    assert private["Visible to"] == "Editors only"
    assert private["Comment or proposed wording"] == "Check with FRONTEX."


def test_cyrillic_is_preserved(known, handbook, editor):
    round_, t = known
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    row = next(r for r in rows if int(r["ID"]) == t["cyrillic"].pk)
    assert row["Comment or proposed wording"] == "Серијски број оружја."
    assert row["Author"] == "Јелена Босанска"
    book = openpyxl.load_workbook(io.BytesIO(download(editor, handbook, "xlsx").content))
    values = [cell.value for line in book.worksheets[0].iter_rows() for cell in line]
    assert "Серијски број оружја." in values


def test_formula_injection_is_neutralised(known, handbook, editor):
    round_, t = known
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    row = next(r for r in rows if int(r["ID"]) == t["formula"].pk)
    assert row["Comment or proposed wording"] == '\'=HYPERLINK("http://evil.example","x")'
    sheet = openpyxl.load_workbook(
        io.BytesIO(download(editor, handbook, "xlsx", round=round_.pk).content)
    ).worksheets[0]
    column = HEADER.index("Comment or proposed wording") + 1
    cell = next(
        sheet.cell(row=r, column=column)
        for r in range(3, sheet.max_row + 1)
        if sheet.cell(row=r, column=1).value == t["formula"].pk
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
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.title == "First round"
    assert handbook.title in sheet["A1"].value
    assert "First round" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == HEADER
    assert all(c.font.bold for c in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:U{sheet.max_row}"
    assert sheet.column_dimensions["K"].width == 50
    assert sheet["K3"].alignment.wrap_text
    _, csv_data = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    xlsx_data = [
        ["" if v is None else str(v) for v in line]
        for line in sheet.iter_rows(min_row=3, values_only=True)
    ]
    assert xlsx_data == [[row[h] for h in HEADER] for row in csv_data]


def test_whole_handbook_by_default(known, handbook, editor):
    _round, t = known
    _, rows = csv_rows(download(editor, handbook, "csv"))
    assert len(rows) == 7
    assert int(rows[-1]["ID"]) == t["elsewhere"].pk
    assert rows[-1]["Chapter"] == "2. Practice"


def test_round_takes_threads_opened_while_it_was_open(known, handbook, editor):
    round_, t = known
    Thread.objects.filter(pk=t["comment"].pk).update(
        created_at=round_.opens_at - timedelta(minutes=1)
    )
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    assert t["comment"].pk not in {int(r["ID"]) for r in rows}


def test_editors_only_threads_follow_visibility_by_construction(known, handbook, counterpart):
    round_, t = known
    threads = reports.matrix_threads(handbook, counterpart, round_=round_)
    assert t["private"].pk not in {thread.pk for thread in threads}
    assert t["comment"].pk in {thread.pk for thread in threads}


def test_orphaned_thread_says_so_and_keeps_where_it_last_stood(known, handbook, editor):
    round_, t = known
    Thread.objects.filter(pk=t["comment"].pk).update(start=None, end=None)
    Thread.objects.filter(pk=t["formula"].pk).update(start=None, end=None)
    Anchor.objects.filter(thread=t["formula"]).delete()
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    by_id = {int(r["ID"]): r for r in rows}
    comment = by_id[t["comment"].pk]
    assert (comment["Section"], comment["Section heading"]) == ("1.2", "Practice")
    assert comment["Status"] == "Open (orphaned)"
    never_placed = by_id[t["formula"].pk]
    assert never_placed["Section"] == ""
    assert never_placed["Section heading"].startswith("(orphaned")


def test_accepted_suggestion_keeps_the_section_it_changed(known, handbook, editor):
    # Its words are gone from the version it made, so its thread is orphaned there.
    round_, t = known
    assert Thread.objects.get(pk=t["accepted"].thread_id).start is None
    _, rows = csv_rows(download(editor, handbook, "csv", round=round_.pk))
    row = next(r for r in rows if int(r["ID"]) == t["accepted"].thread_id)
    assert (row["Section"], row["Status"]) == ("1.2", "Accepted")


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
    [("editor", 200), ("administrator", 200), ("counterpart", 403), ("outsider", 404)],
)
def test_permissions(request, handbook, chapter, role, status, fmt):
    person = request.getfixturevalue(role)
    assert download(person, handbook, fmt).status_code == status


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymous_is_sent_to_log_in(handbook, fmt):
    response = download(None, handbook, fmt)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
