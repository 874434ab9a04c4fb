"""A participant's own review page: open rounds and deadlines, their suggestions and threads."""

from datetime import timedelta

import pytest
from django.urls import reverse

from chapters.models import Round, Verdict
from comments.actions import accept, dispose, reject, resolve_thread
from tests import factories
from tests.conftest import client_for


def url(book):
    return reverse("comments:my_review", args=[book.slug])


@pytest.fixture
def colleague(db):
    """Another Albanian counterpart: their editors-only notes are not `counterpart`'s to see."""
    return factories.user(code="AL", agency="customs", name="Besa Colleague")


@pytest.fixture
def second(handbook, editor):
    """Chapter 3, in review."""
    return factories.chapter(handbook, by=editor, title="Practice", number=3)


@pytest.fixture
def scene(handbook, chapter, second, draft, editor, counterpart, colleague):
    Round.objects.filter(handbook=handbook).delete()  # the chapter factory's own rounds
    rounds = {
        "open": factories.review_round_at(
            handbook, [chapter, second, draft], by=editor, name="Spring round"
        ),
        "theirs": factories.review_round_at(
            handbook, [chapter], by=editor, codes=("BA",), name="Bosnian round"
        ),
        "later": factories.review_round_at(
            handbook,
            [second],
            by=editor,
            name="Autumn round",
            opens_in=timedelta(days=30),
            closes_in=timedelta(days=40),
        ),
        "past": factories.review_round_at(
            handbook,
            [chapter],
            by=editor,
            name="Winter round",
            opens_in=timedelta(days=-30),
            closes_in=timedelta(days=-20),
        ),
    }
    factories.sign_off(rounds["open"], chapter, by=colleague, verdict=Verdict.NO_COMMENTS)
    mine = {
        "rejected": factories.suggestion(
            chapter, by=counterpart, words="obliges", replacement="asks"
        ),
        "accepted": factories.suggestion(
            chapter, by=counterpart, words="Officers record", replacement="Officers write down"
        ),
        "open": factories.suggestion(second, by=counterpart, words="make", replacement="brand"),
        "comment": factories.comment_thread(chapter, by=counterpart, words="calibre"),
        "resolved": factories.comment_thread(second, by=counterpart, words="serial number"),
    }
    reject(mine["rejected"], by=editor, reason="The Protocol does oblige.")
    accept(mine["accepted"], by=editor)
    resolve_thread(mine["resolved"], by=editor)
    others = {
        "private": factories.comment_thread(
            chapter, by=colleague, words="Firearms Protocol", visibility="editors"
        ),
        "public": factories.comment_thread(chapter, by=colleague, words="Firearms Protocol"),
        "editors": factories.comment_thread(
            chapter, by=editor, words="Firearms Protocol", visibility="editors"
        ),
    }
    return rounds, mine, others


def test_shows_rounds_open_to_my_jurisdiction_with_deadlines(scene, handbook, counterpart, clock):
    rounds, _mine, _others = scene
    with clock.frozen(rounds["open"].closes_at - timedelta(days=2, hours=1)):
        response = client_for(counterpart).get(url(handbook))
    assert response.status_code == 200
    review = response.context["review"]
    assert [s.round.name for s in review.rounds] == ["Spring round", "Autumn round"]
    spring, autumn = review.rounds
    assert (spring.state, spring.time_left) == ("open", "closes in 2\xa0days")
    assert autumn.state == "scheduled"
    html = response.content.decode()
    assert "Bosnian round" not in html
    assert "Winter round" not in html
    assert "closes in 2\xa0days" in html
    assert "Europe/Belgrade" in html


def test_chapters_in_scope_with_my_jurisdictions_sign_off(
    scene, handbook, chapter, second, counterpart
):
    response = client_for(counterpart).get(url(handbook))
    spring = response.context["review"].rounds[0]
    # The draft in the round is not for counterparts to read.
    assert [c.chapter.pk for c in spring.chapters] == [chapter.pk, second.pk]
    first, other = spring.chapters
    assert (first.verdict, first.sign_off_label) == (Verdict.NO_COMMENTS, "signed off, no comments")
    assert other.sign_off_label == "not signed off yet"
    # My open comment and my colleague's public one; not the colleague's editors-only note.
    assert first.open_threads == 2
    html = response.content.decode()
    assert first.url in html
    # Not signed off yet, in an open round: the words lead to the chapter's sign-off box.
    assert f'<a class="verdict-none" href="{other.url}#sign-off">not signed off yet</a>' in html


