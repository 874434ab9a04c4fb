"""axe-core finds no accessibility violations on the main pages (WCAG 2.x A/AA rules, which
include labelled form fields and sufficient colour contrast)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse

from comments.actions import locate_selection, open_thread

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Axe()
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page, url: str) -> None:
    page.goto(url)
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, f"{url}\n{results.generate_report()}"


# Every interface language: longer words and other scripts must not break a layout or a label.
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_page_is_accessible(page, live_server, language):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    assert_accessible(page, live_server.url + reverse("login"))
    assert page.get_attribute("html", "lang") == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_reading_and_reviewing_pages_are_accessible(
    page, log_in, live_server, chapter, counterpart, editor, language
):
    counterpart.language = language
    counterpart.save()
    thread = open_thread(
        chapter,
        by=counterpart,
        anchor=locate_selection(chapter, version=1, exact="serial number"),
        body="Which **serial** number?",
    )
    chapter.revise(body=chapter.body + "\nMore.\n", by=editor, reason="r", base_version=1)
    log_in(counterpart)
    slug, pk = chapter.handbook.slug, chapter.pk
    for url in (
        reverse("home"),
        chapter.handbook.get_absolute_url(),
        chapter.get_absolute_url(),
        chapter.get_absolute_url() + f"?thread={thread.pk}",
        reverse("chapters:history", args=[slug, pk]),
        reverse("chapters:compare", args=[slug, pk]) + "?from=1&to=2",
        reverse("version", args=[slug, pk, 1]),
        reverse("comments:search") + "?q=serial",
        reverse("comments:search") + "?q=serial&kind=comment&status=open",
    ):
        assert_accessible(page, live_server.url + url)


@pytest.mark.parametrize("language", ["en", "sr"])
def test_editor_pages_are_accessible(page, log_in, live_server, chapter, editor, language):
    editor.language = language
    editor.save()
    log_in(editor)
    slug, pk = chapter.handbook.slug, chapter.pk
    for url in (
        chapter.handbook.get_absolute_url(),
        reverse("chapters:edit_chapter", args=[slug, pk]),
        reverse("chapters:add_chapter", args=[slug]),
    ):
        assert_accessible(page, live_server.url + url)


def test_the_check_catches_an_unlabelled_field_and_poor_contrast(page):
    # The control: without it, a silently broken axe run would pass every page above.
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    results = AXE.run(page, options=WCAG)
    ids = {violation["id"] for violation in results.response["violations"]}
    assert {"label", "color-contrast"} <= ids
