"""Editions: published only from approved chapters, immutable, readable, with a changelog."""

import datetime

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from chapters import editions, notices
from chapters.editions import CannotPublish, publish
from chapters.models import (
    Chapter,
    Edition,
    EditionChapter,
    EditionImmutable,
    Status,
)
from tests import factories
from tests.conftest import client_for

DAY = datetime.date(2026, 11, 30)


@pytest.fixture
def approved(handbook, editor):
    """Two approved chapters: the handbook can be published."""
    first = factories.chapter(handbook, by=editor, title="Legal framework", status="approved")
    second = factories.chapter(
        handbook,
        by=editor,
        title="Ђорђе и Shqipëri",
        body="Врста оружја: пиштољ. Çështja e armëve.\n",
        status="approved",
    )
    return [first, second]


@pytest.fixture
def edition(handbook, editor, approved) -> Edition:
    return publish(handbook=handbook, label="1.0", date=DAY, release_notes="First.", by=editor)


def publish_url(handbook) -> str:
    return reverse("chapters:editions", args=[handbook.slug])


def test_publishing_snapshots_the_exact_chapter_versions(edition, approved):
    rows = list(edition.chapters.order_by("number"))
    assert [(r.chapter_id, r.version, r.title, r.body) for r in rows] == [
        (c.pk, c.version, c.title, c.body) for c in approved
    ]
    assert edition.title == edition.handbook.title
    assert edition.previous is None


def test_edition_content_is_identical_after_later_edits(edition, approved, editor):
    before = [(r.title, r.body, r.version, r.rendered()) for r in edition.chapters.all()]
    chapter = approved[0]
    chapter.revise(body="Rewritten after publication.\n", by=editor, reason="x", base_version=1)
    Chapter.objects.filter(pk=chapter.pk).update(status=Status.CONSOLIDATION)
    fresh = Edition.objects.get(pk=edition.pk)
    after = [(r.title, r.body, r.version, r.rendered()) for r in fresh.chapters.all()]
    assert after == before
    response = client_for(editor).get(
        reverse("chapters:edition_chapter", args=[edition.handbook.slug, "1.0", chapter.number])
    )
    assert "Rewritten" not in response.text
    assert "Firearms Protocol" in response.text


def test_publishing_refuses_a_chapter_not_approved(handbook, editor, approved):
    Chapter.objects.filter(pk=approved[1].pk).update(status=Status.CONSOLIDATION)
    with pytest.raises(CannotPublish) as refusal:
        publish(handbook=handbook, label="1.0", date=DAY, release_notes="", by=editor)
    assert "Ђорђе и Shqipëri" in refusal.value.reasons[0]
    assert "consolidation" in refusal.value.reasons[0]
    assert not Edition.objects.exists()


def test_publishing_an_empty_handbook_is_refused(handbook, editor):
    with pytest.raises(CannotPublish):
        publish(handbook=handbook, label="1.0", date=DAY, release_notes="", by=editor)


