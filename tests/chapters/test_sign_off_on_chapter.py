"""Sign-off where the review happens: on the chapter page, with the next chapter to review
once it is done, for the counterparts who may sign off, and no one else."""

import pytest

from chapters import review
from chapters.models import SignOff, Status, Verdict
from tests import factories
from tests.chapters.test_sign_off import sign_url, withdraw_url
from tests.conftest import client_for


@pytest.fixture
def round_of_three(handbook, editor):
    chapters = [
        factories.chapter(handbook, by=editor, title=title, in_round=False)
        for title in ("Legal framework", "Marking", "Deactivation")
    ]
    found = factories.review_round(handbook, chapters, by=editor)
    return found, chapters


def page(person, chapter) -> str:
    response = client_for(person).get(chapter.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_counterpart_signs_off_from_the_chapter_and_is_offered_the_next(
    round_of_three, counterpart
):
    found, (_first, second, _third) = round_of_three
    before = page(counterpart, second)
    assert 'id="sign-off"' in before
    assert sign_url(found, second) in before and "Reviewed, no comments" in before
    response = client_for(counterpart).post(
        sign_url(found, second), {"verdict": Verdict.NO_COMMENTS, "from": "chapter"}
    )
    assert response.status_code == 302
    assert response.url == second.get_absolute_url() + "#sign-off"
    given = SignOff.objects.get(chapter=second, jurisdiction=counterpart.jurisdiction)
    after = page(counterpart, second)
    assert "signed off by Arben Counterpart" in after
    assert withdraw_url(given) in after
    # The next one after it in the handbook's order.
    assert "Next chapter to review: 3. Deactivation" in after


def test_the_next_chapter_wraps_round_and_the_end_is_said(round_of_three, counterpart):
    found, chapters = round_of_three
    for chapter in chapters[1:]:
        review.sign_off(found, chapter, by=counterpart, verdict=Verdict.WITH_COMMENTS)
    assert "Next chapter to review: 1. Legal framework" in page(counterpart, chapters[2])
    review.sign_off(found, chapters[0], by=counterpart, verdict=Verdict.WITH_COMMENTS)
    assert "Every chapter of this round is signed off" in page(counterpart, chapters[0])


def test_withdrawing_from_the_chapter_comes_back_to_it(round_of_three, counterpart):
    found, (first, *_rest) = round_of_three
    given = review.sign_off(found, first, by=counterpart, verdict=Verdict.WITH_COMMENTS)
    response = client_for(counterpart).post(withdraw_url(given), {"from": "chapter"})
    assert response.url == first.get_absolute_url() + "#sign-off"
    assert sign_url(found, first) in page(counterpart, first)


def test_a_refused_sign_off_from_the_chapter_says_why(round_of_three, counterpart):
    found, (first, *_rest) = round_of_three
    review.sign_off(found, first, by=counterpart, verdict=Verdict.WITH_COMMENTS)
    response = client_for(counterpart).post(
        sign_url(found, first), {"verdict": Verdict.WITH_COMMENTS, "from": "chapter"}, follow=True
    )
    assert "already signed off this chapter" in response.content.decode()
    bogus = client_for(counterpart).post(
        sign_url(found, first), {"verdict": "maybe", "from": "chapter"}, follow=True
    )
    assert "Choose “with comments” or “no comments”." in bogus.content.decode()


def test_no_box_for_editors_uninvited_jurisdictions_or_a_closed_round(
    round_of_three, editor, counterpart, handbook, clock
):
    found, (first, *_rest) = round_of_three
    assert 'id="sign-off"' not in page(editor, first)
    serbian = factories.user(code="RS", name="Uninvited Serbian")
    handbook_chapter_page = client_for(serbian).get(first.get_absolute_url())
    assert 'id="sign-off"' not in handbook_chapter_page.content.decode()
    clock.set_to(found.closes_at)
    assert 'id="sign-off"' not in page(counterpart, first)


def test_a_chapter_out_of_review_has_no_box(round_of_three, counterpart):
    _found, (first, *_rest) = round_of_three
    type(first).objects.filter(pk=first.pk).update(status=Status.CONSOLIDATION)
    assert 'id="sign-off"' not in page(counterpart, first)


def test_where_a_coordinator_votes_the_box_says_so(round_of_three, counterpart, coordinator):
    found, (first, *_rest) = round_of_three
    text = page(counterpart, first)
    assert "coordinator casts its vote" in text
    assert sign_url(found, first) not in text
