"""Search in Chromium: "/" from any page, the results by keyboard, a filter, and a result
opened at its passage (a chapter scrolled to the words, a comment's thread opened)."""

import pytest

from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FILLER = "\n\n".join(
    f"Paragraph {n} says how officers record a weapon found at the crossing point."
    for n in range(80)
)


def in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        """element => { const box = element.getBoundingClientRect();
            return box.bottom > 0 && box.top < window.innerHeight; }""",
    )


def test_search_filter_and_open_a_result_at_its_passage(
    page, log_in, live_server, handbook, editor, counterpart
):
    chapter = factories.chapter(
        handbook,
        by=editor,
        title="Marking of firearms",
        body=f"# Marking\n\n{FILLER}\n\nThe headstamp of a cartridge names its maker.\n",
    )
    thread = factories.comment_thread(
        chapter,
        by=counterpart,
        words="names its maker",
        body="Should the headstamp be photographed as well?",
    )
    log_in(counterpart)

    # "/" from an ordinary page puts the cursor in the header's search box.
    page.goto(f"{live_server.url}/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("headstamp")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=headstamp")
    links = page.locator("a.hit-link")
    assert links.count() == 2  # the chapter and the comment
    assert page.locator("mark", has_text="headstamp").count() >= 2

    # The results by keyboard: down from the box to the first, on to the second, up and back.
    page.focus("#id_q")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.className") == "hit-link"
    first = page.evaluate("document.activeElement.href")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.href") != first
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "id_q"

    # A filter narrows the results, and the query stays in the address.
    page.click("details.filters summary")
    page.select_option("#id_kind", "comment")
    page.click("main form.search-form button[type=submit]")
    page.wait_for_url("**kind=comment**")
    assert "q=headstamp" in page.url
    assert links.count() == 1

    # The comment opens its thread on the chapter page.
    links.first.click()
    page.wait_for_url(f"**/?thread={thread.pk}#thread-{thread.pk}")
    assert in_viewport(page, f"#thread-{thread.pk}")
    assert page.locator(f"#thread-{thread.pk}", has_text="photographed").is_visible()

    # The chapter opens scrolled to the words, eighty paragraphs down.
    page.goto(f"{live_server.url}/search/?q=headstamp&kind=chapter")
    page.locator("a.hit-link").first.click()
    page.wait_for_url("**#:~:text=**")
    page.wait_for_function("window.scrollY > 0")
    assert in_viewport(page, "p:has-text('The headstamp of a cartridge')")
