"""An editor asks for an export on the edition page; the page shows it queued, updates itself when
the background worker has made it, and the download is the stored file."""

import datetime

import pytest
from django.core.management import call_command

from chapters.editions import publish
from chapters.models import Chapter, Export, ExportState, Status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def edition(removable_editions, handbook, chapter, editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The real queue: the export waits for a worker, as in production.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    Chapter.objects.filter(handbook=handbook).update(status=Status.APPROVED)
    return publish(
        handbook=handbook,
        label="1.0",
        date=datetime.date(2026, 11, 30),
        release_notes="",
        by=editor,
    )


def test_the_edition_page_follows_an_export_from_queued_to_download(
    page, log_in, live_server, edition, editor
):
    log_in(editor)
    page.goto(live_server.url + edition.get_absolute_url())
    page.get_by_role("button", name="Make Single-file HTML").click()
    status = page.locator(".export-queued")
    status.wait_for()
    assert "Queued" in status.inner_text()
    export = Export.objects.get(edition=edition)
    assert export.state == ExportState.QUEUED

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    link = page.get_by_role("link", name="Download Single-file HTML")
    link.wait_for(timeout=10_000)  # the fragment polls every 2 s and swaps itself
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith("1-0.html")
    content = download.path().read_text(encoding="utf-8")
    assert edition.title in content
    assert "The Firearms Protocol obliges States" in content
    export.refresh_from_db()
    assert export.state == ExportState.DONE
