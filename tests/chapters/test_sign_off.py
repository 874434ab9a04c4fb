"""Sign-off: a counterpart marks their jurisdiction's review of a chapter in a round as done."""

from datetime import timedelta

import pytest
from django.urls import reverse

from chapters import review
from chapters.models import SignOff, Verdict
from tests import factories
from tests.conftest import cast, client_for


@pytest.fixture
def workshop(chapter):
    """The `chapter` fixture's round: open now for 14 days, every participating one invited."""
    return chapter.rounds.get()


@pytest.fixture
def colleague(db):
    """Albanian customs counterpart: same jurisdiction as `counterpart`."""
    return factories.user(code="AL", agency="customs", name="Elira Colleague")


@pytest.fixture
def montenegrin(db):
    """Montenegrin counterpart: invited too, speaks for another jurisdiction."""
    return factories.user(code="ME", name="Marko Montenegrin")


def sign_url(workshop, chapter):
    return reverse("chapters:sign_off", args=[workshop.handbook.slug, workshop.pk, chapter.pk])


def withdraw_url(given):
    return reverse(
        "chapters:withdraw_sign_off",
        args=[given.round.handbook.slug, given.round_id, given.pk],
    )


def standing():
    return SignOff.objects.filter(withdrawn_at__isnull=True).count()


def test_sign_withdraw_and_sign_again(workshop, chapter, counterpart, colleague):
    given = review.sign_off(workshop, chapter, by=counterpart, verdict=Verdict.WITH_COMMENTS)
    assert (given.jurisdiction.code, given.verdict) == ("AL", Verdict.WITH_COMMENTS)
    review.withdraw_sign_off(given, by=colleague)  # anyone of the same jurisdiction
    given.refresh_from_db()
    assert given.withdrawn_by == colleague
    assert given.withdrawn_at is not None
    again = review.sign_off(workshop, chapter, by=colleague, verdict=Verdict.NO_COMMENTS)
    assert again.pk != given.pk
    assert standing() == 1


def test_double_sign_off_is_refused_with_a_clear_message(workshop, chapter, counterpart, colleague):
    review.sign_off(workshop, chapter, by=counterpart, verdict=Verdict.NO_COMMENTS)
    with pytest.raises(review.SignOffRefused, match="already signed off"):
        review.sign_off(workshop, chapter, by=colleague, verdict=Verdict.WITH_COMMENTS)
    response = client_for(colleague).post(
        sign_url(workshop, chapter), {"verdict": Verdict.WITH_COMMENTS}
    )
    assert response.status_code == 400
    assert "already signed off" in response.content.decode()
    assert standing() == 1


def test_sign_off_after_the_round_closed_is_refused(workshop, chapter, counterpart, clock):
    clock.advance(timedelta(days=15))
    response = client_for(counterpart).post(
        sign_url(workshop, chapter), {"verdict": Verdict.NO_COMMENTS}
    )
    assert response.status_code == 400
    assert "The round has closed." in response.content.decode()
    assert standing() == 0


def test_sign_off_after_close_early_and_withdraw_after_close_are_refused(
    workshop, chapter, counterpart, editor
):
    given = review.sign_off(workshop, chapter, by=counterpart, verdict=Verdict.NO_COMMENTS)
    review.close_round(workshop, by=editor)
    response = client_for(counterpart).post(withdraw_url(given))
    assert response.status_code == 400
    given.refresh_from_db()
    assert given.withdrawn_at is None


def test_sign_off_on_a_scheduled_round_is_refused(handbook, chapter, counterpart, editor, clock):
    later = factories.review_round(
        handbook,
        [chapter],
        opens_at=clock.now() + timedelta(days=2),
        closes_at=clock.now() + timedelta(days=3),
        by=editor,
    )
    with pytest.raises(review.SignOffRefused, match="not open yet"):
        review.sign_off(later, chapter, by=counterpart, verdict=Verdict.NO_COMMENTS)


def test_sign_off_of_a_chapter_outside_the_round_is_refused(
    handbook, workshop, editor, counterpart
):
    other = factories.chapter(handbook, by=editor, title="Other", in_round=False)
    response = client_for(counterpart).post(sign_url(workshop, other), {"verdict": "no_comments"})
    assert response.status_code == 400
    assert "not part of the round" in response.content.decode()
    assert standing() == 0


def test_an_unknown_verdict_is_refused(workshop, chapter, counterpart):
    response = client_for(counterpart).post(sign_url(workshop, chapter), {"verdict": "maybe"})
    assert response.status_code == 400
    assert standing() == 0


def test_withdrawing_another_jurisdictions_sign_off_is_refused(
    workshop, chapter, counterpart, montenegrin
):
    given = review.sign_off(workshop, chapter, by=counterpart, verdict=Verdict.NO_COMMENTS)
    with pytest.raises(review.PermissionDenied):
        review.withdraw_sign_off(given, by=montenegrin)
    assert client_for(montenegrin).post(withdraw_url(given)).status_code == 403
    given.refresh_from_db()
    assert given.withdrawn_at is None


def test_a_jurisdiction_not_invited_cannot_sign_off(handbook, chapter, editor):
    round_for_al = factories.review_round(handbook, [chapter], codes=("AL",), by=editor)
    bosnian = factories.user(code="BA")
    with pytest.raises(review.PermissionDenied):
        review.sign_off(round_for_al, chapter, by=bosnian, verdict=Verdict.NO_COMMENTS)
    # The round is not even visible to them.
    response = client_for(bosnian).post(sign_url(round_for_al, chapter), {"verdict": "no_comments"})
    assert response.status_code == 404


def test_editors_do_not_sign_off(workshop, chapter, editor):
    with pytest.raises(review.PermissionDenied):
        review.sign_off(workshop, chapter, by=editor, verdict=Verdict.NO_COMMENTS)


def test_round_page_shows_the_grid_with_buttons_on_the_own_row(
    workshop, chapter, counterpart, montenegrin
):
    review.sign_off(workshop, chapter, by=montenegrin, verdict=Verdict.WITH_COMMENTS)
    url = reverse("chapters:round", args=[workshop.handbook.slug, workshop.pk])
    page = client_for(counterpart).get(url).content.decode()
    assert "Reviewed, with comments" in page  # Montenegro's standing sign-off
    assert sign_url(workshop, chapter) in page  # Albania's own row has the buttons
    assert page.count('name="verdict"') == 2
    assert f"{chapter.title}: Reviewed, no comments" in page  # labelled for screen readers


# --- Permission matrix

COLUMNS = cast("colleague", "montenegrin", without=["administrator"])


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("sign", [302, 404, 302, 400, 302, 403]),
        ("withdraw", [302, 404, 302, 302, 403, 403]),
    ],
)
@pytest.mark.parametrize("role", COLUMNS)
def test_sign_off_permission_matrix(
    request, workshop, chapter, counterpart, action, expected, role
):
    """`counterpart` (AL) signed with comments before; each role then signs or withdraws."""
    given = review.sign_off(workshop, chapter, by=counterpart, verdict=Verdict.WITH_COMMENTS)
    if action == "sign" and role == "counterpart":
        review.withdraw_sign_off(given, by=counterpart)  # so that signing again is allowed
    person = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(person)
    if action == "sign":
        response = client.post(sign_url(workshop, chapter), {"verdict": "no_comments"})
    else:
        response = client.post(withdraw_url(given))
    assert response.status_code == expected[COLUMNS.index(role)]
