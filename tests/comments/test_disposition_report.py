"""The disposition report (issue 13, item 7): every comment and suggestion of a round, a chapter
or an edition with its disposition and the commenter's answer, in document order grouped by
section; the votes on a summary sheet; XLSX, CSV, PDF, DOCX read back; one jurisdiction's part
for its coordinators, mailed when an edition is published; permissions, bad input, queries."""

import datetime
import io
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse

from chapters.editions import publish
from chapters.models import Chapter, Edition, Round, Status, Transition
from comments.actions import add_comment
from comments.models import (
    Answer,
    Disposition,
    Position,
    Thread,
    Vote,
)
from handbook_review.people.models import Agency, Role
from tests import factories
from tests.conftest import client_for

ALBANIAN = "Shqipëri, çështje e shënjimit të armëve."
CYRILLIC = "Гранична полиција предлаже блажу формулацију."


@pytest.fixture
def bosnian(db):
    """Bosnian customs counterpart, writing in Serbian Cyrillic; Bosnia has no coordinator."""
    return factories.user(
        Role.COUNTERPART, code="BA", agency=Agency.CUSTOMS, name="Јелена Босанска"
    )


@pytest.fixture
def bosnian_coordinator(db):
    return factories.user(Role.COORDINATOR, code="BA", agency=Agency.CUSTOMS, name="Bosnian Coord")


@pytest.fixture
def other_chapter(handbook, editor):
    """Chapter 2, in review, left out of the round."""
    return factories.chapter(handbook, by=editor, title="Practice", number=2, in_round=False)


def typed(thread, *, category, essential=False):
    Thread.objects.filter(pk=thread.pk).update(category=category, essential=essential)


def dispose(thread, *, by, kind, reason="", applied_text="", duplicate_of=None):
    """A disposition written as the disposition action will write it: the row, then the
    thread's denormalised current one."""
    thread_id = getattr(thread, "thread_id", thread.pk)
    d = Disposition.objects.create(
        thread_id=thread_id,
        kind=kind,
        reason=reason,
        applied_text=applied_text,
        duplicate_of=duplicate_of,
        version=1,
        by=by,
    )
    Thread.objects.filter(pk=thread_id).update(disposition=d, answer="")
    return d


def answer(disposition, *, by, kind, reason=""):
    Answer.objects.create(disposition=disposition, kind=kind, reason=reason, by=by)
    Thread.objects.filter(pk=disposition.thread_id).update(answer=kind)


def position(thread, *, by, kind, into=None):
    Position.objects.create(thread=thread, kind=kind, into=into, by=by)
    Thread.objects.filter(pk=thread.pk).update(position=kind, merged_into=into)


