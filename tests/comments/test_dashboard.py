"""The editors' dashboard: counts per chapter × jurisdiction, sign-offs, blockers, the chart,
permissions and a query budget independent of the number of chapters and jurisdictions."""

from datetime import timedelta

import pytest
from django.urls import reverse

from chapters.models import Round, Status, Verdict
from comments.actions import accept, reject, resolve_thread
from comments.models import Thread
from tests import factories
from tests.conftest import client_for


def url(book, **query):
    base = reverse("comments:dashboard", args=[book.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def second(handbook, editor):
    """Chapter 3, in review."""
    return factories.chapter(handbook, by=editor, title="Practice", number=3)


@pytest.fixture
def approved(handbook, editor):
    """Chapter 4, approved: never blocked."""
    return factories.chapter(handbook, by=editor, title="Approved", number=4, status="approved")


@pytest.fixture
def scene(handbook, chapter, second, approved, editor, counterpart, bosnian):
    """A round over chapters 1, 3 and 4 for AL and BA, with what each jurisdiction did in it."""
    clear_rounds(handbook)
    round_ = factories.review_round_at(handbook, [chapter, second, approved], by=editor)
    factories.comment_thread(chapter, by=counterpart, words="serial number")
    resolve_thread(
        factories.comment_thread(chapter, by=counterpart, words="calibre"), by=counterpart
    )
    taken = factories.suggestion(
        chapter, by=counterpart, words="Officers record", replacement="Officers write down"
    )
    refused = factories.suggestion(
        chapter, by=counterpart, words="obliges", replacement="asks", rationale="Softer."
    )
    accept(taken, by=editor)
    reject(refused, by=editor, reason="The Protocol does oblige.")
    factories.suggestion(second, by=counterpart, words="make", replacement="brand")
    factories.comment_thread(second, by=bosnian, words="Firearms Protocol")
    factories.sign_off(round_, chapter, by=bosnian, verdict=Verdict.WITH_COMMENTS)
    factories.sign_off(round_, second, by=counterpart, verdict=Verdict.NO_COMMENTS)
    # Open threads of an approved chapter do not block anything.
    factories.comment_thread(approved, by=editor, words="serial number")
    return round_


def clear_rounds(book):
    """Drop the rounds the chapter factory opens, so each test says which rounds exist."""
    Round.objects.filter(handbook=book).delete()


def cell(board, chapter, code):
    row = next(r for r in board.rows if r.chapter.pk == chapter.pk)
    return next(c for c in row.cells if c.jurisdiction.code == code)


def test_cells_count_comments_and_suggestions_by_jurisdiction(
    scene, editor, chapter, second, handbook
):
    response = client_for(editor).get(url(handbook))
    assert response.status_code == 200
    board = response.context["board"]
    assert board.round == scene  # the open round is the default
    assert [j.code for j in board.jurisdictions] == ["AL", "BA"]
    al = cell(board, chapter, "AL").tally
    assert (al.comments_open, al.comments_resolved) == (1, 1)
    assert (al.suggestions_open, al.suggestions_accepted, al.suggestions_rejected) == (0, 1, 1)
    assert cell(board, chapter, "BA").tally.total == 0
    assert cell(board, second, "AL").tally.suggestions_open == 1
    assert cell(board, second, "BA").tally.comments_open == 1
    html = response.content.decode()
    assert "C 1 open · 1 res" in html
    assert "S 0 open · 1 acc · 1 rej" in html


def test_sign_off_marks(scene, editor, chapter, second, handbook):
    board = client_for(editor).get(url(handbook)).context["board"]
    assert cell(board, chapter, "BA").mark == "✓"
    assert cell(board, chapter, "BA").sign_off_label == "with comments"
    assert cell(board, second, "AL").sign_off_label == "no comments"
    assert cell(board, chapter, "AL").mark == "—"
    assert cell(board, chapter, "AL").sign_off_label == "not signed off"


def test_blocked_chapters_say_why(scene, editor, chapter, second, approved, handbook):
    response = client_for(editor).get(url(handbook))
    blocked = {row.chapter.pk: row.reasons for row in response.context["board"].blocked}
    assert blocked == {
        chapter.pk: ["1 open comment thread", "not signed off by Albania"],
        second.pk: [
            "1 open suggestion",
            "1 open comment thread",
            "not signed off by Bosnia and Herzegovina",
        ],
    }
    assert "not signed off by Bosnia and Herzegovina" in response.content.decode()


def test_withdrawn_sign_off_does_not_count(scene, editor, chapter, bosnian, handbook):
    from chapters.models import SignOff
    from handbook_review import clock

    SignOff.objects.filter(chapter=chapter, jurisdiction__code="BA").update(
        withdrawn_at=clock.now(), withdrawn_by=bosnian
    )
    board = client_for(editor).get(url(handbook)).context["board"]
    assert cell(board, chapter, "BA").mark == "—"


def test_round_counts_only_threads_opened_while_it_was_open(
    scene, editor, counterpart, chapter, handbook
):
    earlier = factories.review_round_at(
        handbook,
        [chapter],
        by=editor,
        name="Earlier round",
        opens_in=timedelta(days=-20),
        closes_in=timedelta(days=-10),
    )
    board = client_for(editor).get(url(handbook, round=earlier.pk)).context["board"]
    assert board.round == earlier
    assert cell(board, chapter, "AL").tally.total == 0
    # Blockers look at the chapter as it is, whatever the round.
    assert board.blocked[0].open_comments == 1
    everything = client_for(editor).get(url(handbook, round="all")).context["board"]
    assert everything.round is None
    assert cell(everything, chapter, "AL").tally.total == 4


def test_deadline_shown_in_local_time_with_time_left(scene, editor, handbook, clock):
    with clock.frozen(scene.closes_at - timedelta(days=2, hours=3)):
        html = client_for(editor).get(url(handbook)).content.decode()
    assert "closes in 2\xa0days" in html
    assert "CET" in html or "CEST" in html
    assert "Europe/Belgrade" in html
    with clock.frozen(scene.closes_at + timedelta(minutes=1)):
        html = client_for(editor).get(url(handbook, round=scene.pk)).content.decode()
    assert "closed" in html


def test_participation_chart_has_a_text_alternative(scene, editor, handbook):
    response = client_for(editor).get(url(handbook))
    html = response.content.decode()
    assert '<svg class="chart"' in html
    assert 'role="img"' in html
    assert '<table class="participation" id="participation-data">' in html
    albania = next(
        p for p in response.context["board"].participation if p.jurisdiction.code == "AL"
    )
    # 2 comment threads, 3 suggestions on chapters 1 and 3, 1 sign-off.
    assert (albania.threads, albania.suggestions, albania.sign_offs) == (2, 3, 1)
    assert "<title>Albania: 2 comment threads, 3 suggestions, 1 sign-offs</title>" in html


def test_unknown_round_is_not_found(scene, editor, handbook):
    assert client_for(editor).get(url(handbook, round=99999)).status_code == 404
    assert client_for(editor).get(url(handbook, round="x")).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("editor", 200), ("administrator", 200), ("counterpart", 403), ("outsider", 404)],
)
def test_permissions(request, handbook, chapter, role, status):
    person = request.getfixturevalue(role)
    assert client_for(person).get(url(handbook)).status_code == status