def test_the_model_refuses_changes_to_an_edition(edition):
    edition.release_notes = "Rewritten history"
    with pytest.raises(EditionImmutable):
        edition.save()
    with pytest.raises(EditionImmutable):
        edition.delete()
    with pytest.raises(EditionImmutable):
        Edition.objects.filter(pk=edition.pk).update(label="9.9")
    with pytest.raises(EditionImmutable):
        Edition.objects.filter(pk=edition.pk).delete()
    row = edition.chapters.first()
    row.body = "Changed"
    with pytest.raises(EditionImmutable):
        row.save()
    with pytest.raises(EditionImmutable):
        EditionChapter.objects.filter(edition=edition).update(body="Changed")
    assert Edition.objects.get(pk=edition.pk).release_notes == "First."


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE chapters_edition SET release_notes = 'forged'",
        "DELETE FROM chapters_edition",
        "UPDATE chapters_editionchapter SET body = 'forged'",
        "DELETE FROM chapters_editionchapter",
    ],
)
def test_the_database_refuses_changes_to_an_edition(edition, sql):
    with (
        pytest.raises((DatabaseError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert Edition.objects.get(pk=edition.pk).release_notes == "First."
    assert "forged" not in edition.chapters.first().body


def test_the_admin_cannot_change_an_edition(edition, administrator):
    client = client_for(administrator)
    url = reverse("admin:chapters_edition_change", args=[edition.pk])
    response = client.post(url, {"label": "9.9", "release_notes": "forged"})
    assert response.status_code in (302, 403)
    assert Edition.objects.get(pk=edition.pk).label == "1.0"
    delete = client.post(
        reverse("admin:chapters_edition_delete", args=[edition.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert Edition.objects.filter(pk=edition.pk).exists()


def test_editor_publishes_from_the_page(
    handbook, editor, approved, django_capture_on_commit_callbacks, monkeypatch
):
    received = []
    monkeypatch.setattr(notices, "notify_edition", lambda edition: received.append(edition.label))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(editor).post(
            publish_url(handbook),
            {
                "label": "1.0",
                "date": "2026-11-30",
                "release_notes": "Workshop results.",
                "confirmed": "1",
            },
        )
    edition = Edition.objects.get()
    assert response.status_code == 302
    assert response.url == edition.get_absolute_url()
    assert received == ["1.0"]
    page = client_for(editor).get(edition.get_absolute_url())
    assert "Workshop results." in page.text
    assert "Ђорђе и Shqipëri" in page.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "1.0", "date": "2026-11-30"}, "already has an edition with this label"),
        ({"label": "one", "date": "2026-11-30"}, "version number such as 1.0"),
        ({"label": "", "date": "2026-11-30"}, "needs a version label"),
        ({"label": "2.0", "date": "tomorrow"}, "Enter a valid date"),
    ],
)
def test_bad_publication_input_is_refused_and_kept(edition, editor, data, message):
    response = client_for(editor).post(
        publish_url(edition.handbook), {**data, "release_notes": "Kept notes"}
    )
    assert response.status_code == 400
    assert message in response.text
    assert "Kept notes" in response.text
    assert Edition.objects.count() == 1


def test_publishing_with_a_chapter_not_approved_shows_why(handbook, editor, approved):
    Chapter.objects.filter(pk=approved[0].pk).update(status=Status.IN_REVIEW)
    response = client_for(editor).post(
        publish_url(handbook), {"label": "1.0", "date": "2026-11-30", "release_notes": ""}
    )
    assert response.status_code == 400
    assert "Legal framework" in response.text
    assert "not approved" in response.text
    assert not Edition.objects.exists()


def test_a_later_edition_shows_a_word_level_changelog(edition, approved, editor, handbook):
    chapter = approved[0]
    chapter.revise(
        body=chapter.body.replace("every firearm", "each firearm"),
        by=editor,
        reason="wording",
        base_version=chapter.version,
    )
    second = publish(handbook=handbook, label="1.1", date=DAY, release_notes="", by=editor)
    assert second.previous == edition
    response = client_for(editor).get(
        reverse("chapters:edition_changes", args=[handbook.slug, "1.1"])
    )
    assert response.status_code == 200
    assert "<del>every</del>" in response.text
    assert "<ins>each</ins>" in response.text
    assert "unchanged" in response.text  # the second chapter did not change


def test_the_first_edition_has_no_changelog(edition, editor):
    response = client_for(editor).get(
        reverse("chapters:edition_changes", args=[edition.handbook.slug, "1.0"])
    )
    assert response.status_code == 404


# --- Who may do what


@pytest.mark.parametrize(
    ("who", "read", "publish_status"),
    [
        ("editor", 200, 400),
        ("administrator", 200, 400),
        ("counterpart", 200, 403),
        ("outsider", 404, 404),
    ],
)
def test_edition_permissions(request, edition, who, read, publish_status):
    person = request.getfixturevalue(who)
    client = client_for(person)
    slug = edition.handbook.slug
    assert client.get(edition.get_absolute_url()).status_code == read
    assert client.get(reverse("chapters:editions", args=[slug])).status_code == read
    assert (
        client.get(reverse("chapters:edition_chapter", args=[slug, "1.0", 1])).status_code == read
    )
    # The label is taken, so a permitted editor gets the form back with the error (400).
    response = client.post(reverse("chapters:editions", args=[slug]), {"label": "1.0"})
    assert response.status_code == publish_status
    assert Edition.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(edition):
    response = client_for(None).get(edition.get_absolute_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_unknown_edition_is_404(edition, editor):
    response = client_for(editor).get(
        reverse("chapters:edition", args=[edition.handbook.slug, "7.0"])
    )
    assert response.status_code == 404


def test_blockers_are_listed_for_editors(handbook, editor, approved):
    Chapter.objects.filter(pk=approved[1].pk).update(status=Status.IN_REVIEW)
    assert editions.publication_blockers(handbook) == [
        "Chapter 2 “Ђорђе и Shqipëri” is in review, not approved."
    ]


def test_only_editors_may_publish_even_through_the_function(handbook, counterpart, approved):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        publish(handbook=handbook, label="1.0", date=DAY, release_notes="", by=counterpart)
    assert not Edition.objects.exists()


def test_an_edition_page_takes_no_posts(edition, editor):
    client = client_for(editor)
    slug = edition.handbook.slug
    for url in (
        edition.get_absolute_url(),
        reverse("chapters:edition_chapter", args=[slug, "1.0", 1]),
    ):
        assert client.post(url, {"title": "forged", "body": "forged"}).status_code == 405
    assert Edition.objects.get(pk=edition.pk).chapters.first().body == edition.chapters.first().body


def test_publishing_asks_first_listing_the_chapters_and_that_it_is_final(
    handbook, editor, approved
):
    client = client_for(editor)
    data = {"label": "1.0", "date": "2026-11-30", "release_notes": "Workshop results."}
    asked = client.post(publish_url(handbook), data)
    assert asked.status_code == 200
    page = asked.text
    assert "can never be changed or deleted" in page
    for chapter in approved:
        assert f"{chapter.number}. {chapter.title} (version {chapter.version})" in page
    assert 'name="release_notes" value="Workshop results."' in page
    assert not Edition.objects.exists()

    back = client.post(publish_url(handbook), {**data, "back": "1"})
    assert back.status_code == 200 and "Workshop results." in back.text
    assert not Edition.objects.exists()

    assert client.post(publish_url(handbook), {**data, "confirmed": "1"}).status_code == 302
    assert Edition.objects.get().release_notes == "Workshop results."


def test_a_refused_publication_is_not_asked_about(handbook, editor, approved):
    Chapter.objects.filter(pk=approved[0].pk).update(status=Status.IN_REVIEW)
    response = client_for(editor).post(
        publish_url(handbook), {"label": "1.0", "date": "2026-11-30", "release_notes": ""}
    )
    assert response.status_code == 400 and "can never be changed" not in response.text