@pytest.fixture
def story(handbook, chapter, other_chapter, editor, counterpart, bosnian, coordinator):
    """A round over chapter 1 for Albania (which has a coordinator) and Bosnia (which has not),
    with one thread of each kind of outcome, one held back as internal, one merged, and
    Albania's disapproval naming its essential comment."""
    Round.objects.filter(handbook=handbook).delete()  # the chapter fixture's own round
    round_ = factories.review_round_at(handbook, [chapter], by=editor, name="First round")
    t = {}
    # 1.1 Legal basis: "The Firearms Protocol obliges States to mark every firearm ..."
    t["essential"] = factories.comment_thread(
        chapter, by=counterpart, words="Firearms Protocol", body=ALBANIAN
    )
    typed(t["essential"], category="technical", essential=True)
    t["suggestion"] = factories.suggestion(
        chapter, by=bosnian, words="obliges", replacement="asks", rationale=CYRILLIC
    )
    t["duplicate"] = factories.comment_thread(
        chapter, by=counterpart, words="mark every firearm", body="Same as the first."
    )
    # 1.2 Practice: "Officers record the serial number, the make and the calibre."
    t["undisposed"] = factories.comment_thread(
        chapter, by=bosnian, words="Officers record", body="Who records?"
    )
    typed(t["undisposed"], category="editorial")
    t["modified"] = factories.comment_thread(
        chapter, by=counterpart, words="serial number", body="Which serial number?"
    )
    add_comment(t["modified"], by=editor, body="The one on the frame.")
    t["merged"] = factories.comment_thread(
        chapter, by=counterpart, words="make", body="And the make?"
    )
    t["internal"] = factories.comment_thread(
        chapter, by=counterpart, words="calibre", body="Held back by our coordinator."
    )
    t["elsewhere"] = factories.comment_thread(other_chapter, by=editor, body="Not in the round.")

    d = dispose(t["essential"], by=editor, kind="accepted", reason="Agreed.")
    answer(d, by=counterpart, kind="accepted")
    d = dispose(t["suggestion"], by=editor, kind="not_accepted", reason="The Protocol obliges.")
    answer(d, by=bosnian, kind="contested", reason="Блажа формулација је тачнија.")
    dispose(t["duplicate"], by=editor, kind="duplicate", duplicate_of=t["essential"])
    dispose(
        t["modified"],
        by=editor,
        kind="modified",
        reason="Made precise.",
        applied_text="the serial number on the frame",
    )
    position(t["merged"], by=coordinator, kind="merged", into=t["modified"])
    position(t["internal"], by=coordinator, kind="internal")
    position(t["essential"], by=coordinator, kind="endorsed")

    albania, bosnia = factories.jurisdiction("AL"), factories.jurisdiction("BA")
    vote = Vote.objects.create(
        round=round_, chapter=chapter, jurisdiction=albania, value="disapprove", version=1,
        by=coordinator, reason="Ne nuk pajtohemi.",
    )  # fmt: skip
    vote.essentials.set([t["essential"]])
    factories.sign_off(round_, chapter, by=bosnian, verdict="with_comments")
    assert bosnia.pk  # Bosnia signs off: it has no coordinator
    Transition.objects.create(
        chapter=chapter, source=Status.CONSOLIDATION, target=Status.APPROVED, by=editor,
        note="Approved over Bosnia's contest: Гранична полиција agreed by phone.", override=True,
    )  # fmt: skip
    return round_, t


ORDER = ("essential", "suggestion", "duplicate", "undisposed", "modified", "merged")


def tid(item):
    return getattr(item, "thread_id", item.pk)


def address(name, book, *args, **query):
    url = reverse(f"comments:{name}", args=[book.slug, *args])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def get(person, url):
    return client_for(person).get(url)


def workbook(response):
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows_of(book):
    sheet = book["Dispositions"]
    header = [c.value for c in sheet[2]]
    return [
        dict(zip(header, ["" if v is None else v for v in line], strict=True))
        for line in sheet.iter_rows(min_row=3, values_only=True)
    ]


def pdf_text(content):
    assert content.startswith(b"%PDF-")
    return poppler("pdftotext", content).decode("utf-8")


def poppler(tool, content):
    """poppler-utils' `tool` reading a PDF from stdin."""
    path = shutil.which(tool)
    assert path is not None, f"{tool} (poppler-utils) is needed"
    return subprocess.run(  # noqa: S603 - poppler's own tool, our own bytes
        [path, "-", *(["-"] if tool == "pdftotext" else [])],
        input=content,
        capture_output=True,
        check=True,
    ).stdout


# --- The rows


