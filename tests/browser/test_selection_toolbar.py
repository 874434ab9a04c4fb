"""Acting at the selection: a toolbar beside the chosen words and the form opened next to them,
at a laptop's size and a phone's, by mouse and by keyboard alone."""

import pytest

from comments.models import Kind, Thread
from tests import factories
from tests.browser.test_accessibility import AXE, WCAG
from tests.browser.test_commenting import SELECT_WORDS, chapter_url, tab_to

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAST_WORDS = "sealed evidence bag"
LONG_BODY = "\n\n".join(
    [f"## Section {n}\n\nOfficers check paragraph {n} of the procedure twice." for n in range(40)]
    + [f"At the end, the seized firearm goes into a {LAST_WORDS} with its label."]
)

IN_VIEWPORT = """selector => {
  const rect = document.querySelector(selector).getBoundingClientRect();
  return rect.width > 0 && rect.top >= 0 && rect.left >= 0
    && rect.bottom <= window.innerHeight && rect.right <= window.innerWidth;
}"""
WHERE = """selector => JSON.stringify({
  box: document.querySelector(selector).getBoundingClientRect(),
  viewport: [window.innerWidth, window.innerHeight],
})"""


def in_viewport(page, selector: str) -> None:
    assert page.evaluate(IN_VIEWPORT, selector), page.evaluate(WHERE, selector)


@pytest.fixture
def long_chapter(handbook, editor):
    chapter = factories.chapter(handbook, by=editor, body=LONG_BODY, in_round=False)
    factories.review_round(handbook, [chapter], by=editor)
    return chapter


@pytest.fixture(params=[(1366, 900), (375, 800)], ids=["laptop", "phone"])
def sized_page(request, page):
    width, height = request.param
    page.set_viewport_size({"width": width, "height": height})
    return page


def test_words_at_the_bottom_get_the_toolbar_and_the_form_beside_them(
    sized_page, log_in, live_server, long_chapter, counterpart
):
    page = sized_page
    log_in(counterpart)
    page.goto(chapter_url(live_server, long_chapter))
    assert page.is_hidden("#selection-toolbar")
    page.evaluate("document.getElementById('chapter-body').lastElementChild.scrollIntoView()")

    assert page.evaluate(SELECT_WORDS, LAST_WORDS)
    page.wait_for_selector("#selection-toolbar", state="visible")
    in_viewport(page, "#selection-toolbar")
    page.click("#selection-toolbar [data-compose=new-thread]")

    in_viewport(page, "#compose-comment")
    assert page.evaluate("document.activeElement.id") == "id_body"
    assert page.input_value("#id_exact") == LAST_WORDS
    page.keyboard.type("Which bag: the customs one or the police one?")
    page.click("#compose-comment button[type=submit]")
    page.wait_for_selector("#chapter-body mark.hl")
    thread = Thread.objects.get(chapter=long_chapter)
    assert thread.exact == LAST_WORDS
    assert thread.comments.get().body == "Which bag: the customs one or the police one?"


def test_a_comment_by_keyboard_alone(page, log_in, live_server, long_chapter, counterpart):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(counterpart)
    page.goto(chapter_url(live_server, long_chapter))
    tab_to(page, "#chapter-body")
    assert page.is_visible("#keyboard-selection")  # says how, while the text has the focus
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.wait_for_selector("#selection-toolbar", state="visible")
    chosen = page.input_value("#id_exact")
    assert chosen.startswith("Section 0")
    page.keyboard.press("Alt+Shift+C")
    assert page.evaluate("document.activeElement.id") == "id_body"
    in_viewport(page, "#compose-comment")
    page.keyboard.type("Number the sections as the national law does.")
    tab_to(page, "#compose-comment button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chapter-body mark.hl")
    thread = Thread.objects.get(chapter=long_chapter)
    assert thread.exact == chosen
    assert thread.comments.get().body == "Number the sections as the national law does."


