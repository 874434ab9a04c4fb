"""The review pages (rounds, sign-off, workflow, reports, notifications, import, editions,
exports) have no WCAG 2.1 A/AA violations for the people who use them, and the two steps people
take most often there (signing off, moving a chapter on) work with the keyboard alone."""

import pytest
from django.urls import reverse

from chapters.models import SignOff, Status, Transition
from tests import factories
from tests.browser.test_accessibility import AXE, WCAG

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_accessible(page, url: str) -> None:
    """`url` is shown (not an error page, which would pass trivially) with no axe violations."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, f"{url}\n{results.generate_report()}"


@pytest.fixture
def review(removable_editions, handbook, chapter, editor, counterpart):
    """A handbook in its second review: two editions (1.0, then 1.1 with a changed chapter), a
    round over two chapters inviting AL and BA, threads, a reply, a suggestion, one sign-off by
    the counterpart, notifications, and a draft chapter."""
    return factories.second_review(handbook, chapter, editor=editor, counterpart=counterpart)


def test_editors_review_pages_are_accessible(page, log_in, live_server, review, editor):
    log_in(editor)
    slug = review["handbook"].slug
    chapter, round_ = review["chapter"], review["round"]
    for url in (
        reverse("handbook", args=[slug]),
        reverse("chapters:rounds", args=[slug]),
        reverse("chapters:round", args=[slug, round_.pk]),
        reverse("chapters:new_round", args=[slug]),
        reverse("chapters:edit_round", args=[slug, round_.pk]),
        reverse("chapters:workflow", args=[slug, chapter.pk]),
        reverse("chapters:workflow", args=[slug, review["draft"].pk]),
        reverse("comments:dashboard", args=[slug]),
        reverse("chapters:import_upload", args=[slug]),
        reverse("chapters:editions", args=[slug]),
        reverse("chapters:edition", args=[slug, "1.1"]),
        reverse("chapters:edition_chapter", args=[slug, "1.1", chapter.number]),
        reverse("chapters:edition_changes", args=[slug, "1.1"]),
        reverse("chapters:draft_exports", args=[slug]),
        reverse("chapters:history", args=[slug, chapter.pk]),
        reverse("chapters:compare", args=[slug, chapter.pk]) + "?from=1&to=2",
        reverse("version", args=[slug, chapter.pk, 1]),
        reverse("notifications:list"),
    ):
        assert_accessible(page, live_server.url + url)


def test_the_import_preview_is_accessible(page, log_in, live_server, review, editor):
    log_in(editor)
    page.goto(live_server.url + reverse("chapters:import_upload", args=[review["handbook"].slug]))
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "handbook.md",
                "mimeType": "text/markdown",
                "buffer": b"# Legal framework\n\nNew text.\n\n# Training\n\nA new chapter.\n",
            }
        ],
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_counterparts_review_pages_are_accessible(page, log_in, live_server, review, counterpart):
    log_in(counterpart)
    slug = review["handbook"].slug
    chapter, round_ = review["chapter"], review["round"]
    for url in (
        reverse("handbook", args=[slug]),
        reverse("chapters:rounds", args=[slug]),
        reverse("chapters:round", args=[slug, round_.pk]),  # with the counterpart's sign-off row
        reverse("chapters:workflow", args=[slug, chapter.pk]),
        reverse("comments:my_review", args=[slug]),
        reverse("notifications:list"),
        reverse("notifications:settings"),
        reverse("chapter", args=[slug, chapter.pk]),
        reverse("chapter", args=[slug, chapter.pk]) + f"?thread={review['thread'].pk}",
        reverse("chapters:editions", args=[slug]),
        reverse("chapters:edition", args=[slug, "1.1"]),
        reverse("chapters:edition_changes", args=[slug, "1.1"]),
    ):
        assert_accessible(page, live_server.url + url)


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    assert target.count() == 1, selector
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")


def test_a_counterpart_signs_off_with_the_keyboard(page, log_in, live_server, review, counterpart):
    log_in(counterpart)
    chapter, round_ = review["chapter"], review["round"]
    page.goto(live_server.url + reverse("chapters:round", args=[chapter.handbook.slug, round_.pk]))
    tab_to(page, f'button[aria-label="{chapter.title}: Reviewed, with comments"]')
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    status = page.get_by_role("status")
    assert "Signed off" in status.inner_text()
    assert "Reviewed, with comments" in page.locator("tr.mine").inner_text()
    given = SignOff.objects.get(round=round_, chapter=chapter, withdrawn_at__isnull=True)
    assert (given.by, given.verdict) == (counterpart, "with_comments")


def test_an_editor_moves_a_chapter_on_with_the_keyboard(page, log_in, live_server, review, editor):
    log_in(editor)
    draft = review["draft"]
    page.goto(live_server.url + reverse("chapters:workflow", args=[draft.handbook.slug, draft.pk]))
    tab_to(page, "#in_review_note")
    page.keyboard.type("Ready for the second reading.")
    tab_to(page, 'form.step button[type="submit"]', limit=3)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "workflow" in url)
    page.wait_for_load_state()
    assert "The chapter is now “In review”" in page.get_by_role("status").inner_text()
    step = Transition.objects.get(chapter=draft)
    assert (step.target, step.note, step.by) == (
        Status.IN_REVIEW,
        "Ready for the second reading.",
        editor,
    )