def test_xlsx_has_every_thread_once_in_document_order_with_its_outcome(story, handbook, editor):
    round_, t = story
    response = get(editor, address("disposition_report_xlsx", handbook, round=round_.pk))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"{handbook.slug}-disposition-report-first-round-" in response["Content-Disposition"]
    book = workbook(response)
    assert book.sheetnames == ["Dispositions", "Summary"]
    sheet = book["Dispositions"]
    assert "First round" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:13] == [
        "No.", "Jurisdiction", "Agency", "Author", "Section", "Paragraph", "Type", "Comment",
        "Proposed change", "Disposition", "Editors' observation", "Text as applied",
        "Commenter's answer",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A3"
    rows = rows_of(book)
    # Once each, in document order, each by the number the pages give it (its thread's); the
    # internal one and the one outside the round absent.
    assert [r["No."] for r in rows] == [tid(t[k]) for k in ORDER]
    by = {r["No."]: r for r in rows}

    essential = by[tid(t["essential"])]
    assert (essential["Section"], essential["Section heading"]) == ("1.1", "Legal basis")
    assert essential["Paragraph"] == "§1"
    assert (essential["Jurisdiction"], essential["Agency"]) == ("Albania", "Border police")
    assert essential["Type"] == "Technical, essential"
    assert essential["Comment"] == ALBANIAN
    assert (essential["Disposition"], essential["Editors' observation"]) == ("Accepted", "Agreed.")
    assert essential["Commenter's answer"] == "Accepted by the commenter"
    assert essential["Jurisdiction's position"] == "Endorsed as the jurisdiction's position"

    suggestion = by[tid(t["suggestion"])]
    assert suggestion["Author"] == "Јелена Босанска"
    assert suggestion["Comment"] == CYRILLIC
    assert suggestion["Proposed change"] == "asks"
    assert suggestion["Disposition"] == "Not accepted"
    assert suggestion["Commenter's answer"] == (
        "Contested by the commenter: Блажа формулација је тачнија."
    )

    assert by[tid(t["duplicate"])]["Disposition"] == (
        f"Duplicate of another comment (no. {tid(t['essential'])})"
    )
    undisposed = by[tid(t["undisposed"])]
    assert (undisposed["Section"], undisposed["Type"]) == ("1.2", "Editorial")
    assert undisposed["Disposition"] == "(no disposition yet)"
    assert undisposed["Commenter's answer"] == ""

    modified = by[tid(t["modified"])]
    assert modified["Disposition"] == "Accepted with modification"
    assert modified["Text as applied"] == "the serial number on the frame"
    assert modified["Replies"].startswith("Sanja Editor (SEESAC), ")
    assert modified["Replies"].endswith(": The one on the frame.")
    merged = by[tid(t["merged"])]
    assert merged["Jurisdiction's position"] == f"Merged into no. {tid(t['modified'])}"


def test_summary_sheet_has_the_votes_the_counts_and_the_override(story, handbook, editor):
    round_, t = story
    sheet = workbook(get(editor, address("disposition_report_xlsx", handbook, round=round_.pk)))[
        "Summary"
    ]
    lines = [[v for v in line if v is not None] for line in sheet.iter_rows(values_only=True)]
    header = next(line for line in lines if line[:2] == ["Round", "Chapter"])
    assert header[2:] == ["Albania", "Bosnia and Herzegovina"]
    vote = next(line for line in lines if line[:2] == ["First round", "1. Legal framework"])
    assert vote[2] == f"Disapprove (essential: no. {tid(t['essential'])}): Ne nuk pajtohemi."
    assert vote[3] == "Signed off: Reviewed, with comments"
    counts = {line[0]: line[1] for line in lines if len(line) == 2 and isinstance(line[1], int)}
    assert counts["Accepted"] == counts["Accepted with modification"] == 1
    assert counts["Not accepted"] == counts["Duplicate of another comment"] == 1
    assert counts["(no disposition yet)"] == 2  # the merged one and Bosnia's editorial one
    assert counts["Total"] == 6
    assert counts["Contested by the commenter"] == 1
    override = next(
        line for line in lines if line and line[0] == "1. Legal framework" and len(line) == 5
    )
    assert override[1] == "Consolidation → Approved"
    assert override[4] == "Approved over Bosnia's contest: Гранична полиција agreed by phone."


def test_pdf_reads_back_in_order_with_albanian_and_cyrillic(story, handbook, editor):
    round_, _t = story
    response = get(editor, address("disposition_report_pdf", handbook, round=round_.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    flat = " ".join(text.split())
    for words in ("Shqipëri, çështje", "Гранична полиција", "Јелена Босанска", "Ne nuk pajtohemi"):
        assert words in flat
    # Grouped by section in document order, the summary after the rows.
    words = ("1.1 Legal basis", "Same as the first.", "1.2 Practice", "Who records?",
             "Which serial number?", "Summary")  # fmt: skip
    places = [flat.index(w) for w in words]
    assert places == sorted(places)
    assert "Held back by our coordinator." not in flat
    assert "Replies (1):" in flat
    assert "Consolidation → Approved" in flat


def test_pdf_repeats_the_header_on_every_page_landscape(story, handbook, chapter, editor, bosnian):
    round_, _t = story
    for n in range(40):
        factories.comment_thread(chapter, by=bosnian, words="calibre", body=f"Note {n}. " * 12)
    content = get(editor, address("disposition_report_pdf", handbook, round=round_.pk)).content
    pages = pdf_text(content).split("\f")
    rows_pages = [p for p in pages if "Note " in p]
    assert len(rows_pages) > 1
    assert all("Commenter's answer" in " ".join(p.split()) for p in rows_pages)
    info = poppler("pdfinfo", content).decode()
    assert "841.89 x 595.276 pts (A4)" in info  # landscape: wider than high


def test_csv_and_docx_say_the_same(story, handbook, editor):
    round_, _t = story
    csv_text = get(editor, address("disposition_report_csv", handbook, round=round_.pk)).content
    assert csv_text.startswith(b"\xef\xbb\xbf")
    assert ALBANIAN.encode() in csv_text and CYRILLIC.encode() in csv_text
    response = get(editor, address("disposition_report_docx", handbook, round=round_.pk))
    assert response.status_code == 200
    document = zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").decode()
    assert "Shqipëri, çështje" in document and "Гранична полиција" in document


def test_filters_by_type(story, handbook, editor):
    round_, t = story
    rows = rows_of(workbook(get(editor, address(
        "disposition_report_xlsx", handbook, round=round_.pk, type="editorial"
    ))))  # fmt: skip
    # A suggestion is editorial unless its author says otherwise.
    assert [r["No."] for r in rows] == [tid(t["suggestion"]), tid(t["undisposed"])]
    rows = rows_of(workbook(get(editor, address(
        "disposition_report_xlsx", handbook, round=round_.pk, type="technical"
    ))))  # fmt: skip
    assert [r["No."] for r in rows] == [tid(t["essential"])]
    rows = rows_of(workbook(get(editor, address(
        "disposition_report_xlsx", handbook, round=round_.pk, essential=1
    ))))  # fmt: skip
    assert [r["No."] for r in rows] == [tid(t["essential"])]


def test_chapter_scope_and_whole_handbook(story, handbook, other_chapter, editor):
    _round, t = story
    rows = rows_of(workbook(get(editor, address(
        "disposition_report_xlsx", handbook, chapter=other_chapter.pk
    ))))  # fmt: skip
    assert [r["No."] for r in rows] == [t["elsewhere"].pk]
    rows = rows_of(workbook(get(editor, address("disposition_report_xlsx", handbook))))
    assert [r["No."] for r in rows] == [*(tid(t[k]) for k in ORDER), t["elsewhere"].pk]
    assert rows[-1]["Chapter"] == "2. Practice"


def test_orphaned_thread_says_so(story, handbook, editor):
    round_, t = story
    Thread.objects.filter(pk=t["undisposed"].pk).update(start=None, end=None)
    t["undisposed"].anchors.all().delete()
    rows = rows_of(
        workbook(get(editor, address("disposition_report_xlsx", handbook, round=round_.pk)))
    )
    orphan = next(r for r in rows if r["No."] == t["undisposed"].pk)
    assert orphan["Section"] == "" and orphan["Section heading"].startswith("(orphaned")
    assert rows[-1] is orphan  # at the end of its chapter


def test_formula_is_neutralised(story, handbook, chapter, editor, counterpart):
    round_, _t = story
    evil = factories.comment_thread(
        chapter, by=counterpart, words="States", body='=HYPERLINK("http://evil.example","x")'
    )
    rows = rows_of(
        workbook(get(editor, address("disposition_report_xlsx", handbook, round=round_.pk)))
    )
    row = next(r for r in rows if r["No."] == evil.pk)
    assert row["Comment"] == '\'=HYPERLINK("http://evil.example","x")'


# --- Permissions


REPORTS = [f"disposition_report_{fmt}" for fmt in ("xlsx", "csv", "pdf", "docx")]


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("counterpart", 403),
        ("coordinator", 403),
        ("editor", 200),
        ("administrator", 200),
    ],
)
def test_report_permissions(request, handbook, chapter, role, status, name):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = get(person, address(name, handbook))
    assert response.status_code == status
    if role == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("anonymous", "AL", 302),
        ("outsider", "AL", 404),
        ("counterpart", "AL", 403),  # an officer, not their coordinator
        ("bosnian_coordinator", "AL", 403),  # another jurisdiction's coordinator
        ("coordinator", "AL", 200),
        ("coordinator", "al", 200),
        ("coordinator", "BA", 403),
        ("coordinator", "RS", 404),  # not taking part in the handbook
        ("coordinator", "ZZ", 404),
        ("editor", "BA", 200),
        ("administrator", "AL", 200),
    ],
)
def test_jurisdiction_report_permissions(request, handbook, chapter, role, code, status, fmt):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = get(person, address(f"jurisdiction_report_{fmt}", handbook, code))
    assert response.status_code == status


