"""Commenting on words in a chapter: selecting, highlighting, linking, and doing it by keyboard."""

import pytest

from comments.actions import locate_selection, open_thread, resolve_thread
from comments.models import Thread

# live_server answers from another thread, so tests commit for real; the serialized rollback
# puts back the jurisdictions that a data migration created and the flush removes.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = "mark every firearm"  # in "The Firearms Protocol obliges States to mark every firearm ..."

# Select `words` in the chapter as a mouse drag would leave them, then release the button.
SELECT_WORDS = """words => {
  const body = document.getElementById("chapter-body");
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(words);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + words.length);
    const selection = document.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    node.parentElement.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
    return true;
  }
  return false;
}"""

# Select a whole element by its child boundaries, as a triple click does.
SELECT_ELEMENT = """selector => {
  const element = document.querySelector(selector);
  const range = document.createRange();
  range.setStart(element, 0);
  range.setEnd(element, element.childNodes.length);
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  element.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
}"""

MARKED_TEXT = "marks => marks.map(mark => mark.textContent).join('')"


def chapter_url(live_server, chapter) -> str:
    return live_server.url + chapter.get_absolute_url()


def marked_text(page) -> str:
    return page.eval_on_selector_all("#chapter-body mark.hl", MARKED_TEXT)


def anchor_on(chapter, words: str):
    return locate_selection(chapter, version=chapter.version, exact=words)


def tab_to(page, selector: str, *, limit: int = 200) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_selected_words_become_a_highlighted_thread(
    page, log_in, live_server, chapter, counterpart
):
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    text_before = page.evaluate("document.getElementById('chapter-body').textContent")

    assert page.evaluate(SELECT_WORDS, WORDS)
    page.wait_for_function("w => document.getElementById('id_exact').value === w", arg=WORDS)
    start = int(page.input_value("#id_start"))
    assert text_before[start : start + len(WORDS)] == WORDS
    assert page.input_value("#id_end") == str(start + len(WORDS))
    assert page.input_value("#id_prefix") == text_before[start - 32 : start]
    assert page.input_value("#id_suffix") == text_before[start + len(WORDS) :][:32]
    assert WORDS in page.text_content("#selection-status")
    # Selecting must not move the focus away from the text.
    assert page.evaluate("document.activeElement === document.body")

    page.fill("#id_body", "Say which marking standard applies.")
    page.click("#new-thread button[type=submit]")
    page.wait_for_selector("#chapter-body mark.hl")

    thread = Thread.objects.get(chapter=chapter)
    assert (thread.exact, thread.start, thread.end) == (WORDS, start, start + len(WORDS))
    assert thread.comments.get().body == "Say which marking standard applies."
    page.reload()
    assert marked_text(page) == WORDS
    assert page.get_attribute("#chapter-body mark.hl", "data-thread") == str(thread.pk)
    # Highlighting wraps words; it never changes the text the offsets count in.
    assert page.evaluate("document.getElementById('chapter-body').textContent") == text_before
    assert "Say which marking standard applies." in page.text_content(f"#thread-{thread.pk}")


def test_selection_bounded_by_elements_is_anchored_to_its_text(
    page, log_in, live_server, chapter, counterpart
):
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    paragraph = page.text_content("#chapter-body h2 + p")

    page.evaluate(SELECT_ELEMENT, "#chapter-body h2 + p")
    page.wait_for_function("p => document.getElementById('id_exact').value === p", arg=paragraph)
    page.fill("#id_body", "The whole sentence.")
    page.click("#new-thread button[type=submit]")
    page.wait_for_selector("#chapter-body mark.hl")

    assert Thread.objects.get(chapter=chapter).exact == paragraph
    assert marked_text(page) == paragraph


def test_highlight_stays_on_its_words_after_an_earlier_sentence_changes(
    page, log_in, live_server, chapter, editor, counterpart
):
    thread = open_thread(chapter, by=counterpart, anchor=anchor_on(chapter, WORDS), body="Which?")
    old_start = thread.start
    chapter.revise(
        body=chapter.body.replace(
            "Introductory text of the chapter.",
            "A much longer introduction, rewritten by the editor after the first review round.",
        ),
        by=editor,
        reason="Clearer introduction",
        base_version=chapter.version,
    )
    thread.refresh_from_db()
    assert thread.start != old_start  # the words really moved

    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))

    assert marked_text(page) == WORDS
    text = page.evaluate("document.getElementById('chapter-body').textContent")
    assert text[thread.start : thread.end] == WORDS


