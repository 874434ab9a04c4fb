"""The chapter workflow: every step of the 4×4 state matrix, the guards, overrides, who may."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from chapters import review
from chapters.models import Chapter, Status, Transition
from comments import anchoring
from comments.actions import open_thread, resolve_thread
from tests import factories
from tests.comments.test_suggestions import suggest
from tests.conftest import ROLES, client_for

STATES = [Status.DRAFT, Status.IN_REVIEW, Status.CONSOLIDATION, Status.APPROVED]
ALLOWED = {
    (Status.DRAFT, Status.IN_REVIEW),
    (Status.IN_REVIEW, Status.CONSOLIDATION),
    (Status.IN_REVIEW, Status.DRAFT),
    (Status.CONSOLIDATION, Status.IN_REVIEW),
    (Status.CONSOLIDATION, Status.APPROVED),
    (Status.APPROVED, Status.CONSOLIDATION),
}


def a_chapter(handbook, editor, status, **kwargs):
    """A chapter in `status` with text, no open round and no threads: every guard passes."""
    return factories.chapter(handbook, by=editor, status=status, in_round=False, **kwargs)


@pytest.mark.parametrize(
    ("source", "target"), list(itertools.product(STATES, STATES)), ids=lambda s: str(s)
)
def test_state_matrix(handbook, editor, source, target):
    chap = a_chapter(handbook, editor, source)
    if (source, target) in ALLOWED:
        step = review.transition(chap, to=target, by=editor, note="Workshop agreed")
        assert (step.source, step.target, step.by, step.override) == (source, target, editor, False)
        assert Chapter.objects.get(pk=chap.pk).status == target
        assert chap.status == target
    else:
        with pytest.raises(review.IllegalTransition, match="cannot go from"):
            review.transition(chap, to=target, by=editor, note="Try")
        assert Chapter.objects.get(pk=chap.pk).status == source
        assert not Transition.objects.filter(chapter=chap).exists()


def test_the_table_matches_the_matrix():
    assert set(review.TRANSITIONS) == ALLOWED


def test_a_transition_is_judged_against_the_current_state_not_the_stale_object(handbook, editor):
    chap = a_chapter(handbook, editor, Status.IN_REVIEW)
    stale = Chapter.objects.get(pk=chap.pk)
    review.transition(chap, to=Status.CONSOLIDATION, by=editor)
    with pytest.raises(review.IllegalTransition):
        review.transition(stale, to=Status.CONSOLIDATION, by=editor)  # it is there already
    assert Transition.objects.filter(chapter=chap).count() == 1


def test_an_unknown_state_is_illegal(handbook, editor):
    chap = a_chapter(handbook, editor, Status.IN_REVIEW)
    with pytest.raises(review.IllegalTransition):
        review.transition(chap, to="published", by=editor)


def test_a_draft_without_text_cannot_go_to_review(handbook, editor):
    chap = a_chapter(handbook, editor, Status.DRAFT, body="")
    with pytest.raises(review.GuardFailed) as refused:
        review.transition(chap, to=Status.IN_REVIEW, by=editor)
    assert refused.value.reasons == ["The chapter has no text."]
    assert Chapter.objects.get(pk=chap.pk).status == Status.DRAFT


def test_consolidation_waits_for_the_open_round_unless_overridden(handbook, chapter, editor):
    assert review.blockers(chapter, Status.CONSOLIDATION) == [
        "Review round still open: Regional workshop"
    ]
    with pytest.raises(review.GuardFailed):
        review.transition(chapter, to=Status.CONSOLIDATION, by=editor)
    with pytest.raises(review.GuardFailed, match="needs a reason"):
        review.transition(chapter, to=Status.CONSOLIDATION, by=editor, override=True, note=" ")
    assert Chapter.objects.get(pk=chapter.pk).status == Status.IN_REVIEW
    assert not Transition.objects.exists()
    step = review.transition(
        chapter, to=Status.CONSOLIDATION, by=editor, override=True, note="Workshop ended early"
    )
    assert step.override is True
    assert step.note == "Workshop ended early"


def test_consolidation_is_free_once_the_round_closed(handbook, chapter, editor, clock):
    clock.advance(timedelta(days=15))
    step = review.transition(chapter, to=Status.CONSOLIDATION, by=editor)
    assert step.override is False


def comment_on(chapter, by, words="make and the calibre"):
    text = chapter.plain_text()
    at = text.index(words)
    return open_thread(
        chapter, by=by, anchor=anchoring.describe(text, at, at + len(words)), body="A comment."
    )


@pytest.fixture
def consolidating(handbook, editor):
    return a_chapter(handbook, editor, Status.CONSOLIDATION)


def test_approval_is_blocked_by_open_suggestions_and_threads(consolidating, editor):
    comment_on(consolidating, editor)
    suggest(consolidating, "serial number", "serial number and make", by=editor)
    suggest(consolidating, "Officers record", "Officers write down", by=editor)
    assert review.approval_blockers(consolidating) == ["2 open suggestions", "1 open thread"]
    with pytest.raises(review.GuardFailed) as refused:
        review.transition(consolidating, to=Status.APPROVED, by=editor)
    assert refused.value.reasons == ["2 open suggestions", "1 open thread"]
    assert Chapter.objects.get(pk=consolidating.pk).status == Status.CONSOLIDATION


def test_approval_override_needs_a_reason(consolidating, editor):
    comment_on(consolidating, editor)
    with pytest.raises(review.GuardFailed, match="needs a reason"):
        review.transition(consolidating, to=Status.APPROVED, by=editor, override=True)
    step = review.transition(
        consolidating, to=Status.APPROVED, by=editor, override=True, note="Editorial only"
    )
    assert step.override is True


def test_resolved_threads_do_not_block_approval(consolidating, editor):
    thread = comment_on(consolidating, editor)
    resolve_thread(thread, by=editor)
    assert review.approval_blockers(consolidating) == []
    assert review.transition(consolidating, to=Status.APPROVED, by=editor).override is False


def test_reopening_an_approved_chapter_needs_a_note(handbook, editor):
    chap = a_chapter(handbook, editor, Status.APPROVED)
    with pytest.raises(review.GuardFailed, match="note"):
        review.transition(chap, to=Status.CONSOLIDATION, by=editor)
    assert Chapter.objects.get(pk=chap.pk).status == Status.APPROVED
    review.transition(chap, to=Status.CONSOLIDATION, by=editor, note="Legal change")


def test_back_to_draft_only_without_threads(handbook, editor):
    chap = a_chapter(handbook, editor, Status.IN_REVIEW)
    comment_on(chap, editor)
    with pytest.raises(review.GuardFailed) as refused:
        review.transition(chap, to=Status.DRAFT, by=editor)
    assert refused.value.reasons == ["1 thread on it"]


@pytest.mark.parametrize("role", ["counterpart", "outsider"])
def test_counterparts_may_not_move_chapters(request, chapter, role):
    with pytest.raises(review.PermissionDenied):
        review.transition(chapter, to=Status.CONSOLIDATION, by=request.getfixturevalue(role))
    assert Chapter.objects.get(pk=chapter.pk).status == Status.IN_REVIEW


def test_administrators_move_chapters(handbook, editor, administrator):
    chap = a_chapter(handbook, editor, Status.IN_REVIEW)
    assert review.transition(chap, to=Status.CONSOLIDATION, by=administrator).by == administrator


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks")
def test_transition_locks_the_chapter_row(handbook, editor, queries):
    chap = a_chapter(handbook, editor, Status.IN_REVIEW)
    with queries() as run:
        review.transition(chap, to=Status.CONSOLIDATION, by=editor)
    assert any("FOR UPDATE" in sql and "chapters_chapter" in sql for sql in run)


# --- The workflow page


def workflow_url(chapter):
    return reverse("chapters:workflow", args=[chapter.handbook.slug, chapter.pk])


# (method, data) -> status per ROLES, on `chapter` (in review, its round open).
MATRIX = [
    ("get", None, [302, 404, 200, 200, 200]),
    (
        "post",
        {"to": "consolidation", "override": "on", "note": "Agreed"},
        [302, 404, 403, 302, 302],
    ),
]


@pytest.mark.parametrize(("method", "data", "expected"), MATRIX, ids=["get", "post"])
@pytest.mark.parametrize("role", ROLES)
def test_workflow_permission_matrix(request, chapter, method, data, expected, role):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = getattr(client_for(person), method)(workflow_url(chapter), data or {})
    assert response.status_code == expected[ROLES.index(role)]
    moved = Chapter.objects.get(pk=chapter.pk).status == Status.CONSOLIDATION
    assert moved is (method == "post" and role in ("editor", "administrator"))


@pytest.mark.parametrize("role", ["counterpart", "outsider"])
def test_workflow_of_a_draft_is_hidden_from_counterparts(request, draft, role):
    assert client_for(request.getfixturevalue(role)).get(workflow_url(draft)).status_code == 404


def test_editor_sees_buttons_blockers_and_history(chapter, editor):
    page = client_for(editor).get(workflow_url(chapter)).content.decode()
    assert "Move to consolidation" in page
    assert "Back to draft" in page
    assert "Review round still open: Regional workshop" in page
    assert "Override the objections above" in page
    review.transition(chapter, to=Status.CONSOLIDATION, by=editor, override=True, note="Early")
    page = client_for(editor).get(workflow_url(chapter)).content.decode()
    assert "Early" in page
    assert "Approve" in page


def test_counterpart_sees_no_buttons(chapter, counterpart):
    page = client_for(counterpart).get(workflow_url(chapter)).content.decode()
    assert "Move to consolidation" not in page
    assert "In review" in page


def test_blocked_step_is_refused_in_the_page_with_the_note_kept(chapter, editor):
    response = client_for(editor).post(
        workflow_url(chapter), {"to": "consolidation", "note": "Let us move on"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Review round still open" in html
    assert "Let us move on" in html
    assert Chapter.objects.get(pk=chapter.pk).status == Status.IN_REVIEW


def test_override_without_reason_is_refused_in_the_page(chapter, editor):
    response = client_for(editor).post(
        workflow_url(chapter), {"to": "consolidation", "override": "on"}
    )
    assert response.status_code == 400
    assert "needs a reason" in response.content.decode()
    assert not Transition.objects.filter(chapter=chapter).exists()


def test_illegal_step_is_refused_in_the_page(chapter, editor):
    response = client_for(editor).post(workflow_url(chapter), {"to": "approved", "note": "x"})
    assert response.status_code == 400
    assert "cannot go from" in response.content.decode()
    assert Chapter.objects.get(pk=chapter.pk).status == Status.IN_REVIEW


def test_history_page_links_to_the_workflow(chapter, counterpart):
    url = reverse("chapters:history", args=[chapter.handbook.slug, chapter.pk])
    assert workflow_url(chapter) in client_for(counterpart).get(url).content.decode()
