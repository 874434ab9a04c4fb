"""Suggesting an edit in the browser, and an editor accepting it."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from chapters.models import Chapter
from comments.actions import accept, locate_selection, open_thread
from comments.models import Suggestion
from tests import factories
from tests.browser.conftest import totp_code
from tests.browser.test_accessibility import WCAG
from tests.browser.test_commenting import SELECT_WORDS, chapter_url, marked_text

# The chapter's text as it reads: without struck words and the screen readers' labels.
READS_AS = """() => {
  const copy = document.getElementById("chapter-body").cloneNode(true);
  for (const element of copy.querySelectorAll("del, .visually-hidden")) element.remove();
  return copy.textContent;
}"""

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
    # Editors give a code from their authenticator app after the password.
    device = TOTPDevice.objects.create(user=editor, name="app", confirmed=True)
    editor_page.goto(f"{live_server.url}/accounts/login/")
    editor_page.fill("#id_username", editor.email)
    editor_page.fill("#id_password", "pass-for-tests")
    editor_page.click("main form button[type=submit]")
    editor_page.fill("#id_code", totp_code(device))
    editor_page.click("main form button[type=submit]")
    editor_page.wait_for_url(lambda url: "/accounts/" not in url)
    editor_page.goto(chapter_url(live_server, chapter) + f"?thread={suggestion.thread_id}")
    card = f"#thread-{suggestion.thread_id}"
    # The editor sees the proposed change as a tracked change: removed and added words.
    assert editor_page.text_content(f"{card} .proposal ins").strip() == "and register"
    # ... and in the text itself, where it would go, with a label for screen readers.
    inline = editor_page.locator("#chapter-body ins.tc")
    assert inline.text_content() == "ALSuggested insertion (Albania): and register "
    assert inline.get_attribute("data-thread") == str(suggestion.thread_id)
    # The toggle shows the chapter as it would read with the suggestion accepted.
    editor_page.click("text=As proposed (1 open suggestion)")
    editor_page.wait_for_url("**view=proposed")
    assert "mark and register every firearm" in editor_page.evaluate(READS_AS)
    assert "and register" in editor_page.text_content("#chapter-body ins")
    editor_page.click("text=With suggestions marked")
    editor_page.wait_for_selector("#chapter-body ins.tc")
    # As it reads now: the text alone, no change drawn into it.
    editor_page.click("text=As it reads now")
    editor_page.wait_for_url("**changes=none")
    assert editor_page.locator("#chapter-body ins.tc, #chapter-body del.tc").count() == 0
    editor_page.goto(chapter_url(live_server, chapter) + f"?thread={suggestion.thread_id}")
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


AXE = Axe()

# Put the cursor (a collapsed selection) right after `words`, as a click there would.
PLACE_CURSOR = """words => {
  const body = document.getElementById("chapter-body");
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(words);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at + words.length);
    range.collapse(true);
    const selection = document.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    node.parentElement.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
    return true;
  }
  return false;
}"""


def suggest_on(chapter, words, replacement, *, by):
    return factories.suggestion(
        chapter, by=by, words=words, replacement=replacement, rationale="Clearer."
    )


def test_tracked_changes_link_to_their_cards_and_pass_axe(
    page, log_in, live_server, chapter, editor
):
    first = suggest_on(chapter, "serial number", "serial number and model", by=editor)
    second = suggest_on(chapter, "the calibre", "the calibre and length", by=editor)
    log_in(editor)
    page.goto(chapter_url(live_server, chapter))
    deleted = page.locator("#chapter-body ins.tc")
    assert deleted.count() == 2
    # An editor clicking a tracked change gets its decisions beside it, and its card from there.
    page.click(f'#chapter-body .tc[data-thread="{second.thread_id}"]')
    page.wait_for_selector("#change-popover", state="visible")
    page.click("#change-popover [data-popover=card]")
    assert page.evaluate("document.activeElement.id") == f"thread-{second.thread_id}"
    # From the keyboard: the change is a focus stop, Enter opens the same, Tab reaches the card.
    page.focus(f'#chapter-body .tc[data-thread="{first.thread_id}"][tabindex="0"]')
    page.keyboard.press("Enter")
    page.wait_for_selector("#change-popover", state="visible")
    for _ in range(3):  # Accept, Modify and accept, Reject
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.popover") == "card"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == f"thread-{first.thread_id}"
    # Comments still anchor on the text as the server renders it: the inserted words are not
    # part of the offsets.
    assert page.evaluate(SELECT_WORDS, "the make")
    page.wait_for_function("() => document.getElementById('id_exact').value === 'the make'")
    start = int(page.input_value("#new-thread input[name=start]"))
    assert chapter.plain_text()[start : start + 8] == "the make"

    for url in ("", "?view=proposed"):
        page.goto(chapter_url(live_server, chapter) + url)
        results = AXE.run(page, options=WCAG)
        assert results.violations_count == 0, results.generate_report()


def test_insertion_at_the_cursor_end_to_end(
    browser, page, log_in, live_server, chapter, counterpart, editor
):
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    assert page.evaluate(PLACE_CURSOR, "mark every ")
    page.wait_for_function(
        "() => document.querySelector('#new-suggestion input[name=start]').value !== ''"
    )
    assert page.input_value("#sg_exact") == ""
    page.click("#compose-free > summary")  # a click in the text does not unfold the forms
    page.fill("#sg_replacement", "and register ")
    page.fill("#sg_body", "Registration too.")
    page.click("#new-suggestion button[name=preview]")
    page.wait_for_selector("#suggestion-preview ins")
    assert "and register" in page.text_content("#suggestion-preview ins")
    page.click("#new-suggestion button.primary")
    page.wait_for_selector(".proposal")
    suggestion = Suggestion.objects.get()
    assert suggestion.original == "" and suggestion.source_start == suggestion.source_end
    # Only inserted words in the text: nothing is struck.
    assert page.locator("#chapter-body del.tc").count() == 0
    said = page.text_content("#chapter-body ins.tc")
    assert said == "ALSuggested insertion (Albania): and register "
    accept(suggestion, by=editor)
    assert "mark every and register firearm" in Chapter.objects.get().body