def test_coordinator_gets_only_their_jurisdictions_rows(story, handbook, coordinator):
    round_, t = story
    rows = rows_of(workbook(get(coordinator, address(
        "jurisdiction_report_xlsx", handbook, "AL", round=round_.pk
    ))))  # fmt: skip
    # The numbers are the pages', so a jurisdiction's report and the whole read side by side.
    assert [r["No."] for r in rows] == [
        tid(t[k]) for k in ("essential", "duplicate", "modified", "merged")
    ]
    assert {r["Jurisdiction"] for r in rows} == {"Albania"}


# --- Bad input


@pytest.fixture
def another_book(editor):
    book = factories.handbook()
    chap = factories.chapter(book, by=editor, title="Elsewhere", in_round=False)
    round_ = factories.review_round(book, [chap], by=editor, name="Their round")
    return book, chap, round_


@pytest.mark.parametrize("name", ["disposition_report_xlsx", "disposition_report_pdf"])
def test_bad_input_is_refused(story, handbook, editor, another_book, name):
    round_, _t = story
    _book, their_chapter, their_round = another_book
    cases = [
        ({"round": "abc"}, 400),
        ({"round": "-1"}, 400),
        ({"round": "9" * 30}, 400),
        ({"round": 999_999}, 404),
        ({"round": their_round.pk}, 404),
        ({"chapter": their_chapter.pk}, 404),
        ({"chapter": "x"}, 400),
        ({"edition": 999_999}, 404),
        ({"round": round_.pk, "chapter": their_chapter.pk}, 400),
        ({"type": "bogus"}, 400),
        ({"essential": "yes"}, 400),
    ]
    for query, status in cases:
        response = get(editor, address(name, handbook, **query))
        assert response.status_code == status, (query, response.status_code)


