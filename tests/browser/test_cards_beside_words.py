"""Cards beside their words: on a laptop each card stands at the height of its words (in
document order, never overlapping), the active one lit with its words; on a phone the side
column is a drawer, opened by its button or by choosing a highlight, closed with Escape."""

import pytest

from tests import factories
from tests.browser.test_accessibility import AXE, WCAG
from tests.browser.test_commenting import chapter_url
from tests.browser.test_selection_toolbar import LONG_BODY, in_viewport, long_chapter  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TOPS = """id => {
  const mark = document.querySelector(`#chapter-body [data-thread="${id}"]`);
  const card = document.getElementById(`thread-${id}`);
  const box = card.getBoundingClientRect();
  return [mark.getBoundingClientRect().top, box.top, box.bottom,
          parseFloat(getComputedStyle(card).marginTop)];
}"""


@pytest.fixture
def commented(long_chapter, counterpart, bosnian):  # noqa: F811
    return long_chapter, [
        factories.comment_thread(long_chapter, by=counterpart, words=f"paragraph {n} of")
        for n in (2, 3, 20, 39)
    ] + [factories.comment_thread(long_chapter, by=bosnian, words="sealed evidence bag")]


def test_on_a_laptop_each_card_stands_beside_its_words(
    page, log_in, live_server, commented, editor
):
    chapter, threads = commented
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(editor)
    page.goto(chapter_url(live_server, chapter))
    page.wait_for_selector("#threads.beside")
    # The forms for typing the words are folded, so that the cards can rise to their words.
    assert page.evaluate("document.getElementById('compose-free').open") is False
    previous_bottom, moved = 0.0, 0
    for thread in threads:
        mark_top, card_top, card_bottom, margin = page.evaluate(TOPS, thread.pk)
        if margin > 0:  # moved down to its words
            assert abs(card_top - mark_top) <= 2, (thread.exact, mark_top, card_top)
            moved += 1
        else:  # its words are higher than the list starts, or the card before reaches lower
            assert card_top >= mark_top - 1, (thread.exact, mark_top, card_top)
        assert card_top >= previous_bottom  # never overlapping, in document order
        previous_bottom = card_bottom
    assert moved >= 3
    # Far down the chapter, the card is on the screen with its words.
    last = threads[-1]
    page.evaluate(
        "id => document.querySelector(`#chapter-body [data-thread='${id}']`).scrollIntoView()",
        last.pk,
    )
    in_viewport(page, f"#thread-{last.pk}")
    # Choosing the words lights the card and the words together; focusing the card, the same.
    page.click(f"#chapter-body mark.hl[data-thread='{last.pk}']")
    assert "active" in page.get_attribute(f"#thread-{last.pk}", "class")
    assert "active" in page.get_attribute(
        f"#chapter-body mark.hl[data-thread='{last.pk}']", "class"
    )
    other = threads[-2]
    page.focus(f"#thread-{other.pk} a")
    assert "active" in page.get_attribute(
        f"#chapter-body mark.hl[data-thread='{other.pk}']", "class"
    )
    assert "active" not in page.get_attribute(
        f"#chapter-body mark.hl[data-thread='{last.pk}']", "class"
    )


def test_on_a_phone_the_cards_are_a_drawer(page, log_in, live_server, commented, counterpart):
    chapter, threads = commented
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    toggle = page.locator(".drawer-toggle")
    toggle.wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert "(5)" in toggle.text_content()
    assert page.is_hidden("#review-aside")
    in_viewport(page, ".drawer-toggle")
    # Opened by keyboard; the drawer takes the focus and is within the screen.
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-aside", state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.id") == "review-aside"
    box = page.locator("#review-aside").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800 + 1 and box["width"] <= 375
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.keyboard.press("Escape")
    assert page.is_hidden("#review-aside")
    assert page.evaluate("document.activeElement.classList.contains('drawer-toggle')")
    # Choosing a highlight opens the drawer at its card.
    last = threads[-1]
    page.evaluate(
        "id => document.querySelector(`#chapter-body [data-thread='${id}']`).scrollIntoView()",
        last.pk,
    )
    page.click(f"#chapter-body mark.hl[data-thread='{last.pk}']")
    page.wait_for_selector("#review-aside", state="visible")
    in_viewport(page, f"#thread-{last.pk}")
    assert page.evaluate("document.activeElement.id") == f"thread-{last.pk}"
    page.click("[data-close-drawer]")
    assert page.is_hidden("#review-aside")


def test_next_and_previous_go_through_the_cards_in_document_order(
    page, log_in, live_server, commented, editor
):
    chapter, threads = commented
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(editor)
    page.goto(chapter_url(live_server, chapter))
    page.click(".thread-nav button:has-text('Next')")

    def active() -> str:
        return page.evaluate("document.querySelector('#threads > .thread.active').id")

    assert active() == f"thread-{threads[0].pk}"
    assert page.text_content(".thread-nav-where") == "1 of 5"
    page.keyboard.press("Alt+Shift+N")
    page.keyboard.press("Alt+Shift+N")
    assert active() == f"thread-{threads[2].pk}"
    words = f"#chapter-body mark.hl[data-thread='{threads[2].pk}']"
    assert "active" in page.get_attribute(words, "class")
    in_viewport(page, words)
    in_viewport(page, f"#thread-{threads[2].pk}")
    page.keyboard.press("Alt+Shift+P")
    assert active() == f"thread-{threads[1].pk}"
    assert page.text_content(".thread-nav-where") == "2 of 5"
    page.keyboard.press("Alt+Shift+P")
    page.keyboard.press("Alt+Shift+P")
    assert page.text_content(".thread-nav-where") == "This is the first."
    assert active() == f"thread-{threads[0].pk}"
