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
    assert f"Suggestion #{suggestion.number}" in page.text_content("#change-popover-title")
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


DRAWN = """() => [...new Set([...document.querySelectorAll('#chapter-body .tc[data-thread]')]
  .map(e => e.dataset.thread))]"""


def test_overlapping_suggestions_of_two_jurisdictions_are_shown_one_at_a_time(
    page, log_in, live_server, handbook, editor, counterpart, bosnian
):
    chapter = factories.chapter(handbook, by=editor)
    albanian = factories.suggestion(
        chapter, by=counterpart, words="serial number", replacement="serial no."
    )
    bosnian_one = factories.suggestion(
        chapter, by=bosnian, words="serial number, the make", replacement="serial number and make"
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    page.wait_for_selector("#chapter-body .tc-switch")
    # One drawn, never the two interleaved; its jurisdiction's code and colour class on it.
    assert page.evaluate(DRAWN) == [str(albanian.thread_id)]
    assert page.text_content("#chapter-body .tc-tag") == "AL"
    assert page.locator("#chapter-body .tc.j-al").count() > 0
    switch = page.locator("#chapter-body .tc-switch")
    assert switch.text_content() == "1/2 ▸"
    assert "Suggestion 1 of 2 overlapping here" in switch.get_attribute("aria-label")
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    # The button shows the other in its place (by keyboard: it keeps the focus).
    switch.focus()
    page.keyboard.press("Enter")
    drawn = f'#chapter-body .tc[data-thread="{bosnian_one.thread_id}"]'
    page.wait_for_selector(drawn)
    assert page.evaluate(DRAWN) == [str(bosnian_one.thread_id)]
    assert page.text_content("#chapter-body .tc-tag") == "BA"
    assert page.locator("#chapter-body .tc.j-ba").count() > 0
    assert page.evaluate("document.activeElement.className") == "tc-switch"
    assert page.text_content("#chapter-body .tc-switch") == "2/2 ▸"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#chapter-body .tc-tag').textContent === 'AL'"
    )
