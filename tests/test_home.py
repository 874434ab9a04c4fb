"""The home page says, per handbook, what waits for this person: the rounds open for their
jurisdiction with deadline, progress and the next chapter to review; for editors the suggestions
waiting for a decision, comments waiting for a disposition, chapters in consolidation and the
rounds running. Only what the person may see is counted."""

from datetime import timedelta

import pytest
from django.urls import reverse

from chapters.models import Status, Verdict
from comments.models import Suggestion, SuggestionStatus, Vote
from handbook_review.people.roles import Role
from tests import factories
from tests.conftest import client_for


def home(person) -> str:
    response = client_for(person).get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def three_in_a_round(handbook, editor):
    chapters = [
        factories.chapter(handbook, by=editor, title=title, in_round=False)
        for title in ("Legal framework", "Marking", "Deactivation")
    ]
    found = factories.review_round(handbook, chapters, by=editor, name="Spring review")
    return found, chapters


def test_a_counterpart_sees_the_deadline_progress_and_the_next_chapter(
    three_in_a_round, counterpart
):
    found, (first, second, third) = three_in_a_round
    factories.sign_off(found, first, by=counterpart, verdict=Verdict.NO_COMMENTS)
    page = home(counterpart)
    assert "Waiting for you" in page and "Spring review" in page
    assert "closes in 1" in page  # 14 days: "closes in 1 week" / "2 weeks" by timeuntil
    assert "Your jurisdiction has signed off 1 of 3 chapters." in page
    assert '<progress max="3" value="1"' in page
    assert f'href="{second.get_absolute_url()}">Next chapter to review: 2. Marking' in page
    assert "2 chapters still to do" in page and third.get_absolute_url() in page
    assert reverse("comments:my_review", args=[found.handbook.slug]) in page
    # Nothing of the editors' work.
    assert "wait for a decision" not in page and "Dashboard" not in page


def test_once_every_chapter_is_signed_off_the_page_says_so(three_in_a_round, counterpart):
    found, chapters = three_in_a_round
    for chapter in chapters:
        factories.sign_off(found, chapter, by=counterpart, verdict=Verdict.WITH_COMMENTS)
    page = home(counterpart)
    assert "signed off 3 of 3 chapters" in page
    assert "Every chapter of this round is done for your jurisdiction." in page
    assert "Next chapter to review" not in page


def test_withdrawn_sign_offs_and_other_jurisdictions_do_not_count(
    three_in_a_round, counterpart, bosnian
):
    found, (first, second, _third) = three_in_a_round
    factories.sign_off(found, first, by=bosnian, verdict=Verdict.NO_COMMENTS)
    given = factories.sign_off(found, second, by=counterpart, verdict=Verdict.NO_COMMENTS)
    given.withdrawn_at = given.at
    given.save()
    assert "signed off 0 of 3 chapters" in home(counterpart)
    assert "signed off 1 of 3 chapters" in home(bosnian)


def test_a_coordinator_counts_votes(three_in_a_round, coordinator):
    found, (first, *_rest) = three_in_a_round
    Vote.objects.create(
        round=found, chapter=first, jurisdiction=coordinator.jurisdiction, value="approve",
        version=1, by=coordinator,
    )  # fmt: skip
    page = home(coordinator)
    assert "Your jurisdiction has voted on 1 of 3 chapters." in page
    assert reverse("comments:coordination", args=[found.handbook.slug]) in page


def test_only_rounds_open_to_the_jurisdiction_and_chapters_it_may_read(
    handbook, editor, counterpart, outsider
):
    shown = factories.chapter(handbook, by=editor, title="Shown", in_round=False)
    draft = factories.chapter(handbook, by=editor, title="Secret draft", status=Status.DRAFT)
    factories.review_round(handbook, [shown, draft], by=editor, name="Open to all")
    factories.review_round(handbook, [shown], codes=("BA",), by=editor, name="Bosnia only")
    factories.review_round_at(
        handbook, [shown], by=editor, codes=("AL",), name="Next spring",
        opens_in=timedelta(days=30), closes_in=timedelta(days=60),
    )  # fmt: skip
    factories.review_round_at(
        handbook, [shown], by=editor, codes=("AL",), name="Long past",
        opens_in=timedelta(days=-60), closes_in=timedelta(days=-30),
    )  # fmt: skip
    page = home(counterpart)
    assert "Open to all" in page and "signed off 0 of 1 chapter." in page
    assert "Secret draft" not in page
    assert "Bosnia only" not in page and "Long past" not in page
    assert "Next spring" in page and "opens in 4" in page  # "opens in 4 weeks"
    # A jurisdiction the handbook does not invite sees no handbook at all.
    assert handbook.title not in home(outsider)


