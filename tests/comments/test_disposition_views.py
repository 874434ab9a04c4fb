"""The disposition pages as each role meets them: who may give a disposition (one, or to a
filtered set) and who may answer it, what a bad form gets back, and what the thread card shows."""

import pytest
from django.urls import reverse

from chapters.models import Chapter, Status
from comments.actions import dispose
from comments.models import Answer, Disposition, Thread
from handbook_review.people.models import Role
from tests import factories
from tests.conftest import cast, client_for


@pytest.fixture
def bosnian_coordinator(db):
    """Bosnia's coordinator: answers for Bosnia, not for Albania."""
    return factories.user(Role.COORDINATOR, code="BA", name="Bosnian Coordinator")


@pytest.fixture
def comment(chapter, counterpart):
    return factories.comment_thread(chapter, by=counterpart, body="Which serial number?")


def person(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def consolidate(chapter):
    Chapter.objects.filter(pk=chapter.pk).update(status=Status.CONSOLIDATION)


ROLES = cast("bosnian", "coordinator", "bosnian_coordinator")
# POST a valid disposition: who may, and what the others get. The outsider (Serbia) cannot see
# the handbook: 404. Anonymous: to the login page.
DISPOSE = dict(zip(ROLES, [302, 404, 403, 403, 403, 403, 302, 302], strict=True))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_give_a_disposition(request, comment, role):
    response = client_for(person(request, role)).post(
        reverse("comments:dispose", args=[comment.pk]),
        {"kind": "noted", "reason": "Nothing to change."},
    )
    assert response.status_code == DISPOSE[role]
    given = Disposition.objects.filter(thread=comment).exists()
    assert given == (role in ("editor", "administrator"))
    if role in ("editor", "administrator"):
        assert response["Location"].endswith(f"#thread-{comment.pk}")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_give_a_bulk_disposition(request, chapter, comment, role):
    url = reverse("comments:bulk_dispose", args=[chapter.handbook.slug, chapter.pk])
    client = client_for(person(request, role))
    response = client.post(
        url, {"kind": "deferred", "reason": "Next edition.", "threads": [comment.pk]}
    )
    assert response.status_code == DISPOSE[role]
    assert Disposition.objects.exists() == (role in ("editor", "administrator"))


# Answer a disposition in consolidation: the author and Albania's coordinator; Bosnia's
# coordinator and everyone else who sees the thread may not (403).
ANSWER = dict(zip(ROLES, [302, 404, 302, 403, 302, 403, 403, 403], strict=True))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_answer(request, chapter, comment, editor, role):
    consolidate(chapter)
    given = dispose(comment, by=editor, kind="not_accepted", reason="Out of scope.")
    response = client_for(person(request, role)).post(
        reverse("comments:answer", args=[comment.pk]),
        {"kind": "contested", "reason": "It is in scope.", "disposition": given.pk},
    )
    assert response.status_code == ANSWER[role]
    assert Answer.objects.exists() == (role in ("counterpart", "coordinator"))


def test_not_accepted_without_a_reason_keeps_the_form_and_writes_nothing(comment, editor, client):
    client.force_login(editor)
    response = client.post(
        reverse("comments:dispose", args=[comment.pk]),
        {"kind": "not_accepted", "reason": "", "applied_text": "kept words"},
    )
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    assert "kept words" in response.content.decode()
    assert not Disposition.objects.exists()


def test_a_duplicate_of_another_handbooks_thread_is_refused(comment, editor, client):
    elsewhere = factories.comment_thread(
        factories.chapter(factories.handbook(codes=("AL",)), by=editor), by=editor
    )
    client.force_login(editor)
    for target in (elsewhere.pk, comment.pk, 999_999):
        response = client.post(
            reverse("comments:dispose", args=[comment.pk]),
            {"kind": "duplicate", "duplicate_of": target, "reason": "Said before."},
        )
        assert response.status_code == 400, target
    assert not Disposition.objects.exists()


def test_another_handbooks_chapter_is_not_found_for_a_bulk_disposition(
    chapter, comment, editor, client
):
    other = factories.handbook(codes=("AL",))
    client.force_login(editor)
    response = client.post(
        reverse("comments:bulk_dispose", args=[other.slug, chapter.pk]),
        {"kind": "deferred", "threads": [comment.pk]},
    )
    assert response.status_code == 404
    assert not Disposition.objects.exists()


def test_answering_outside_consolidation_is_refused_with_the_text_kept(
    comment, editor, counterpart, client
):
    dispose(comment, by=editor, kind="deferred")
    client.force_login(counterpart)
    response = client.post(
        reverse("comments:answer", args=[comment.pk]),
        {"kind": "contested", "reason": "We need it now."},
    )
    assert response.status_code == 400
    assert "consolidation" in response.content.decode()
    assert not Answer.objects.exists()


def test_contesting_without_a_reason_is_a_form_error(chapter, comment, editor, counterpart, client):
    consolidate(chapter)
    dispose(comment, by=editor, kind="deferred")
    client.force_login(counterpart)
    response = client.post(reverse("comments:answer", args=[comment.pk]), {"kind": "contested"})
    assert response.status_code == 400 and not Answer.objects.exists()


def test_the_bulk_page_lists_what_it_will_act_on(chapter, counterpart, bosnian, editor, client):
    albanian = factories.comment_thread(chapter, by=counterpart, words="calibre")
    factories.comment_thread(chapter, by=bosnian, words="make")
    done = factories.comment_thread(chapter, by=counterpart, words="Introductory")
    dispose(done, by=editor, kind="accepted")
    client.force_login(editor)
    url = reverse("comments:bulk_dispose", args=[chapter.handbook.slug, chapter.pk])
    albania = albanian.author_jurisdiction_id
    page = client.get(url, {"jurisdiction": albania, "undisposed": "on"})
    assert page.status_code == 200
    listed = page.context["threads"]
    assert [t.pk for t in listed] == [albanian.pk]
    assert "It will act on 1 comment" in page.content.decode()
    response = client.post(
        url,
        {
            "jurisdiction": albania,
            "undisposed": "on",
            "kind": "noted",
            "reason": "Editorial: for the next edition.",
            "threads": [albanian.pk],
        },
    )
    assert response.status_code == 302
    assert Thread.objects.get(pk=albanian.pk).disposition.kind == "noted"
    assert Disposition.objects.count() == 2


def test_a_bulk_not_accepted_needs_a_reason(chapter, comment, editor, client):
    client.force_login(editor)
    url = reverse("comments:bulk_dispose", args=[chapter.handbook.slug, chapter.pk])
    response = client.post(url, {"kind": "not_accepted", "threads": [comment.pk]})
    assert response.status_code == 400 and not Disposition.objects.exists()


def test_the_card_shows_the_disposition_and_its_history(
    chapter, comment, editor, other_editor, counterpart, client
):
    dispose(comment, by=editor, kind="not_accepted", reason="Out of scope.")
    dispose(comment, by=other_editor, kind="modified", applied_text="serial number on the frame")
    consolidate(chapter)
    client.force_login(counterpart)
    page = client.get(chapter.get_absolute_url(), {"thread": comment.pk})
    html = page.content.decode()
    assert "Accepted with modification" in html and "serial number on the frame" in html
    assert "1 earlier disposition" in html and "Out of scope." in html
    assert reverse("comments:answer", args=[comment.pk]) in html
    assert reverse("comments:dispose", args=[comment.pk]) not in html
    collapsed = client.get(chapter.get_absolute_url()).content.decode()
    assert "disposition-badge" in collapsed


def test_editors_get_the_disposition_form_on_the_card(chapter, comment, editor, client):
    client.force_login(editor)
    html = client.get(chapter.get_absolute_url(), {"thread": comment.pk}).content.decode()
    assert reverse("comments:dispose", args=[comment.pk]) in html
    assert reverse("comments:answer", args=[comment.pk]) not in html
    assert reverse("comments:bulk_dispose", args=[chapter.handbook.slug, chapter.pk]) in html


def test_a_disposition_shows_on_the_cached_card_at_once(chapter, comment, editor, client):
    client.force_login(editor)
    assert "disposition-badge" not in client.get(chapter.get_absolute_url()).content.decode()
    client.post(reverse("comments:dispose", args=[comment.pk]), {"kind": "accepted"})
    assert "disposition-badge" in client.get(chapter.get_absolute_url()).content.decode()


def test_the_chapter_page_costs_the_same_with_1_and_40_disposed_threads(
    handbook, editor, counterpart, queries
):
    from comments import anchoring
    from comments.actions import open_thread

    body = "\n\n".join(f"Paragraph {i} about firearms marking number {i}." for i in range(45))
    chap = factories.chapter(handbook, by=editor, body=body)
    text = chap.plain_text()

    def add(i):
        words = f"marking number {i}."
        start = text.index(words)
        thread = open_thread(
            chap,
            by=counterpart,
            anchor=anchoring.describe(text, start, start + len(words)),
            body=f"Comment {i}",
        )
        dispose(thread, by=editor, kind="noted", reason=f"Observation {i}.")

    add(0)
    client = client_for(counterpart)
    url = chap.get_absolute_url()
    cold_one = queries.get(client, url)
    for i in range(1, 40):
        add(i)
    cold_many = queries.get(client, url)
    assert cold_many.response.content.decode().count("disposition-badge") == 40
    # As the chapter page's own budget (tests/comments/test_views.py): the disposition comes
    # with the thread in full.
    queries.expect(cold_one, cold_many, equal=15)