def test_reply_and_resolve_through_the_page(page, log_in, live_server, chapter, counterpart):
    thread = open_thread(chapter, by=counterpart, anchor=anchor_on(chapter, WORDS), body="Which?")
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    article = f"#thread-{thread.pk}"

    # The card shows the first comment; opening it (htmx) brings the replies and the forms,
    # and moves the focus into the opened thread.
    page.click(f"{article} .open-thread a")
    page.wait_for_selector(f"{article}.expanded")
    assert page.evaluate(f"document.activeElement.id === 'thread-{thread.pk}'")
    page.fill(f"#reply-{thread.pk}", "The UN marking standard, I think.")
    page.click(f"{article} form.reply button[type=submit]")
    page.wait_for_selector(f"{article} >> text=The UN marking standard, I think.")
    page.click(f"{article} button[name=action][value=resolve]")
    page.wait_for_selector(f"{article}.resolved")

    thread.refresh_from_db()
    assert not thread.is_open
    assert list(thread.comments.values_list("body", flat=True)) == [
        "Which?",
        "The UN marking standard, I think.",
    ]
    assert "The UN marking standard, I think." in page.text_content(article)
    # Drawn as resolved (and lit, with its card, which has the focus).
    classes = page.get_attribute(f"#chapter-body mark.hl[data-thread='{thread.pk}']", "class")
    assert set(classes.split()) == {"hl", "resolved", "active"}


def test_quote_link_and_highlight_lead_to_each_other(
    page, log_in, live_server, chapter, counterpart
):
    thread = open_thread(chapter, by=counterpart, anchor=anchor_on(chapter, WORDS), body="Which?")
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))

    page.click(f"#thread-{thread.pk} a.quote-link")
    assert page.evaluate("document.activeElement.matches('mark.hl.active')")
    assert "#" not in page.url  # the link's default jump was replaced by the highlight

    page.click("#chapter-body mark.hl")
    assert page.evaluate("document.activeElement.id") == f"thread-{thread.pk}"
    assert "active" in page.get_attribute(f"#thread-{thread.pk}", "class")


def test_keyboard_only_comment_and_jump_to_thread(page, log_in, live_server, chapter, counterpart):
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))

    # The forms for typing the words are folded beside the cards: opened with Enter.
    tab_to(page, "#compose-free > summary")
    page.keyboard.press("Enter")
    tab_to(page, "#id_exact")
    page.keyboard.type(WORDS)
    tab_to(page, "#id_body")
    page.keyboard.type("Keyboard-only comment.")
    tab_to(page, "#new-thread button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#chapter-body mark.hl")

    thread = Thread.objects.get(chapter=chapter)
    assert thread.exact == WORDS
    assert marked_text(page) == WORDS

    tab_to(page, "#chapter-body mark.hl")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == f"thread-{thread.pk}"


def test_quote_edited_by_hand_drops_the_selection_position(
    page, log_in, live_server, chapter, counterpart
):
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    assert page.evaluate(SELECT_WORDS, WORDS)
    page.wait_for_function("w => document.getElementById('id_exact').value === w", arg=WORDS)

    page.fill("#id_exact", "every firearm")
    for hidden in ("#id_start", "#id_end", "#id_prefix", "#id_suffix"):
        assert page.input_value(hidden) == ""
    page.fill("#id_body", "Only these two words.")
    page.click("#new-thread button[type=submit]")
    page.wait_for_selector("#chapter-body mark.hl")

    assert Thread.objects.get(chapter=chapter).exact == "every firearm"
    assert marked_text(page) == "every firearm"


def test_filtering_threads_redraws_the_highlights(page, log_in, live_server, chapter, counterpart):
    open_thread(chapter, by=counterpart, anchor=anchor_on(chapter, WORDS), body="Open one.")
    serial = anchor_on(chapter, "serial number")
    done = open_thread(chapter, by=counterpart, anchor=serial, body="Resolved one.")
    resolve_thread(done, by=counterpart)
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    assert marked_text(page) == WORDS + "serial number"

    page.select_option("#filter-status", "resolved")
    page.wait_for_function("() => !document.querySelector('#chapter-body mark.hl:not(.resolved)')")
    assert marked_text(page) == "serial number"
    assert page.get_attribute("#chapter-body mark.hl", "data-thread") == str(done.pk)

    page.select_option("#filter-status", "")
    page.wait_for_function("() => document.querySelectorAll('#chapter-body mark.hl').length === 2")
    assert marked_text(page) == WORDS + "serial number"


def test_offsets_agree_with_the_server_after_emoji(page, log_in, live_server, handbook, editor):
    # Emoji are two UTF-16 units in the browser and one code point on the server: the script
    # converts, so both the stored position and the highlight land on the selected words.
    from tests import factories

    chap = factories.chapter(
        handbook, by=editor, body="Warning 🔫🔫 signs: 😀 the officer seals the evidence bag.\n"
    )
    log_in(editor)
    page.goto(chapter_url(live_server, chap))
    assert page.evaluate(SELECT_WORDS, "seals the evidence")
    page.wait_for_function(
        "w => document.getElementById('id_exact').value === w", arg="seals the evidence"
    )
    # The form carries code-point offsets (the server would otherwise have to search).
    server_start = chap.plain_text().index("seals the evidence")
    assert int(page.input_value("#id_start")) == server_start
    page.fill("#id_body", "Which bag?")
    page.click("#new-thread button[type=submit]")
    page.wait_for_selector("#chapter-body mark.hl")

    thread = Thread.objects.get(chapter=chap)
    text = chap.plain_text()
    assert text[thread.start : thread.end] == "seals the evidence"
    assert thread.start == text.index("seals the evidence")
    page.reload()
    assert marked_text(page) == "seals the evidence"
