"""The disposition report's moments (issue 18, item 8): real dates and times in the spreadsheet,
in local time since a cell has no time zone, with a number format; ISO 8601 with the offset in
the CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from chapters.models import Status, Transition
from comments.actions import dispose
from comments.reports.disposition import XLSX_MOMENT
from tests import factories
from tests.conftest import client_for

OPENED = datetime(2026, 12, 3, 14, 40, tzinfo=UTC)  # 15:40 in Belgrade (CET)
DISPOSED = datetime(2027, 6, 1, 7, 5, tzinfo=UTC)  # 09:05 in Belgrade (CEST)
BELGRADE = ZoneInfo("Europe/Belgrade")  # settings.TIME_ZONE


@pytest.fixture
def disposed(clock, handbook, editor, counterpart):
    """A comment opened in winter and disposed of in summer, and an approval overridden then."""
    clock.set_to(OPENED)
    chapter = factories.chapter(handbook, by=editor)
    thread = factories.comment_thread(chapter, by=counterpart, body="Which serial number?")
    clock.set_to(DISPOSED)
    dispose(thread, by=editor, kind="noted", reason="The protocol says which.")
    Transition.objects.create(
        chapter=chapter, source=Status.CONSOLIDATION, target=Status.APPROVED, by=editor,
        note="Agreed by phone.", override=True,
    )  # fmt: skip
    clock.set_to(DISPOSED + timedelta(days=1))
    return thread


def local_time(at):
    """What a spreadsheet cell holds: the moment's wall-clock time in Belgrade, without a zone."""
    local = at.astimezone(BELGRADE).replace(tzinfo=None)
    assert local.hour != at.hour  # the conversion is not a no-op
    return local


def download(person, handbook, fmt):
    url = reverse(f"comments:disposition_report_{fmt}", args=[handbook.slug]) + "?round=all"
    response = client_for(person).get(url)
    assert response.status_code == 200
    return response.content


def test_the_spreadsheet_holds_real_local_datetimes(disposed, handbook, editor):
    book = openpyxl.load_workbook(io.BytesIO(download(editor, handbook, "xlsx")))
    sheet = book["Dispositions"]
    header = [c.value for c in sheet[2]]
    [line] = sheet.iter_rows(min_row=3)
    cells = dict(zip(header, line, strict=True))
    for title, local in (("Opened at", local_time(OPENED)), ("Disposed at", local_time(DISPOSED))):
        cell = cells[title]
        assert cell.is_date and isinstance(cell.value, datetime), title
        assert cell.value == local and cell.value.tzinfo is None
        assert cell.number_format == XLSX_MOMENT
    assert cells["No."].value == disposed.number

    summary = book["Summary"]
    [at] = [
        line[3]
        for line in summary.iter_rows(min_row=1)
        if line[0].value == "1. Legal framework" and line[1].value == "Consolidation → Approved"
    ]
    assert at.is_date and at.value == local_time(DISPOSED)


def test_the_csv_keeps_iso_8601_with_the_offset(disposed, handbook, editor):
    content = download(editor, handbook, "csv").decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(content, newline="")))
    cells = dict(zip(header, row, strict=True))
    assert cells["Opened at"] == "2026-12-03T15:40:00+01:00"
    assert cells["Disposed at"] == "2027-06-01T09:05:00+02:00"