def test_no_round_open_is_said(handbook, editor, counterpart):
    factories.chapter(handbook, by=editor, in_round=False)
    assert "No review round is open to your jurisdiction now." in home(counterpart)


def test_an_editor_sees_what_waits_for_a_decision(handbook, editor, counterpart):
    marking = factories.chapter(handbook, by=editor, title="Marking")
    practice = factories.chapter(handbook, by=editor, title="Practice")
    factories.chapter(handbook, by=editor, title="Consolidated", status=Status.CONSOLIDATION)
    factories.suggestion(marking, by=counterpart, words="serial number", replacement="serial")
    factories.suggestion(marking, by=counterpart, words="calibre", replacement="calibres")
    conflicted = factories.suggestion(practice, by=counterpart, words="make", replacement="maker")
    Suggestion.objects.filter(pk=conflicted.pk).update(status=SuggestionStatus.CONFLICTED)
    decided = factories.suggestion(practice, by=counterpart, words="record", replacement="note")
    Suggestion.objects.filter(pk=decided.pk).update(status=SuggestionStatus.REJECTED)
    factories.comment_thread(marking, by=counterpart)
    factories.comment_thread(practice, by=counterpart, words="Practice")
    page = home(editor)
    assert "3 suggestions wait for a decision (1 conflicted)" in page
    # Per chapter, most first.
    assert page.index("1. Marking</a> (2)") < page.index("2. Practice</a> (1)")
    assert f"{marking.get_absolute_url()}?status=open" in page
    assert "2 comments wait for a disposition" in page
    assert "1 chapter in consolidation" in page and "Consolidated" in page
    assert "Regional workshop" in page and "closes in" in page
    assert reverse("comments:dashboard", args=[handbook.slug]) in page
    # The editor reviews for no jurisdiction: no sign-off progress.
    assert "signed off" not in page


def test_an_editor_with_nothing_waiting_is_told(handbook, editor):
    factories.chapter(handbook, by=editor, status=Status.DRAFT)
    assert "No suggestion or comment waits for you, and no round is open." in home(editor)


def test_the_home_page_costs_the_same_with_one_or_many_handbooks(editor, counterpart, queries):
    def seed(n_books: int) -> None:
        for _ in range(n_books):
            book = factories.handbook()
            chapters = [factories.chapter(book, by=editor, in_round=False) for _ in range(3)]
            round_ = factories.review_round(book, chapters, by=editor)
            factories.review_round(book, chapters[:1], by=editor, name="Second")
            factories.sign_off(round_, chapters[0], by=counterpart, verdict=Verdict.NO_COMMENTS)
            factories.suggestion(chapters[1], by=counterpart, words="calibre", replacement="c")
            factories.comment_thread(chapters[2], by=counterpart)

    seed(1)
    one = {p: queries.get(client_for(p), reverse("home")) for p in (editor, counterpart)}
    seed(4)
    five = {p: queries.get(client_for(p), reverse("home")) for p in (editor, counterpart)}
    assert five[counterpart].response.content.decode().count("Waiting for you") == 5
    assert five[editor].response.content.decode().count("suggestion waits for a decision") == 5
    # Session, user, permissions (user, groups), handbooks, then for a counterpart: rounds,
    # their chapters, whether a coordinator votes, sign-offs; for an editor: second factor
    # device, undecided suggestions, undisposed comments, chapters in consolidation, open rounds.
    queries.expect(one[counterpart], five[counterpart], equal=9)
    queries.expect(one[editor], five[editor], equal=10)


def test_an_administrator_without_review_rights_sees_the_handbooks(handbook, editor):
    admin = factories.user(Role.ADMINISTRATOR, code="AL")
    factories.chapter(handbook, by=editor)
    page = home(admin)
    assert handbook.title in page