def test_anonymous_is_sent_to_log_in(handbook):
    response = client_for(None).get(url(handbook))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_handbook_page_links_editors_to_the_dashboard(handbook, chapter, editor, counterpart):
    link = reverse("comments:dashboard", args=[handbook.slug])
    assert link in client_for(editor).get(handbook.get_absolute_url()).content.decode()
    assert link not in client_for(counterpart).get(handbook.get_absolute_url()).content.decode()


# --- Query budget


CODES = ("AL", "BA", "XK", "ME", "MK")


def build(editor, *, chapters, codes, threads_each):
    book = factories.handbook(codes=CODES)
    chaps = [
        factories.chapter(book, by=editor, title=f"Chapter {n}", number=n)
        for n in range(1, chapters + 1)
    ]
    clear_rounds(book)
    round_ = factories.review_round_at(book, chaps, by=editor, codes=codes)
    people = [factories.user(code=code) for code in codes]
    for chap in chaps:
        for person in people:
            for _ in range(threads_each):
                factories.comment_thread(chap, by=person)
            factories.suggestion(chap, by=person, words="make", replacement="brand")
            factories.sign_off(round_, chap, by=person, verdict=Verdict.NO_COMMENTS)
    return book


def test_query_count_does_not_grow_with_chapters_and_jurisdictions(editor, queries):
    small = build(editor, chapters=2, codes=CODES[:2], threads_each=1)
    large = build(editor, chapters=8, codes=CODES, threads_each=3)
    client = client_for(editor)
    client.get(url(small))  # warm the session and caches
    few = queries.get(client, url(small))
    many = queries.get(client, url(large))
    response, large_response = few.response, many.response
    assert len(response.context["board"].rows) == 2
    assert len(large_response.context["board"].jurisdictions) == 5
    assert (
        cell(large_response.context["board"], large.chapters.get(number=8), "MK").tally.total == 4
    )
    # session, user (with the header's unread count), user's permissions, group permissions,
    # handbook, rounds, jurisdictions, chapters, grouped thread counts, sign-offs, which
    # jurisdictions have a coordinator (their votes are read only if any has); and the device
    # that gave the session its second factor (django-otp); the dispositions: chapters, grouped
    # counts of undisposed and contested threads, the round's agenda.
    queries.expect(few, many, equal=15)
    everything_few = queries.get(client, url(small, round="all"))
    everything_many = queries.get(client, url(large, round="all"))
    # The same, plus which jurisdictions each chapter's rounds invited, and no agenda.
    queries.expect(everything_few, everything_many, equal=15)
    # Listing the threads without a disposition: one query more, however many there are.
    listed_few = queries.get(client, url(small, show="undisposed", type="general"))
    listed_many = queries.get(client, url(large, show="undisposed", type="general"))
    queries.expect(listed_few, listed_many, equal=16)
    assert many.response.context["dispositions"].undisposed == 8 * 5 * 4
    assert len(listed_many.response.context["dispositions"].listed) == 8 * 5 * 3


