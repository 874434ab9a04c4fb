"""The Word round trip in the browser: a counterpart downloads a review copy, uploads it back
reviewed, sees the preview, confirms part of it; the new thread and tracked change show in the
chapter, and an editor accepts the suggestion."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice

from comments.models import Suggestion, Thread
from tests import factories
from tests.browser.conftest import totp_code
from tests.browser.test_accessibility import WCAG
from tests.browser.test_commenting import chapter_url
from tests.word_docs import Reviewer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_upload_preview_confirm_part_and_accept(
    browser, page, log_in, live_server, chapter, counterpart, editor, tmp_path
):
    factories.comment_thread(chapter, by=counterpart, words="calibre", body="Which calibres?")
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    with page.expect_download() as download:
        page.click("text=Review copy of this chapter")
    copy = tmp_path / "copy.docx"
    download.value.save_as(copy)
    reviewer = Reviewer(copy.read_bytes())
    reviewer.replace("manufacture", "import and manufacture", author=counterpart.name)
    reviewer.comment("Officers", "record", "Kryetari duhet të nënshkruajë.", author="Drita Word")
    reviewer.delete("serial", author=counterpart.name)
    reviewed = tmp_path / "reviewed.docx"
    reviewed.write_bytes(reviewer.bytes())

    page.click("text=Upload a reviewed copy")
    page.set_input_files("#id_file", str(reviewed))
    page.click("main form button[type=submit]")
    page.wait_for_selector("table.word-items")
    assert "1 comment and 2 tracked changes" in " ".join(page.text_content("main p.lead").split())
    rows = page.locator("tr.word-item")
    assert rows.count() == 3
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    # Keep the comment and the replacement, not the deletion of "serial".
    deletion = page.locator("td.word-context del", has_text=re.compile("^serial$"))
    page.locator("tr.word-item", has=deletion).locator("input[type=checkbox]").uncheck()
    page.click("text=Create the chosen items")
    page.wait_for_selector("text=Confirmed on")
    assert Suggestion.objects.count() == 1
    thread = Thread.objects.get(word_author="Drita Word")
    assert thread.author == counterpart

    page.goto(chapter_url(live_server, chapter))
    assert "Kryetari duhet" in page.text_content("main")
    inline = page.locator("#chapter-body ins.tc")
    inline.first.wait_for()
    assert "import and" in inline.first.text_content()

    suggestion = Suggestion.objects.get()
    editor_context = browser.new_context()
    editor_page = editor_context.new_page()
    device = TOTPDevice.objects.create(user=editor, name="app", confirmed=True)
    editor_page.goto(f"{live_server.url}/accounts/login/")
    editor_page.fill("#id_username", editor.email)
    editor_page.fill("#id_password", "pass-for-tests")
    editor_page.click("main form button[type=submit]")
    editor_page.fill("#id_code", totp_code(device))
    editor_page.click("main form button[type=submit]")
    editor_page.wait_for_url(lambda url: "/accounts/" not in url)
    editor_page.goto(chapter_url(live_server, chapter) + f"?thread={suggestion.thread_id}")
    editor_page.click(f"#thread-{suggestion.thread_id} .decide button[type=submit]")
    editor_page.wait_for_selector("text=Suggestion accepted.")
    chapter.refresh_from_db()
    assert "at import and manufacture" in chapter.body
    editor_context.close()
