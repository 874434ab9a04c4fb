"""Suggesting an edit in the browser, and an editor accepting it."""

import pytest
from django.urls import reverse

from chapters.models import Chapter
from comments.models import Suggestion, locate_selection, open_thread
from tests.browser.test_commenting import SELECT_WORDS, chapter_url, marked_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_suggest_accept_and_history_credits_the_proposer(
    browser, page, log_in, live_server, chapter, counterpart, editor
):
    other = open_thread(
        chapter,
        by=editor,
        anchor=locate_selection(chapter, version=1, exact="calibre"),
        body="Check the calibre list.",
    )
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    assert page.evaluate(SELECT_WORDS, "mark every firearm")
    # The selection fills the suggestion form too, starting the wording from the selected words.
    page.wait_for_function(
        "() => document.getElementById('sg_replacement').value === 'mark every firearm'"
    )
    page.fill("#sg_replacement", "mark and register every firearm")
    page.fill("#sg_body", "Registration is required too.")
    page.click("#new-suggestion button[type=submit]")
    page.wait_for_selector(".proposal")
    suggestion = Suggestion.objects.get()
    assert suggestion.original == "mark every firearm"

    editor_context = browser.new_context()
    editor_page = editor_context.new_page()
    editor_page.goto(f"{live_server.url}/accounts/login/")
    editor_page.fill("#id_username", editor.email)
    editor_page.fill("#id_password", "pass-for-tests")
    editor_page.click("form button[type=submit]")
    editor_page.goto(chapter_url(live_server, chapter) + f"?thread={suggestion.thread_id}")
    card = f"#thread-{suggestion.thread_id}"
    # The editor sees the proposed change as a tracked change: removed and added words.
    assert editor_page.text_content(f"{card} .proposal ins").strip() == "and register"
    editor_page.click(f"{card} .decide button[type=submit]")
    editor_page.wait_for_selector("text=Suggestion accepted.")

    chapter.refresh_from_db()
    assert "mark and register every firearm" in chapter.body
    assert "mark and register every firearm" in editor_page.text_content("#chapter-body")
    editor_page.goto(
        live_server.url + reverse("chapters:history", args=[chapter.handbook.slug, chapter.pk])
    )
    assert f"proposed by {counterpart.name}" in editor_page.text_content("table.versions")
    # The comment elsewhere is still on its word.
    other.refresh_from_db()
    assert Chapter.objects.get().plain_text()[other.start : other.end] == "calibre"
    editor_page.goto(chapter_url(live_server, chapter))
    assert "calibre" in marked_text(editor_page)
    editor_context.close()