def test_draft_chapter_is_not_found_for_a_coordinator(handbook, draft, coordinator):
    url = address("jurisdiction_report_xlsx", handbook, "AL", chapter=draft.pk)
    assert get(coordinator, url).status_code == 404


# --- The old resolution matrix


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_resolution_matrix_sends_editors_to_the_report(story, handbook, editor, fmt):
    round_, _t = story
    response = get(editor, address(f"resolution_matrix_{fmt}", handbook, round=round_.pk))
    assert response.status_code == 302
    assert response.url == address(f"disposition_report_{fmt}", handbook, round=round_.pk)


def test_dashboard_links_to_the_report(handbook, chapter, editor):
    page = get(editor, reverse("comments:dashboard", args=[handbook.slug])).content.decode()
    assert reverse("comments:disposition_report_xlsx", args=[handbook.slug]) in page
    assert reverse("comments:disposition_report_pdf", args=[handbook.slug]) in page
    assert "resolution-matrix" not in page


# --- Queries


def test_report_queries_do_not_grow_with_threads(
    handbook, chapter, editor, counterpart, bosnian, coordinator, queries
):
    Round.objects.filter(handbook=handbook).delete()
    round_ = factories.review_round_at(handbook, [chapter], by=editor)
    url = address("disposition_report_xlsx", handbook, round=round_.pk)
    client = client_for(editor)

    def add(n):
        for i in range(n):
            by = (counterpart, bosnian)[i % 2]
            thread = factories.comment_thread(chapter, by=by, body=f"Comment {i}")
            add_reply(thread, editor)
            d = dispose(thread, by=editor, kind="noted", reason="Seen.")
            answer(d, by=by, kind="contested", reason="No.")

    add(1)
    client.get(url)  # warm-up: the sections and text of the version are cached
    few = queries.get(client, url)
    add(20)
    many = queries.get(client, url)
    queries.expect(few, many)