def test_the_toolbar_is_next_in_the_tab_order_and_escape_puts_the_form_back(
    page, log_in, live_server, long_chapter, counterpart
):
    log_in(counterpart)
    page.goto(chapter_url(live_server, long_chapter))
    tab_to(page, "#chapter-body")
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.compose") == "new-thread"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.compose") == "new-suggestion"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "sg_replacement"
    page.keyboard.type("Part")
    page.keyboard.press("Escape")
    # Back in the side column, with what was typed, and the focus on the text again.
    assert page.evaluate("document.getElementById('compose-suggestion').closest('aside') !== null")
    assert page.input_value("#sg_replacement").endswith("Part")
    assert page.evaluate("document.activeElement.id") == "chapter-body"


def test_what_was_typed_stays_when_the_selection_is_lost(
    page, log_in, live_server, long_chapter, counterpart
):
    log_in(counterpart)
    page.goto(chapter_url(live_server, long_chapter))
    page.evaluate("document.getElementById('chapter-body').lastElementChild.scrollIntoView()")
    page.evaluate(SELECT_WORDS, LAST_WORDS)
    page.click("#selection-toolbar [data-compose=new-suggestion]")
    page.fill("#sg_replacement", "tamper-evident evidence bag")
    page.fill("#sg_body", "The regional standard.")
    # A click elsewhere in the text, which would otherwise propose an insertion there.
    page.click("#chapter-body h2 >> nth=-1")
    assert page.input_value("#sg_exact") == LAST_WORDS
    assert page.input_value("#sg_replacement") == "tamper-evident evidence bag"
    page.click("#compose-suggestion button.primary")
    page.wait_for_selector("#chapter-body .tc")
    thread = Thread.objects.get(chapter=long_chapter)
    assert thread.kind == Kind.SUGGESTION
    assert thread.suggestion.replacement == "tamper-evident evidence bag"


def test_no_accessibility_violations_with_the_toolbar_or_the_form_open(
    sized_page, log_in, live_server, long_chapter, counterpart
):
    page = sized_page
    log_in(counterpart)
    page.goto(chapter_url(live_server, long_chapter))
    page.evaluate(SELECT_WORDS, LAST_WORDS)
    page.wait_for_selector("#selection-toolbar", state="visible")
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.click("#selection-toolbar [data-compose=new-suggestion]")
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


SENTENCE = "Officers record the serial number, the make and the calibre."
# Select a sentence of a paragraph across its text nodes (highlights split them), as a reader's
# drag does; the selected text, or null when no paragraph reads the sentence.
SELECT_SENTENCE = """sentence => {
  const p = [...document.querySelectorAll("#chapter-body p")]
    .find(p => p.textContent.includes(sentence));
  if (!p) return null;
  const start = p.textContent.indexOf(sentence), end = start + sentence.length;
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let at = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = node.data.length;
    if (start >= at && start <= at + length) range.setStart(node, start - at);
    if (end >= at && end <= at + length) { range.setEnd(node, end - at); break; }
    at += length;
  }
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  p.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
  return selection.toString();
}"""


def test_a_counterpart_reads_as_it_is_now_and_selects_the_original_sentence(
    page, log_in, live_server, handbook, editor, counterpart, bosnian
):
    chapter = factories.chapter(handbook, by=editor)  # factories.BODY, in an open round
    factories.suggestion(chapter, by=bosnian, words="serial number", replacement="serial no.")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    # Marked, Bosnia's change is drawn into the sentence: no paragraph reads it as it is.
    page.wait_for_selector("#chapter-body ins")
    assert page.evaluate(SELECT_SENTENCE, SENTENCE) is None
    page.click("text=As it reads now")
    page.wait_for_selector("nav.view-toggle a[aria-current=page]:has-text('As it reads now')")
    assert page.locator("#chapter-body ins, #chapter-body del").count() == 0
    assert page.evaluate(SELECT_SENTENCE, SENTENCE) == SENTENCE
    page.wait_for_selector("#selection-toolbar", state="visible")
    page.click("#selection-toolbar [data-compose=new-thread]")
    page.keyboard.type("Add the country of manufacture.")
    page.click("#compose-comment button[type=submit]")
    page.wait_for_selector("#chapter-body mark.hl")
    thread = Thread.objects.get(chapter=chapter, kind=Kind.COMMENT)
    assert thread.exact == SENTENCE
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
