"""Editing a chapter: every save is one version with who and why; stale saves are refused."""

import pytest
from django.urls import reverse

from chapters.models import Chapter
from tests.conftest import client_for


def edit_url(chapter):
    return reverse("chapters:edit_chapter", args=[chapter.handbook.slug, chapter.pk])


def post_edit(client, chapter, body, *, base_version, reason="Workshop comments", title=None):
    return client.post(
        edit_url(chapter),
        {
            "title": title or chapter.title,
            "body": body,
            "reason": reason,
            "base_version": base_version,
        },
    )


def test_each_save_through_the_ui_creates_exactly_one_version_with_user_and_reason(chapter, editor):
    client = client_for(editor)
    response = post_edit(
        client, chapter, "First rewrite.", base_version=1, reason="Tightened wording"
    )
    assert response.status_code == 302
    response = post_edit(client, chapter, "Second rewrite.", base_version=2, reason="Added 3.2")
    assert response.status_code == 302

    chapter.refresh_from_db()
    assert chapter.version == 3
    versions = list(chapter.history.order_by("version"))
    assert [v.version for v in versions] == [1, 2, 3]
    assert [v.history_change_reason for v in versions] == [
        "Created",
        "Tightened wording",
        "Added 3.2",
    ]
    assert {v.history_user for v in versions} == {editor}
    assert versions[1].body == "First rewrite."


def test_stale_edit_is_refused_and_text_kept(chapter, editor, other_editor):
    first, second = client_for(editor), client_for(other_editor)
    # Both open the chapter at version 1.
    assert first.get(edit_url(chapter)).status_code == 200
    assert second.get(edit_url(chapter)).status_code == 200

    assert post_edit(first, chapter, "The first editor's text.", base_version=1).status_code == 302
    response = post_edit(second, chapter, "The second editor's careful text.", base_version=1)

    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by someone else" in page
    # Their text is still in the form, and a link shows what changed meanwhile.
    assert "The second editor&#x27;s careful text." in page
    compare = reverse("chapters:compare", args=[chapter.handbook.slug, chapter.pk])
    assert f"{compare}?from=1&amp;to=2" in page
    # The form now carries the base version of the failed attempt, so a blind re-submit fails again.
    assert 'name="base_version" value="1"' in page
    chapter.refresh_from_db()
    assert chapter.version == 2
    assert chapter.body == "The first editor's text."
    assert chapter.history.count() == 2


def test_forged_version_number_is_refused(chapter, editor):
    client = client_for(editor)
    for forged in ("7", "0", "-1", "abc", ""):
        response = post_edit(client, chapter, "Forged.", base_version=forged)
        assert response.status_code in {400, 409}, forged
    chapter.refresh_from_db()
    assert chapter.version == 1
    assert chapter.history.count() == 1


def test_body_over_one_megabyte_is_refused_with_a_clear_message(chapter, editor):
    big = "word " * 220_000  # 1.1 MB
    response = post_edit(client_for(editor), chapter, big, base_version=1)
    assert response.status_code == 400
    assert "a chapter may hold at most 1.0" in response.content.decode()
    chapter.refresh_from_db()
    assert chapter.version == 1


def test_empty_title_is_refused(chapter, editor):
    response = post_edit(client_for(editor), chapter, "Body", base_version=1, title="   ")
    assert response.status_code == 400
    assert "A chapter needs a title." in response.content.decode()
    assert "Body" in response.content.decode()


def test_unchanged_text_creates_no_version(chapter, editor):
    response = post_edit(client_for(editor), chapter, chapter.body, base_version=1)
    assert response.status_code == 400
    assert chapter.history.count() == 1


def test_duplicate_chapter_number_is_refused(chapter, editor):
    url = reverse("chapters:add_chapter", args=[chapter.handbook.slug])
    response = client_for(editor).post(
        url, {"number": chapter.number, "title": "Clash", "body": "x"}
    )
    assert response.status_code == 400
    assert "Another chapter of this handbook has this number." in response.content.decode()
    assert Chapter.objects.filter(title="Clash").count() == 0


def test_unknown_chapter_is_404(chapter, editor):
    client = client_for(editor)
    assert client.get(reverse("chapter", args=[chapter.handbook.slug, 99999])).status_code == 404
    assert client.get(reverse("chapter", args=["no-such-book", chapter.pk])).status_code == 404
    assert (
        client.get(reverse("version", args=[chapter.handbook.slug, chapter.pk, 42])).status_code
        == 404
    )


def test_post_without_csrf_token_is_refused(chapter, editor):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = post_edit(client, chapter, "No token.", base_version=1)
    assert response.status_code == 403
    chapter.refresh_from_db()
    assert chapter.version == 1


def test_create_chapter_records_version_one(handbook, editor):
    url = reverse("chapters:add_chapter", args=[handbook.slug])
    response = client_for(editor).post(
        url, {"number": 4, "title": "Ammunition", "body": "Calibres."}
    )
    assert response.status_code == 302
    created = Chapter.objects.get(title="Ammunition")
    assert created.version == 1
    assert created.history.get().history_user == editor


def test_restore_creates_a_new_version_with_the_old_text(chapter, editor):
    original = chapter.body
    chapter.revise(body="Rewritten.", by=editor, reason="Rewrite", base_version=1)
    url = reverse("chapters:restore", args=[chapter.handbook.slug, chapter.pk, 1])
    response = client_for(editor).post(url, {"base_version": 2})
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.version == 3
    assert chapter.body == original
    assert chapter.history.get(version=3).history_change_reason == "Restored version 1"


def test_restore_from_a_stale_page_is_refused(chapter, editor):
    chapter.revise(body="Rewritten.", by=editor, reason="Rewrite", base_version=1)
    chapter.revise(body="Again.", by=editor, reason="Again", base_version=2)
    url = reverse("chapters:restore", args=[chapter.handbook.slug, chapter.pk, 1])
    client_for(editor).post(url, {"base_version": 2})
    chapter.refresh_from_db()
    assert chapter.version == 3
    assert chapter.body == "Again."


@pytest.mark.parametrize("direction", ["up", "down"])
def test_reorder_swaps_neighbours(handbook, editor, direction):
    from tests import factories

    one = factories.chapter(handbook, by=editor, title="One")
    two = factories.chapter(handbook, by=editor, title="Two")
    moved = two if direction == "up" else one
    url = reverse("chapters:move_chapter", args=[handbook.slug, moved.pk])
    assert client_for(editor).post(url, {"direction": direction}).status_code == 302
    assert list(handbook.chapters.order_by("number").values_list("title", flat=True)) == [
        "Two",
        "One",
    ]
    assert handbook.chapters.get(title="Two").version == 1  # reordering is not a text change


def test_reorder_with_bad_direction_is_400(chapter, editor):
    url = reverse("chapters:move_chapter", args=[chapter.handbook.slug, chapter.pk])
    assert client_for(editor).post(url, {"direction": "sideways"}).status_code == 400


def test_a_long_reason_is_kept_whole(chapter, editor):
    reason = "Workshop outcome: " + "x" * 280  # the form allows 300 characters
    response = post_edit(client_for(editor), chapter, "New text.", base_version=1, reason=reason)
    assert response.status_code == 302
    assert chapter.history.get(version=2).history_change_reason == reason
