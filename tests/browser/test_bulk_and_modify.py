"""An editor's heavier decisions in the browser: Reject all shows the count, needs confirming
and can be undone from the chapter page; Modify and accept redraws the word diff as the editor
types."""

import pytest

from comments.models import SuggestionStatus
from tests import factories
from tests.browser.test_accessibility import AXE, WCAG
from tests.browser.test_commenting import chapter_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def proposed(handbook, editor, counterpart, bosnian):
    chapter = factories.chapter(handbook, by=editor)  # factories.BODY, in an open round
    return chapter, [
        factories.suggestion(
            chapter, by=counterpart, words="serial number", replacement="serial number and make"
        ),
        factories.suggestion(chapter, by=bosnian, words="firearm", replacement="weapon"),
    ]


def test_bulk_reject_shows_the_count_needs_confirming_and_can_be_undone(
    page, log_in, live_server, proposed, editor
):
    chapter, suggestions = proposed
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(editor)
    page.goto(chapter_url(live_server, chapter))
    page.click("form.bulk button:has-text('Reject all')")
    page.wait_for_selector("h1:has-text('Reject these 2 suggestions?')")
    for suggestion in suggestions:
        suggestion.refresh_from_db()
        assert suggestion.status == SuggestionStatus.OPEN  # nothing decided before confirming
    page.fill("#bulk-confirm-reason", "Outside the scope of this edition.")
    page.click("button:has-text('Reject these 2 suggestions')")
    banner = page.wait_for_selector("form.undo-offer")
    assert "You rejected 2 suggestions at once." in banner.text_content()
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.focus("form.undo-offer button")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Undone: 2 suggestions are open again.")
    for suggestion in suggestions:
        suggestion.refresh_from_db()
        assert suggestion.status == SuggestionStatus.OPEN


def test_modify_redraws_the_word_diff_as_the_editor_types(
    page, log_in, live_server, proposed, editor
):
    chapter, suggestions = proposed
    log_in(editor)
    page.goto(f"{live_server.url}/suggestions/{suggestions[0].pk}/decide/")
    assert page.inner_html("#wording-diff") == "serial number<ins> and make</ins>"
    page.fill("#id_replacement", "serial and batch number")
    page.wait_for_selector("#wording-diff ins:text-is('and batch')")
    assert page.text_content("#wording-diff") == "serial and batch number"
    assert page.locator("#wording-diff ins").all_text_contents() == ["and batch "]
    assert page.locator("#wording-diff del").count() == 0
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.click("button:has-text('Accept with this wording')")
    page.wait_for_selector("text=Suggestion accepted.")
    chapter.refresh_from_db()
    assert "serial and batch number" in chapter.body