def test_draft_chapters_are_listed_for_editors(handbook, draft, editor):
    clear_rounds(handbook)
    factories.review_round_at(handbook, [draft], by=editor)
    board = client_for(editor).get(url(handbook)).context["board"]
    assert [r.chapter.pk for r in board.rows] == [draft.pk]
    assert board.rows[0].chapter.status == Status.DRAFT


# --- Dispositions


def test_undisposed_and_contested_per_chapter_and_the_next_rounds_agenda(
    handbook, chapter, editor, counterpart, bosnian, clock
):
    from chapters.models import Chapter
    from comments.actions import answer, dispose

    clear_rounds(handbook)
    first = factories.review_round_at(handbook, [chapter], by=editor, name="First reading")
    technical = factories.comment_thread(chapter, by=counterpart, words="serial number")
    Thread.objects.filter(pk=technical.pk).update(category="technical")
    waiting = factories.comment_thread(chapter, by=bosnian, words="calibre")
    editorial = factories.suggestion(chapter, by=counterpart, words="make", replacement="brand")
    Thread.objects.filter(pk=editorial.thread_id).update(category="editorial")
    Chapter.objects.filter(pk=chapter.pk).update(status="consolidation")
    dispose(technical, by=editor, kind="not_accepted", reason="Out of scope.")
    answer(technical, by=counterpart, kind="contested", reason="It is in scope.")
    clock.advance(timedelta(days=20))
    second = factories.review_round_at(handbook, [chapter], by=editor, name="Second reading")
    client = client_for(editor)

    board = client.get(url(handbook, round=second.pk)).context["dispositions"]
    [row] = board.rows
    assert (row.undisposed, row.contested) == (2, 1)
    assert [item.thread.pk for item in board.agenda] == [technical.pk]
    page = client.get(url(handbook, round=second.pk, show="contested")).content.decode()
    assert "1 disposition is contested" in page and "Agenda: contested from earlier rounds" in page
    assert f'data-thread="{technical.pk}"' in page

    # The first round's agenda: nothing disposed of before it opened.
    assert client.get(url(handbook, round=first.pk)).context["dispositions"].agenda == []
    technical_only = client.get(url(handbook, round=second.pk, type="technical", show="undisposed"))
    [row] = technical_only.context["dispositions"].rows
    assert (row.undisposed, row.contested) == (0, 1)
    assert technical_only.context["dispositions"].listed == []
    editorial_only = client.get(url(handbook, round=second.pk, type="editorial", show="undisposed"))
    assert [i.thread.pk for i in editorial_only.context["dispositions"].listed] == [
        editorial.thread_id
    ]
    assert waiting.pk not in [i.thread.pk for i in editorial_only.context["dispositions"].listed]
