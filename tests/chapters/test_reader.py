"""The reader: table of contents, sanitised chapter page, history and word diffs, query budgets."""

import re

import pytest
from django.urls import reverse

from chapters.models import Chapter
from tests import factories
from tests.conftest import client_for

XSS_BODY = """## Heading

<script>alert("script")</script>

<img src=x onerror="alert('img')">

[click](javascript:alert('md-link'))

<a href="javascript:alert('a-link')">html link</a>

<a href="JaVaScRiPt:alert('mixed')">mixed case</a>

<iframe src="https://example.org"></iframe>
"""


def assert_inert(html: str) -> None:
    # Text may mention anything (it is escaped); no tag may carry behaviour.
    tags = [tag.lower() for tag in re.findall(r"<[^>]*>", html)]
    assert tags, "nothing rendered"
    for tag in tags:
        assert not tag.startswith(("<script", "<iframe", "<style", "<object", "<embed")), tag
        assert " on" not in tag.replace("noopener", ""), tag
        assert "javascript:" not in tag, tag


def test_chapter_page_renders_hostile_markdown_inert(handbook, editor, counterpart):
    chap = factories.chapter(handbook, by=editor, body=XSS_BODY)
    response = client_for(counterpart).get(chap.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    start = body.index('id="chapter-body"')
    assert_inert(body[start : body.index("</article>", start)])
    assert "html link" in body  # the text survives, the behaviour does not


def test_markdownx_preview_renders_hostile_markdown_inert(editor):
    response = client_for(editor).post(reverse("markdownx_markdownify"), {"content": XSS_BODY})
    assert response.status_code == 200
    assert_inert(response.content.decode())


def test_chapter_page_has_numbered_sections_with_deep_link_ids(handbook, editor, counterpart):
    chap = factories.chapter(
        handbook, by=editor, number=3, body="## Legal basis\n\n### Definitions\n\nText.\n"
    )
    page = client_for(counterpart).get(chap.get_absolute_url()).content.decode()
    assert re.search(r'<h2[^>]*id="legal-basis"', page)
    assert 'data-secnum="3.1"' in page
    assert 'data-secnum="3.1.1"' in page
    assert 'href="#definitions"' in page  # in-chapter outline


def test_table_of_contents_lists_chapters_with_status(handbook, editor, counterpart):
    factories.chapter(handbook, by=editor, title="Legal framework")
    factories.chapter(handbook, by=editor, title="Secret draft", status="draft")
    page = client_for(counterpart).get(handbook.get_absolute_url()).content.decode()
    assert "Legal framework" in page and "In review" in page
    assert "Secret draft" not in page
    editor_page = client_for(editor).get(handbook.get_absolute_url()).content.decode()
    assert "Secret draft" in editor_page and "Draft" in editor_page


def test_history_lists_versions_with_who_when_why(chapter, editor, counterpart):
    chapter.revise(body="New text.", by=editor, reason="Workshop outcome", base_version=1)
    page = (
        client_for(counterpart)
        .get(reverse("chapters:history", args=[chapter.handbook.slug, chapter.pk]))
        .content.decode()
    )
    assert "Workshop outcome" in page and "Created" in page
    assert editor.name in page


def test_compare_marks_only_the_changed_word_in_a_long_paragraph(handbook, editor, counterpart):
    words = [f"word{i}" for i in range(500)]
    before = " ".join(words)
    words[250] = "changed"
    chap = factories.chapter(handbook, by=editor, body=before)
    chap.revise(body=" ".join(words), by=editor, reason="One word", base_version=1)
    url = reverse("chapters:compare", args=[handbook.slug, chap.pk]) + "?from=1&to=2"
    page = client_for(counterpart).get(url).content.decode()
    diff = page[page.index('<div class="diff">') :]
    assert re.findall(r"<del>(.*?)</del>", diff) == ["word250"]
    assert re.findall(r"<ins>(.*?)</ins>", diff) == ["changed"]


def test_compare_htmx_request_returns_only_the_diff_partial(chapter, editor, counterpart):
    chapter.revise(body="New text.", by=editor, reason="r", base_version=1)
    url = reverse("chapters:compare", args=[chapter.handbook.slug, chapter.pk]) + "?from=1&to=2"
    response = client_for(counterpart).get(url, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.strip().startswith('<section id="diff"')
    assert "<html" not in content


def test_old_version_page_shows_the_old_text(chapter, editor, counterpart):
    old_body = chapter.body
    chapter.revise(body="Completely new.", by=editor, reason="r", base_version=1)
    url = reverse("version", args=[chapter.handbook.slug, chapter.pk, 1])
    page = client_for(counterpart).get(url).content.decode()
    assert "Firearms Protocol" in old_body and "Firearms Protocol" in page
    assert "Completely new." not in page


@pytest.mark.parametrize("role", ["counterpart", "editor"])
def test_table_of_contents_query_count_does_not_grow_with_chapters(
    request, handbook, editor, role, queries
):
    client = client_for(request.getfixturevalue(role))
    for _ in range(2):
        factories.chapter(handbook, by=editor)
    few = queries.get(client, handbook.get_absolute_url())
    for _ in range(38):
        factories.chapter(handbook, by=editor)
    many = queries.get(client, handbook.get_absolute_url())
    # session, user, permissions (group + user), handbook, chapters: a handful, never per chapter.
    queries.expect(few, many, at_most=8)


@pytest.mark.parametrize("role", ["counterpart", "editor"])
def test_chapter_page_query_count_does_not_grow_with_chapters_or_versions(
    request, handbook, editor, role, queries
):
    client = client_for(request.getfixturevalue(role))
    chap = factories.chapter(handbook, by=editor)
    factories.chapter(handbook, by=editor)
    one_version = queries.get(client, chap.get_absolute_url())
    for i in range(49):
        chap.revise(body=f"Version {i + 2} text.", by=editor, reason="r", base_version=chap.version)
    for _ in range(38):
        factories.chapter(handbook, by=editor)
    fifty_versions = queries.get(client, chap.get_absolute_url())
    # A counterpart's page also asks when their review rounds on the chapter are open; an
    # editor's session loads the device that gave its second factor (django-otp). Each is the
    # first request of its version: the threads' change stamp, then (the panel not cached yet)
    # the threads and the filters' jurisdictions and authors. A counterpart's sign-off box asks
    # whether their jurisdiction's coordinator votes instead, and its sign-offs in the round.
    queries.expect(one_version, fifty_versions, at_most=12 if role == "counterpart" else 9 + 1)


def test_history_page_query_count_does_not_grow_with_versions(
    chapter, editor, counterpart, queries
):
    client = client_for(counterpart)
    url = reverse("chapters:history", args=[chapter.handbook.slug, chapter.pk])
    one = queries.get(client, url)
    for i in range(49):
        chapter.revise(
            body=f"Version {i + 2}.", by=editor, reason="r", base_version=chapter.version
        )
    queries.expect(queries.get(client, url), one)


def test_rendered_html_is_cached_per_version(
    chapter, editor, django_assert_num_queries, monkeypatch
):
    from chapters import rendering

    calls = []
    real = rendering.render_reusing
    monkeypatch.setattr(
        rendering, "render_reusing", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    chapter.rendered()
    chapter.rendered()
    assert len(calls) == 1
    chapter.revise(body="New.", by=editor, reason="r", base_version=1)
    chapter.rendered()
    assert len(calls) == 2
    assert Chapter.objects.get(pk=chapter.pk).rendered() == chapter.rendered()
