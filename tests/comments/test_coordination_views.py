"""The coordinator's page and its forms (comments/coordination_views.py): who may do what, bad
input refused with the page and what was typed, a query budget, the badge editors see."""

import pytest
from django.urls import reverse

from chapters.models import Round
from comments.models import Position, PositionKind, Thread, Vote
from handbook_review.people.models import Agency, Role
from tests import factories
from tests.comments.test_ballots import typed_thread
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MATRIX_ROLES = [
    "anonymous",
    "outsider",
    "counterpart",
    "coordinator",
    "ba_coordinator",
    "editor",
    "administrator",
]
# action -> status per role: 302 to login or back to the page when done; 404 for what the user
# cannot see; 403 for what they see but may not do. A Bosnian coordinator votes for Bosnia.
MATRIX = {
    "endorse": [302, 404, 403, 302, 403, 403, 403],
    "hold_back": [302, 404, 403, 302, 403, 403, 403],
    "merge": [302, 404, 403, 302, 403, 403, 403],
    "undo": [302, 404, 403, 302, 403, 403, 403],
    "vote": [302, 404, 403, 302, 302, 403, 403],
    "page": [302, 404, 403, 200, 200, 403, 403],
}


@pytest.fixture
def ba_coordinator(db):
    """Bosnian coordinator: coordinates Bosnia, not Albania."""
    return factories.user(Role.COORDINATOR, code="BA", agency=Agency.CUSTOMS, name="Bosnian Coord")


@pytest.fixture
def scene(chapter, counterpart):
    first = typed_thread(chapter, by=counterpart)
    second = typed_thread(chapter, by=counterpart, words="calibre", essential=False)
    return {
        "chapter": chapter,
        "round": Round.objects.get(chapters=chapter),
        "threads": [first, second],
    }


def attempt(action, client, scene, coordinator):
    chapter, first, second = scene["chapter"], *scene["threads"]
    position = reverse("comments:set_position", args=[first.pk])
    slug = chapter.handbook.slug
    if action == "page":
        return client.get(reverse("comments:coordination", args=[slug]))
    if action == "vote":
        url = reverse("comments:vote", args=[slug, scene["round"].pk, chapter.pk])
        return client.post(url, {"value": "approve"})
    if action == "undo":
        Thread.objects.filter(pk=first.pk).update(position=PositionKind.ENDORSED)
    data = {"action": action, "reason": "Ours.", "into": second.pk}
    return client.post(position, data)


@pytest.mark.parametrize("action", MATRIX)
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_who_may_consolidate_and_vote_on_an_albanian_thread(
    request, role, action, scene, coordinator
):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = attempt(action, client_for(person), scene, coordinator)
    wanted = MATRIX[action][MATRIX_ROLES.index(role)]
    assert response.status_code == wanted, (role, action)
    if wanted != 302 or role == "anonymous":
        if action == "vote":
            assert not Vote.objects.exists()
        elif action != "page":
            assert not Position.objects.exists()
    elif action in {"endorse", "hold_back", "merge", "undo"}:
        assert Position.objects.get().by == person


def test_a_refusal_answers_400_with_the_error_and_keeps_what_was_typed(scene, coordinator):
    chapter, first = scene["chapter"], scene["threads"][0]
    client = client_for(coordinator)
    url = reverse("comments:vote", args=[chapter.handbook.slug, scene["round"].pk, chapter.pk])
    response = client.post(url, {"value": "disapprove", "reason": "Not ready for the field."})
    html = response.content.decode()
    assert response.status_code == 400
    assert "at least one essential comment" in html and "Not ready for the field." in html
    assert not Vote.objects.exists()
    response = client.post(
        url, {"value": "disapprove", "essentials": [first.pk], "reason": "Not ready."}
    )
    assert response.status_code == 302
    page = client.get(reverse("comments:coordination", args=[chapter.handbook.slug]))
    html = page.content.decode()
    assert "Standing vote: Disapprove" in html and "History of the vote" in html


