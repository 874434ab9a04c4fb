"""An editor decides where the suggestion is: Accept on its card in one click, and on a popover
at the tracked change in the text (by mouse and by keyboard), with no accessibility violation."""

import pytest

from comments.models import Suggestion, SuggestionStatus
from tests import factories
from tests.browser.test_accessibility import AXE, WCAG
from tests.browser.test_commenting import chapter_url
from tests.browser.test_selection_toolbar import in_viewport

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def proposed(handbook, editor, counterpart):
    chapter = factories.chapter(handbook, by=editor)  # factories.BODY, in an open round
    suggestion = factories.suggestion(
        chapter, by=counterpart, words="serial number", replacement="serial number and make"
    )
    return chapter, suggestion


def test_an_editor_accepts_from_the_card_in_one_click(page, log_in, live_server, proposed, editor):
    chapter, suggestion = proposed
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(editor)
    page.goto(chapter_url(live_server, chapter))
    page.click(f"#thread-{suggestion.thread_id} .decide button:has-text('Accept')")
    page.wait_for_selector("text=Suggestion accepted.")
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    chapter.refresh_from_db()
    assert "serial number and make" in chapter.body


def test_an_editor_accepts_at_the_tracked_change(page, log_in, live_server, proposed, editor):
    chapter, suggestion = proposed
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(editor)
    page.goto(chapter_url(live_server, chapter))
    change = page.locator(f"#chapter-body ins.tc[data-thread='{suggestion.thread_id}']")
    change.click()
    page.wait_for_selector("#change-popover", state="visible")
    in_viewport(page, "#change-popover")
    assert f"Suggestion #{suggestion.pk}" in page.text_content("#change-popover-title")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Accept"
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    # Escape closes it and gives the focus back to the change; Enter there opens it again.
    page.keyboard.press("Escape")
    assert page.is_hidden("#change-popover")
    assert page.evaluate("document.activeElement.matches('.tc')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#change-popover", state="visible")
    page.keyboard.press("Enter")  # on Accept
    page.wait_for_selector("text=Suggestion accepted.")
    assert Suggestion.objects.get(pk=suggestion.pk).status == SuggestionStatus.ACCEPTED


def test_a_counterpart_clicking_a_change_goes_to_its_card(
    page, log_in, live_server, proposed, bosnian
):
    chapter, suggestion = proposed
    log_in(bosnian)
    page.goto(chapter_url(live_server, chapter))
    page.click(f"#chapter-body ins.tc[data-thread='{suggestion.thread_id}']")
    page.wait_for_selector(f"#thread-{suggestion.thread_id}.active")
    assert page.locator("#change-popover").count() == 0
