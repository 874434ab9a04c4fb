"""Moving chapters through the workflow together: who may, what moves, what is refused and why."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from chapters import review
from chapters.models import Chapter, Status, Transition
from tests import factories
from tests.chapters.test_workflow import a_chapter, comment_on
from tests.conftest import ROLES, client_for


def bulk_url(handbook, step: str | None = None) -> str:
    url = reverse("chapters:bulk_workflow", args=[handbook.slug])
    return f"{url}?step={step}" if step else url


def status_of(chapter) -> str:
    return Chapter.objects.get(pk=chapter.pk).status


def checkbox(chapter) -> str:
    return f'name="chapters" value="{chapter.pk}" id="chapter-{chapter.pk}"'


@pytest.fixture
def in_consolidation(handbook, editor):
    """Three chapters in consolidation, with text, no round and no threads: they may be approved."""
    return [a_chapter(handbook, editor, Status.CONSOLIDATION, title=f"Part {n}") for n in (1, 2, 3)]


# --- Who may


# (method, data) -> status per ROLES; the POST approves the first chapter in consolidation.
MATRIX = [
    ("get", "consolidation:approved", [302, 404, 403, 200, 200]),
    ("get", None, [302, 404, 403, 200, 200]),
    ("post", "consolidation:approved", [302, 404, 403, 302, 302]),
]


@pytest.mark.parametrize(("method", "step", "expected"), MATRIX, ids=["get-step", "get", "post"])
@pytest.mark.parametrize("role", ROLES)
def test_bulk_workflow_permission_matrix(
    request, handbook, in_consolidation, method, step, expected, role
):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    first = in_consolidation[0]
    if method == "get":
        response = client_for(person).get(bulk_url(handbook, step))
    else:
        response = client_for(person).post(bulk_url(handbook), {"step": step, "chapters": first.pk})
    assert response.status_code == expected[ROLES.index(role)]
    moved = status_of(first) == Status.APPROVED
    assert moved is (method == "post" and role in ("editor", "administrator"))


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_handbook_is_not_found(editor, method):
    url = reverse("chapters:bulk_workflow", args=["no-such-handbook"])
    response = getattr(client_for(editor), method)(url, {"step": "consolidation:approved"})
    assert response.status_code == 404


def test_counterparts_cannot_move_chapters_together(in_consolidation, counterpart):
    with pytest.raises(PermissionDenied):
        review.move_together(
            in_consolidation, source=Status.CONSOLIDATION, to=Status.APPROVED, by=counterpart
        )
    assert {status_of(c) for c in in_consolidation} == {Status.CONSOLIDATION}


def test_the_handbook_page_offers_it_to_editors_only(handbook, chapter, editor, counterpart):
    url = reverse("handbook", args=[handbook.slug])
    assert bulk_url(handbook) in client_for(editor).get(url).content.decode()
    assert bulk_url(handbook) not in client_for(counterpart).get(url).content.decode()


# --- Choosing a step


def test_the_steps_are_offered_with_how_many_chapters_each_concerns(
    handbook, in_consolidation, editor
):
    page = client_for(editor).get(bulk_url(handbook)).content.decode()
    assert "Approve: 3 chapters in “Consolidation” → “Approved”" in page
    assert "Send to review: 0 chapters in “Draft” → “In review”" in page
    assert "Chapters that can take this step" not in page  # no step chosen yet


def test_chapters_that_can_take_the_step_are_listed_ticked_those_refused_with_why(
    handbook, in_consolidation, editor
):
    discussed = in_consolidation[1]
    comment_on(discussed, editor)
    response = client_for(editor).get(bulk_url(handbook, "consolidation:approved"))
    assert response.status_code == 200
    page = response.content.decode()
    for chapter in (in_consolidation[0], in_consolidation[2]):
        assert f"{checkbox(chapter)} checked" in page
    assert checkbox(discussed) not in page
    assert "2. Part 2</a>: 1 open thread" in page
    assert reverse("chapters:workflow", args=[handbook.slug, discussed.pk]) in page
    assert "Note (optional)" in page


def test_a_step_that_needs_a_note_says_so(handbook, editor):
    a_chapter(handbook, editor, Status.APPROVED)
    page = client_for(editor).get(bulk_url(handbook, "approved:consolidation")).content.decode()
    assert "Note (required: say why)" in page


def test_chapters_in_other_states_are_not_listed(handbook, in_consolidation, editor):
    other = a_chapter(handbook, editor, Status.IN_REVIEW, title="Still in review")
    page = client_for(editor).get(bulk_url(handbook, "consolidation:approved")).content.decode()
    assert "Still in review" not in page
    assert checkbox(other) not in page


# --- Moving


def test_the_ticked_chapters_move_each_with_its_transition_recorded(
    handbook, in_consolidation, editor
):
    first, _second, third = in_consolidation
    client = client_for(editor)
    response = client.post(
        bulk_url(handbook),
        {"step": "consolidation:approved", "chapters": [first.pk, third.pk], "note": "Workshop"},
    )
    assert response.status_code == 302
    assert response["Location"] == handbook.get_absolute_url()
    assert [status_of(c) for c in in_consolidation] == [
        Status.APPROVED,
        Status.CONSOLIDATION,  # not ticked
        Status.APPROVED,
    ]
    steps = Transition.objects.order_by("chapter__number")
    assert [(t.chapter_id, t.source, t.target, t.by, t.note, t.override) for t in steps] == [
        (c.pk, Status.CONSOLIDATION, Status.APPROVED, editor, "Workshop", False)
        for c in (first, third)
    ]
    page = client.get(response["Location"]).content.decode()
    assert "2 chapters moved to “Approved”." in page


def test_a_step_that_needs_a_note_records_it(handbook, editor):
    approved = [a_chapter(handbook, editor, Status.APPROVED) for _ in range(2)]
    response = client_for(editor).post(
        bulk_url(handbook),
        {
            "step": "approved:consolidation",
            "chapters": [c.pk for c in approved],
            "note": "  New law  ",
        },
    )
    assert response.status_code == 302
    assert (
        list(Transition.objects.values_list("note", "target"))
        == [("New law", Status.CONSOLIDATION)] * 2
    )


def test_a_refused_chapter_is_reported_and_not_moved_the_others_move(
    handbook, in_consolidation, editor
):
    discussed = in_consolidation[1]
    comment_on(discussed, editor)
    response = client_for(editor).post(
        bulk_url(handbook),
        {
            "step": "consolidation:approved",
            "chapters": [c.pk for c in in_consolidation],
            "note": "All agreed",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Some chapters were not moved:" in page
    assert "2. Part 2: 1 open thread" in page
    assert "These chapters were moved to “Approved”:" in page
    assert "1. Part 1" in page and "3. Part 3" in page
    assert [status_of(c) for c in in_consolidation] == [
        Status.APPROVED,
        Status.CONSOLIDATION,
        Status.APPROVED,
    ]
    assert not Transition.objects.filter(chapter=discussed).exists()


def test_a_guard_that_fails_between_showing_and_posting_is_reported(handbook, editor):
    """The page said both may go to consolidation; then a round opened on one of them."""
    calm, caught = (a_chapter(handbook, editor, Status.IN_REVIEW) for _ in range(2))
    page = client_for(editor).get(bulk_url(handbook, "in_review:consolidation")).content.decode()
    assert f"{checkbox(calm)} checked" in page and f"{checkbox(caught)} checked" in page
    factories.review_round(handbook, [caught], by=editor, name="Late reading")
    response = client_for(editor).post(
        bulk_url(handbook),
        {"step": "in_review:consolidation", "chapters": [calm.pk, caught.pk], "note": "Done"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert f"{caught.number}. {caught.title}: Review round still open: Late reading" in page
    assert (status_of(calm), status_of(caught)) == (Status.CONSOLIDATION, Status.IN_REVIEW)
    assert not Transition.objects.filter(chapter=caught).exists()


def test_a_chapter_moved_meanwhile_is_reported_not_taken_along_another_step(handbook, editor):
    """ "Back to review" was chosen for chapters in consolidation; this one is a draft by now,
    and a draft may also go to review: it is refused, not sent."""
    chap = a_chapter(handbook, editor, Status.CONSOLIDATION)
    Chapter.objects.filter(pk=chap.pk).update(status=Status.DRAFT)
    response = client_for(editor).post(
        bulk_url(handbook), {"step": "consolidation:in_review", "chapters": [chap.pk]}
    )
    assert response.status_code == 409
    assert "It is “Draft” now, no longer “Consolidation”." in response.content.decode()
    assert status_of(chap) == Status.DRAFT
    assert not Transition.objects.exists()


# --- Bad input: refused in the page (400), nothing moved, what was typed kept


def post(editor, handbook, data):
    response = client_for(editor).post(bulk_url(handbook), data)
    assert response.status_code == 400
    assert not Transition.objects.exists()
    return response.content.decode()


def test_an_unknown_step_is_refused(handbook, in_consolidation, editor):
    response = client_for(editor).get(bulk_url(handbook, "consolidation:published"))
    assert response.status_code == 400
    assert "Choose one of the steps of the workflow." in response.content.decode()
    page = post(editor, handbook, {"step": "draft:approved", "chapters": in_consolidation[0].pk})
    assert "Choose one of the steps of the workflow." in page


def test_a_chapter_of_another_handbook_is_refused(handbook, in_consolidation, editor):
    elsewhere = a_chapter(factories.handbook(), editor, Status.CONSOLIDATION)
    page = post(
        editor,
        handbook,
        {
            "step": "consolidation:approved",
            "chapters": [in_consolidation[0].pk, elsewhere.pk],
            "note": "Typed before the mistake",
        },
    )
    assert "Only chapters of this handbook can be moved here." in page
    assert "Typed before the mistake" in page
    assert f"{checkbox(in_consolidation[0])} checked" in page  # as ticked
    assert f"{checkbox(in_consolidation[1])}>" in page  # as left unticked
    assert status_of(elsewhere) == Status.CONSOLIDATION


def test_a_chapter_number_that_is_no_number_is_refused(handbook, editor):
    page = post(editor, handbook, {"step": "consolidation:approved", "chapters": "1; DROP"})
    assert "Only chapters of this handbook can be moved here." in page


def test_an_empty_selection_is_refused_with_the_note_kept(handbook, in_consolidation, editor):
    page = post(editor, handbook, {"step": "consolidation:approved", "note": "Nothing ticked"})
    assert "Choose at least one chapter to move." in page
    assert "Nothing ticked" in page
    assert f"{checkbox(in_consolidation[0])}>" in page  # unticked, as sent


def test_a_missing_required_note_is_refused(handbook, editor):
    chap = a_chapter(handbook, editor, Status.APPROVED)
    page = post(
        editor, handbook, {"step": "approved:consolidation", "chapters": chap.pk, "note": " "}
    )
    assert "Give a note saying why." in page
    assert f"{checkbox(chap)} checked" in page
    assert status_of(chap) == Status.APPROVED


# --- Query budget


def seed_in_review(handbook, editor, n: int) -> None:
    """n chapters in review, the first of them in an open round (so one is refused)."""
    chapters = [a_chapter(handbook, editor, Status.IN_REVIEW) for _ in range(n)]
    factories.review_round(handbook, chapters[:1], by=editor)


def test_the_page_costs_the_same_with_1_and_10_chapters(editor, queries):
    books = [factories.handbook(), factories.handbook()]
    seed_in_review(books[0], editor, 1)
    seed_in_review(books[1], editor, 10)
    client = client_for(editor)
    one, ten = (queries.get(client, bulk_url(b, "in_review:consolidation")) for b in books)
    assert ten.response.content.decode().count(" checked") == 9
    # Session, user, the second factor's device, permissions (user, groups), the handbook, the
    # chapters per state (for the choice of steps), the chapters where the step starts, and
    # the rounds open on any of them (the guard, for all chapters at once).
    queries.expect(one, ten, equal=9)


def test_approval_checks_cost_the_comments_floor_s_queries_per_chapter(editor, queries):
    """The approval checks are the comments floor's, answered chapter by chapter through a
    signal: the page costs exactly what those checks cost for each chapter more."""
    books = [factories.handbook(), factories.handbook()]
    for book, n in zip(books, (1, 10), strict=True):
        for _ in range(n):
            a_chapter(book, editor, Status.CONSOLIDATION)
    client = client_for(editor)
    one, ten = (queries.get(client, bulk_url(b, "consolidation:approved")) for b in books)
    chapter = Chapter.objects.filter(handbook=books[0]).get()
    with queries() as per_chapter:
        review.approval_blockers(chapter)
    assert len(ten) - len(one) == 9 * len(per_chapter)
    assert len(one) == 8 + len(per_chapter)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks")
def test_each_chapter_is_locked_and_moved_on_its_own(in_consolidation, editor, queries):
    with queries() as run:
        review.move_together(
            in_consolidation, source=Status.CONSOLIDATION, to=Status.APPROVED, by=editor
        )
    locks = [sql for sql in run if "FOR UPDATE" in sql and "chapters_chapter" in sql]
    assert len(locks) == len(in_consolidation)