def test_holding_back_without_a_reason_is_refused_and_nothing_changes(scene, coordinator):
    first = scene["threads"][0]
    response = client_for(coordinator).post(
        reverse("comments:set_position", args=[first.pk]), {"action": "hold_back", "reason": ""}
    )
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert not Position.objects.exists()


def test_the_page_costs_the_same_with_one_thread_or_twenty(
    chapter, counterpart, coordinator, queries
):
    client = client_for(coordinator)
    url = reverse("comments:coordination", args=[chapter.handbook.slug])
    typed_thread(chapter, by=counterpart)
    client.get(url)  # warm the session and permission caches alike
    one = queries.get(client, url)
    for _ in range(19):
        typed_thread(chapter, by=counterpart, words="calibre")
    many = queries.get(client, url)
    assert many.response.content.decode().count('data-thread="') == 20
    queries.expect(one, many)


def test_the_page_is_linked_from_my_review_for_coordinators_only(chapter, counterpart, coordinator):
    my_review = reverse("comments:my_review", args=[chapter.handbook.slug])
    link = reverse("comments:coordination", args=[chapter.handbook.slug])
    assert link in client_for(coordinator).get(my_review).content.decode()
    assert link not in client_for(counterpart).get(my_review).content.decode()


def test_editors_see_an_endorsed_comment_marked_as_the_jurisdictions_position(
    scene, coordinator, editor
):
    chapter, first = scene["chapter"], scene["threads"][0]
    page = client_for(editor).get(chapter.get_absolute_url()).content.decode()
    assert "Albania's position" not in page
    client_for(coordinator).post(
        reverse("comments:set_position", args=[first.pk]), {"action": "endorse"}
    )
    # The card is cached: endorsing touched the thread, so the page shows the new badge.
    page = client_for(editor).get(chapter.get_absolute_url()).content.decode()
    assert page.count("Albania&#x27;s position") + page.count("Albania's position") == 1


def test_my_review_and_the_dashboard_show_the_vote_in_place_of_the_sign_off(
    scene, coordinator, editor, counterpart
):
    chapter = scene["chapter"]
    slug = chapter.handbook.slug
    mine = client_for(counterpart).get(reverse("comments:my_review", args=[slug]))
    assert "no vote cast yet" in mine.content.decode()
    client_for(coordinator).post(
        reverse("comments:vote", args=[slug, scene["round"].pk, chapter.pk]),
        {"value": "approve_with_comments"},
    )
    mine = client_for(counterpart).get(reverse("comments:my_review", args=[slug])).content.decode()
    assert "voted: Approve with comments" in mine
    board = client_for(editor).get(reverse("comments:dashboard", args=[slug])).content.decode()
    assert "Approve with comments" in board


def test_a_disapproval_is_marked_against_and_the_form_starts_from_it(
    scene, chapter, coordinator, editor, counterpart
):
    essential = scene["threads"][0]
    slug = chapter.handbook.slug
    client_for(coordinator).post(
        reverse("comments:vote", args=[slug, scene["round"].pk, chapter.pk]),
        {"value": "disapprove", "essentials": [essential.pk]},
    )
    page = client_for(coordinator).get(reverse("comments:coordination", args=[slug]))
    html = page.content.decode()
    # The vote form starts from the standing vote: "disapprove" chosen, its comment ticked.
    assert 'value="disapprove" checked' in html
    assert f'name="essentials" value="{essential.pk}" checked' in html
    board = client_for(editor).get(reverse("comments:dashboard", args=[slug])).content.decode()
    assert 'class="sign-off against"><span aria-hidden="true">✗</span> Disapprove' in board
    mine = client_for(counterpart).get(reverse("comments:my_review", args=[slug])).content.decode()
    assert '<span aria-hidden="true">✗</span> voted: Disapprove' in mine