def test_my_suggestions_with_their_decisions(scene, handbook, counterpart, editor):
    _rounds, mine, _others = scene
    response = client_for(counterpart).get(url(handbook))
    items = {s.suggestion.pk: s for s in response.context["review"].suggestions}
    assert set(items) == {mine["rejected"].pk, mine["accepted"].pk, mine["open"].pk}
    rejected = items[mine["rejected"].pk]
    assert rejected.suggestion.status == "rejected"
    assert rejected.decision.reason == "The Protocol does oblige."
    assert rejected.decision.by == editor
    assert items[mine["accepted"].pk].decision.get_kind_display() == "Accepted"
    assert items[mine["open"].pk].decision is None
    html = response.content.decode()
    assert "The Protocol does oblige." in html
    assert "Waiting for an editor" in html
    assert rejected.url in html


def test_my_threads_and_not_others_editors_only_ones(scene, handbook, counterpart):
    _rounds, mine, others = scene
    review = client_for(counterpart).get(url(handbook)).context["review"]
    assert {t.thread.pk: t.thread.status for t in review.threads} == {
        mine["comment"].pk: "open",
        mine["resolved"].pk: "resolved",
    }
    shown = {t.thread.pk for t in review.threads} | {
        s.suggestion.thread_id for s in review.suggestions
    }
    assert not shown & {t.pk for t in others.values()}


@pytest.mark.parametrize(
    ("role", "status"),
    [("editor", 200), ("administrator", 200), ("counterpart", 200), ("outsider", 404)],
)
def test_permissions(request, handbook, chapter, role, status):
    person = request.getfixturevalue(role)
    assert client_for(person).get(url(handbook)).status_code == status


def test_anonymous_is_sent_to_log_in(handbook):
    response = client_for(None).get(url(handbook))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_handbook_page_links_counterparts_here(handbook, chapter, counterpart):
    assert (
        url(handbook) in client_for(counterpart).get(handbook.get_absolute_url()).content.decode()
    )


def test_query_count_is_the_same_for_one_and_many_items(
    handbook, editor, counterpart, coordinator, queries
):
    def add(n):
        chaps = [factories.chapter(handbook, by=editor, title=f"Chapter {n}-{i}") for i in range(n)]
        Round.objects.filter(chapters__in=chaps).delete()  # the chapter factory's own rounds
        for i in range(n):
            round_ = factories.review_round_at(handbook, chaps, by=editor, name=f"Round {n}-{i}")
            factories.sign_off(round_, chaps[i], by=counterpart, verdict=Verdict.NO_COMMENTS)
        for chap in chaps:
            suggestion = factories.suggestion(
                chap, by=counterpart, words="make", replacement="brand"
            )
            reject(suggestion, by=editor, reason="No.")
            factories.suggestion(chap, by=counterpart, words="calibre", replacement="bore")
            mine = factories.comment_thread(chap, by=counterpart)
            dispose(mine, by=editor, kind="noted", reason="Covered in chapter 3.")
            factories.comment_thread(chap, by=coordinator, words="Introductory")

    def count(client):
        run = queries.get(client, url(handbook))
        return run, run.response.context["review"]

    client = client_for(counterpart)
    add(1)
    one, review = count(client)
    assert (len(review.rounds), len(review.suggestions), len(review.threads)) == (1, 2, 1)
    add(5)
    many, review = count(client)
    assert (len(review.rounds), len(review.suggestions), len(review.threads)) == (6, 12, 6)
    # session, user (with the header's unread count), user's permissions, group permissions,
    # handbook, rounds, their chapters, sign-offs, whether the jurisdiction has a coordinator
    # and, as Albania has one here, its votes; open threads per chapter, suggestions, their
    # decisions, comment threads (each with its disposition, joined).
    queries.expect(one, many, equal=14)
    assert "Covered in chapter 3." in many.response.content.decode()


def test_a_coordinator_sees_their_jurisdictions_dispositions_in_constant_queries(
    handbook, editor, counterpart, coordinator, bosnian, queries
):
    def add(n):
        for i in range(n):
            chap = factories.chapter(handbook, by=editor, title=f"Chapter {n}-{i}")
            theirs = factories.comment_thread(chap, by=counterpart)
            dispose(theirs, by=editor, kind="deferred")
            factories.comment_thread(chap, by=bosnian, words="calibre")

    client = client_for(coordinator)
    add(1)
    one = queries.get(client, url(handbook))
    add(5)
    many = queries.get(client, url(handbook))
    review = many.response.context["review"]
    assert len(review.jurisdiction_threads) == 6  # Albania's, not Bosnia's
    assert {t.thread.author_id for t in review.jurisdiction_threads} == {counterpart.pk}
    assert reverse("comments:answer", args=[review.jurisdiction_threads[0].thread.pk]) in (
        many.response.content.decode()
    )
    # As for a counterpart, but no decisions to fetch (no suggestions of their own), and their
    # jurisdiction's threads with their dispositions; and, as Albania has a coordinator, whether
    # it has and its votes.
    queries.expect(one, many, equal=14)
