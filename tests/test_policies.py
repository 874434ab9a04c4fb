"""The permission policies' two directions are one rule: for every object of a scene and every
person of the cast (inactive and superuser included), "the users who may see it" is exactly "the
users whose visible_to holds it", and the same for the actions a notice is sent for.
"""

import pytest

from chapters import policies as chapter_policies
from chapters.models import Edition
from comments import policies as comment_policies
from comments.actions import hold_back
from handbook_review.people.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(editor, counterpart, bosnian, outsider, administrator, coordinator):
    inactive = factories.user(Role.EDITOR, code="SEESAC", name="Gone Editor", is_active=False)
    superuser = factories.user(None, code="RS", name="Root", is_superuser=True)
    no_role = factories.user(None, code="AL", name="No Role")
    return [
        editor,
        counterpart,
        bosnian,
        outsider,
        administrator,
        coordinator,
        inactive,
        superuser,
        no_role,
    ]


@pytest.fixture
def scene(handbook, chapter, draft, editor, counterpart, coordinator):
    other_book = factories.handbook(codes=("RS",))
    factories.chapter(other_book, by=editor)
    rounds = [
        factories.review_round(handbook, [chapter], codes=("AL",), by=editor, name="Albania only"),
        factories.review_round(handbook, [chapter], codes=("BA",), by=editor, name="Bosnia only"),
    ]
    edition = Edition.objects.create(
        handbook=handbook, label="1.0", date="2026-12-01", published_by=editor
    )
    threads = [
        factories.comment_thread(chapter, by=counterpart),
        factories.comment_thread(chapter, by=counterpart, words="calibre", visibility="editors"),
        factories.comment_thread(chapter, by=editor, words="make", visibility="editors"),
        factories.comment_thread(draft, by=editor, words="calibre"),
        # Held back by Albania's coordinator: Albania's own business.
        factories.comment_thread(chapter, by=counterpart, words="make"),
    ]
    hold_back(threads[-1], by=coordinator, reason="Internal.")
    return {
        "handbooks": [handbook, other_book],
        "chapters": [chapter, draft],
        "rounds": rounds,
        "editions": [edition],
        "threads": threads,
    }


def seeing(policy, people, obj) -> set[str]:
    return {p.email for p in people if policy.visible_to(p).filter(pk=obj.pk).exists()}


def told(query) -> set[str]:
    return set(query.values_list("email", flat=True))


@pytest.mark.parametrize(
    ("kind", "policy"),
    [
        ("handbooks", chapter_policies.handbooks),
        ("chapters", chapter_policies.chapters),
        ("rounds", chapter_policies.rounds),
        ("editions", chapter_policies.editions),
        ("threads", comment_policies.threads),
    ],
)
def test_who_may_see_it_is_whose_view_holds_it(kind, policy, people, scene):
    for obj in scene[kind]:
        assert told(policy.users_who_can("view", obj)) == seeing(policy, people, obj), obj


def test_readers_of_a_draft_are_the_editors(people, scene, editor, administrator):
    [_, draft] = scene["chapters"]
    names = told(chapter_policies.chapters.readers(draft))
    assert editor.email in names and administrator.email in names
    assert not names & {p.email for p in people if p.role == Role.COUNTERPART}


def test_a_round_reminder_goes_to_the_invited_only(scene, counterpart, bosnian, coordinator):
    albania, bosnia = scene["rounds"]
    assert told(chapter_policies.rounds.invited(albania)) == {counterpart.email, coordinator.email}
    assert told(chapter_policies.rounds.invited(bosnia)) == {bosnian.email}


def test_the_deciders_of_a_thread_are_its_readers_who_may_decide(people, scene):
    thread = scene["threads"][0]
    deciders = told(comment_policies.suggestions.users_who_can("decide", thread))
    expected = {
        p.email
        for p in people
        if comment_policies.threads.can_see(p, thread)
        and comment_policies.suggestions.can(p, "decide")
    }
    assert deciders == expected and deciders


def test_no_one_inactive_or_without_a_role_is_ever_told(people, scene):
    gone = {p.email for p in people if not p.is_active or (p.role is None and not p.is_superuser)}
    for policy, kind in [
        (chapter_policies.handbooks, "handbooks"),
        (comment_policies.threads, "threads"),
    ]:
        for obj in scene[kind]:
            assert not told(policy.users_who_can("view", obj)) & gone


def test_roles_are_asked_once_per_request(editor, django_assert_num_queries):
    """has_perm caches a user's permissions: many questions of a page cost one query."""
    fresh = User.objects.get(pk=editor.pk)
    with django_assert_num_queries(2):  # the user's own and their groups' permissions
        for _ in range(5):
            chapter_policies.handbooks.can(fresh, "see_drafts")
            comment_policies.threads.can(fresh, "moderate")
            chapter_policies.rounds.can(fresh, "manage")


@pytest.mark.parametrize(
    ("action", "rule"),
    [
        ("dispose", comment_policies.dispositions.may_dispose),
        ("answer", comment_policies.dispositions.may_answer),
    ],
)
def test_who_may_dispose_and_answer_is_whom_the_rule_allows(
    action, rule, people, scene, coordinator
):
    bosnian_coordinator = factories.user(Role.COORDINATOR, code="BA", name="BA Coordinator")
    cast = [*people, coordinator, bosnian_coordinator]
    for thread in scene["threads"]:
        expected = {
            p.email for p in cast if comment_policies.threads.can_see(p, thread) and rule(p, thread)
        }
        assert told(comment_policies.dispositions.users_who_can(action, thread)) == expected, (
            action,
            thread,
        )
    # Albania's comment: its author and Albania's coordinator answer, Bosnia's does not.
    albanian = scene["threads"][0]
    answerers = told(comment_policies.dispositions.users_who_can("answer", albanian))
    assert coordinator.email in answerers and bosnian_coordinator.email not in answerers


def test_who_may_consolidate_a_thread_is_whom_the_policy_names(people, scene):
    ballots = comment_policies.ballots
    for thread in scene["threads"]:
        named = told(ballots.users_who_can("coordinate", thread))
        expected = {
            p.email
            for p in people
            if p.is_active
            and ballots.may_coordinate(p, thread)
            and comment_policies.threads.can_see(p, thread)
        }
        assert named == expected, thread