def add_reply(thread, editor):
    add_comment(thread, by=editor, body="Reply.")


# --- Publication: each jurisdiction's coordinators are told


def test_coordinators_get_their_jurisdictions_report_when_an_edition_is_published(
    story, handbook, chapter, other_chapter, editor, coordinator, bosnian_coordinator,
    counterpart, django_capture_on_commit_callbacks,
):  # fmt: skip
    _round, t = story
    Chapter.objects.filter(handbook=handbook).update(status=Status.APPROVED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        edition = publish(
            handbook=handbook, label="1.0", date=datetime.date(2026, 3, 1), release_notes="",
            by=editor,
        )  # fmt: skip
    reports = {m.to[0]: m for m in mail.outbox if "What happened to" in m.subject}
    assert set(reports) == {coordinator.email, bosnian_coordinator.email}
    albania = reports[coordinator.email]
    assert "Albania" in albania.subject and "1.0" in albania.subject
    assert "- Accepted: 1" in albania.body
    assert "- Duplicate of another comment: 1" in albania.body
    assert "- No disposition: 1" in albania.body  # the merged one
    link = address("jurisdiction_report_xlsx", handbook, "AL", edition=edition.pk)
    assert link in albania.body
    bosnia = reports[bosnian_coordinator.email]
    assert "1 of the dispositions were contested." in bosnia.body
    assert counterpart.email not in reports  # officers are not sent the report

    rows = rows_of(workbook(get(coordinator, link)))
    assert {r["Jurisdiction"] for r in rows} == {"Albania"}
    assert [r["No."] for r in rows] == [
        tid(t[k]) for k in ("essential", "duplicate", "modified", "merged")
    ]
    # Bosnia's coordinator may not read Albania's report.
    assert get(bosnian_coordinator, link).status_code == 403


def test_edition_scope_takes_the_threads_of_its_making(
    story, handbook, chapter, editor, counterpart
):
    _round, t = story
    Chapter.objects.filter(handbook=handbook).update(status=Status.APPROVED)
    edition = publish(
        handbook=handbook, label="1.0", date=datetime.date(2026, 3, 1), release_notes="", by=editor
    )
    Chapter.objects.filter(pk=chapter.pk).update(status=Status.IN_REVIEW)
    later = factories.comment_thread(chapter, by=editor, body="After the edition.")
    rows = rows_of(workbook(get(editor, address(
        "disposition_report_xlsx", handbook, edition=edition.pk
    ))))  # fmt: skip
    assert later.pk not in {r["No."] for r in rows}
    assert {tid(t[k]) for k in ORDER} <= {r["No."] for r in rows}
    assert Edition.objects.filter(handbook=handbook).count() == 1


def test_a_revised_disposition_keeps_its_story_in_the_report(
    handbook, chapter, editor, counterpart
):
    from comments import actions

    thread = factories.comment_thread(chapter, by=counterpart, body="Add the import marking.")
    Chapter.objects.filter(pk=chapter.pk).update(status=Status.CONSOLIDATION)
    actions.dispose(thread, by=editor, kind="not_accepted", reason="It is in chapter 4.")
    actions.answer(thread, by=counterpart, kind="contested", reason="Chapter 4 is export only.")
    actions.dispose(thread, by=editor, kind="accepted", reason="Agreed.")

    rows = rows_of(workbook(get(editor, address("disposition_report_xlsx", handbook))))
    (row,) = rows
    assert (row["Disposition"], row["Editors' observation"], row["Commenter's answer"]) == (
        "Accepted",
        "Agreed.",
        "",
    )
    history = row["Earlier dispositions and answers"]
    assert "Not accepted (Sanja Editor" in history
    assert "It is in chapter 4." in history
    assert "Contested by the commenter: Chapter 4 is export only." in history
