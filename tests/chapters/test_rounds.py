"""Review rounds: who may review when (the clock moves), opening, changing, extending, closing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from chapters import review
from chapters.models import Chapter, Round, RoundChange, RoundEvent, Status, Transition
from comments.models import Thread
from handbook_review import clock as chapters_clock
from tests import factories
from tests.conftest import cast, client_for

CET = ZoneInfo("Europe/Belgrade")
# The workshop: the round opens on 23 November 2021 at 09:00 and closes on 24 November at 18:00.
BEFORE = datetime(2021, 11, 22, 12, 0, tzinfo=CET)
OPENS = datetime(2021, 11, 23, 9, 0, tzinfo=CET)
DURING = datetime(2021, 11, 23, 15, 0, tzinfo=CET)
CLOSES = datetime(2021, 11, 24, 18, 0, tzinfo=CET)
AFTER = datetime(2021, 11, 25, 9, 0, tzinfo=CET)


@pytest.fixture
def uninvited(db):
    """Bosnian counterpart: BA takes part in the handbook but is not invited to `workshop`."""
    return factories.user(code="BA", name="Amir Uninvited")


@pytest.fixture
def reviewed(handbook, editor):
    """A chapter in review with no round of its own yet."""
    return factories.chapter(handbook, by=editor, title="Marking", in_round=False)


@pytest.fixture
def workshop(handbook, reviewed, editor, clock):
    """The workshop round over `reviewed`, inviting AL and ME only, opened before the workshop."""
    clock.set_to(BEFORE - timedelta(days=7))
    return review.open_round(
        handbook=handbook,
        name="Regional workshop, 23-24 November 2021",
        opens_at=OPENS,
        closes_at=CLOSES,
        chapters=[reviewed],
        jurisdictions=[factories.jurisdiction("AL"), factories.jurisdiction("ME")],
        by=editor,
    )


REVIEWERS = cast("uninvited", after="outsider", without=["anonymous"])

# When -> may each role in REVIEWERS (outsider, uninvited, counterpart, editor, administrator)
# review?
ACCESS = {
    "before opening": [False, False, False, True, True],
    "open": [False, False, True, True, True],
    "after closing": [False, False, False, True, True],
    "after close-early": [False, False, False, True, True],
    "after extension": [False, False, True, True, True],
}


def move_to(when, workshop, editor, clock):
    """Set the clock (and the round) to the moment called `when`."""
    if when == "before opening":
        clock.set_to(BEFORE)
    elif when == "open":
        clock.set_to(DURING)
    elif when == "after closing":
        clock.set_to(AFTER)
    elif when == "after close-early":
        clock.set_to(DURING)
        review.close_round(workshop, by=editor, note="Done early")
        clock.advance(timedelta(minutes=5))
    elif when == "after extension":
        clock.set_to(DURING)
        review.extend_round(workshop, closes_at=AFTER + timedelta(days=1), by=editor, note="More")
        clock.set_to(AFTER)


@pytest.mark.parametrize("when", list(ACCESS))
@pytest.mark.parametrize("role", REVIEWERS)
def test_can_review_by_role_and_time(request, workshop, reviewed, editor, clock, role, when):
    person = request.getfixturevalue(role)
    move_to(when, workshop, editor, clock)
    fresh = Chapter.objects.get(pk=reviewed.pk)
    assert review.can_review(fresh, person) is ACCESS[when][REVIEWERS.index(role)]


def thread_post(client, chapter):
    return client.post(
        reverse("comments:new_thread", args=[chapter.handbook.slug, chapter.pk]),
        {
            "exact": "make and the calibre",
            "version": chapter.version,
            "body": "Add the model.",
            "visibility": "everyone",
            "category": "general",
        },
    )


def suggestion_post(client, chapter):
    text = chapter.plain_text()
    start = text.index("the calibre")
    return client.post(
        reverse("comments:new_suggestion", args=[chapter.handbook.slug, chapter.pk]),
        {
            "exact": "the calibre",
            "start": start,
            "end": start + len("the calibre"),
            "version": chapter.version,
            "replacement": "the calibre and the model",
            "body": "The model too.",
            "visibility": "everyone",
            "category": "general",
        },
    )


@pytest.mark.parametrize("when", list(ACCESS))
@pytest.mark.parametrize("role", REVIEWERS)
@pytest.mark.parametrize("post", [thread_post, suggestion_post], ids=["comment", "suggest"])
def test_comment_and_suggest_endpoints_follow_the_round(
    request, workshop, reviewed, editor, clock, role, when, post
):
    person = request.getfixturevalue(role)
    move_to(when, workshop, editor, clock)
    before = Thread.objects.count()
    response = post(client_for(person), reviewed)
    if role == "outsider":
        assert response.status_code == 404  # Serbia does not take part: it cannot see the chapter
    elif ACCESS[when][REVIEWERS.index(role)]:
        assert response.status_code == 302
        assert Thread.objects.count() == before + 1
    else:
        assert response.status_code == 403
        assert Thread.objects.count() == before


def test_counterpart_cannot_comment_on_a_chapter_outside_the_round(
    handbook, workshop, editor, counterpart, clock
):
    clock.set_to(DURING)
    other = factories.chapter(handbook, by=editor, title="Other", in_round=False)
    assert not review.can_review(other, counterpart)
    assert thread_post(client_for(counterpart), other).status_code == 403


def test_review_window_says_until_when(workshop, reviewed, counterpart, uninvited, clock):
    clock.set_to(DURING)
    window = review.review_window(reviewed, counterpart)
    assert window is not None
    assert window.round == workshop
    assert window.closes_at == CLOSES
    assert review.review_window(reviewed, uninvited) is None
    assert list(review.open_rounds_for(reviewed, counterpart)) == [workshop]


def test_workflow_page_shows_the_window_with_time_zone(workshop, reviewed, counterpart, clock):
    clock.set_to(DURING)
    url = reverse("chapters:workflow", args=[reviewed.handbook.slug, reviewed.pk])
    page = client_for(counterpart).get(url).content.decode()
    assert "Open for review until 24 November 2021, 18:00 CET" in page


# --- Opening


def form_data(handbook, chapters, codes, **extra):
    return {
        "name": "Regional workshop, 23-24 November 2021",
        "opens_at": "2021-11-23T09:00",
        "closes_at": "2021-11-24T18:00",
        "chapters": [c.pk for c in chapters],
        "jurisdictions": [factories.jurisdiction(code).pk for code in codes],
        **extra,
    }


def test_editor_opens_a_round_in_local_time(handbook, chapter, draft, editor, clock):
    clock.set_to(BEFORE)
    url = reverse("chapters:new_round", args=[handbook.slug])
    response = client_for(editor).post(url, form_data(handbook, [chapter, draft], ["AL", "XK"]))
    assert response.status_code == 302
    created = Round.objects.get(name__startswith="Regional workshop, 23")
    assert created.opens_at == OPENS
    assert created.closes_at == CLOSES
    assert set(created.chapters.all()) == {chapter, draft}
    assert set(created.jurisdictions.values_list("code", flat=True)) == {"AL", "XK"}
    [event] = created.events.all()
    assert (event.kind, event.by, event.closes_at) == (RoundChange.OPENED, editor, CLOSES)
    # The draft went to review with the round, and that is recorded.
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    step = Transition.objects.get(chapter=draft)
    assert (step.source, step.target) == (Status.DRAFT, Status.IN_REVIEW)
    assert step.note == "Round Regional workshop, 23-24 November 2021 opened"
    page = client_for(editor).get(response["Location"]).content.decode()
    assert "24 November 2021, 18:00 CET" in page


def test_the_form_offers_the_handbooks_chapters_and_jurisdictions(handbook, chapter, editor):
    page = client_for(editor).get(reverse("chapters:new_round", args=[handbook.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert chapter.title in html
    assert 'type="datetime-local"' in html
    assert "Europe/Belgrade" in html


def other_handbook_chapter(editor):
    other = factories.handbook(codes=("AL",))
    return factories.chapter(other, by=editor, in_round=False)


BAD_INPUT = [
    ("closes before it opens", {"closes_at": "2021-11-22T09:00"}, "close after it opens"),
    ("no chapters", {"chapters": []}, "at least one chapter"),
    ("no jurisdictions", {"jurisdictions": []}, "Invite at least one"),
    ("chapter of another handbook", "other-chapter", "Select a valid choice"),
    ("jurisdiction not taking part", {"jurisdictions": "RS"}, "Select a valid choice"),
    ("empty name", {"name": "  "}, "This field is required"),
]


@pytest.mark.parametrize(("case", "change", "message"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_round_is_refused_with_the_input_kept(
    handbook, chapter, editor, clock, case, change, message
):
    clock.set_to(BEFORE)
    data = form_data(handbook, [chapter], ["AL"])
    if change == "other-chapter":
        data["chapters"] = [other_handbook_chapter(editor).pk]
    elif change == {"jurisdictions": "RS"}:
        data["jurisdictions"] = [factories.jurisdiction("RS").pk]
    else:
        data.update(change)
    counts = Round.objects.count(), RoundEvent.objects.count(), Transition.objects.count()
    response = client_for(editor).post(reverse("chapters:new_round", args=[handbook.slug]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if data["name"].strip():
        assert data["name"] in html  # what was typed is kept
    assert (Round.objects.count(), RoundEvent.objects.count(), Transition.objects.count()) == counts


def test_open_round_refuses_what_the_form_would_not_catch(handbook, chapter, editor, clock):
    clock.set_to(BEFORE)
    with pytest.raises(review.ValidationError) as refused:
        review.open_round(
            handbook=handbook,
            name="Workshop",
            opens_at=OPENS,
            closes_at=CLOSES,
            chapters=[chapter, other_handbook_chapter(editor)],
            jurisdictions=[factories.jurisdiction("RS")],
            by=editor,
        )
    assert set(refused.value.message_dict) == {"chapters", "jurisdictions"}
    with pytest.raises(review.ValidationError):
        review.open_round(
            handbook=handbook,
            name="In the past",
            opens_at=BEFORE - timedelta(days=2),
            closes_at=BEFORE - timedelta(days=1),
            chapters=[chapter],
            jurisdictions=[factories.jurisdiction("AL")],
            by=editor,
        )
    assert not Round.objects.filter(name__in=["Workshop", "In the past"]).exists()


# --- Extending, closing, changing


def round_url(name, workshop):
    return reverse(f"chapters:{name}", args=[workshop.handbook.slug, workshop.pk])


def test_extend_records_an_event(workshop, editor, clock):
    clock.set_to(DURING)
    response = client_for(editor).post(
        round_url("extend_round", workshop),
        {"extend-closes_at": "2021-11-26T18:00", "extend-note": "Late translations"},
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.closes_at == datetime(2021, 11, 26, 18, 0, tzinfo=CET)
    event = workshop.events.last()
    assert (event.kind, event.note, event.closes_at) == (
        RoundChange.EXTENDED,
        "Late translations",
        workshop.closes_at,
    )


@pytest.mark.parametrize(
    ("at", "new_close", "message"),
    [
        (DURING, "2021-11-24T12:00", "closing later than the round closes now"),
        (AFTER + timedelta(days=3), "2021-11-26T18:00", "already passed"),
    ],
    ids=["earlier than the current close", "in the past"],
)
def test_bad_extension_is_refused(workshop, editor, clock, at, new_close, message):
    clock.set_to(at)
    before = RoundEvent.objects.count()
    response = client_for(editor).post(
        round_url("extend_round", workshop), {"extend-closes_at": new_close, "extend-note": "x"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert new_close in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.closes_at == CLOSES
    assert RoundEvent.objects.count() == before


def test_close_early_then_closing_again_is_refused(workshop, editor, clock):
    clock.set_to(DURING)
    response = client_for(editor).post(
        round_url("close_round", workshop), {"close-note": "Done", "confirmed": "1"}
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.closes_at == DURING
    assert workshop.events.last().kind == RoundChange.CLOSED
    before = RoundEvent.objects.count()
    again = client_for(editor).post(
        round_url("close_round", workshop), {"close-note": "", "confirmed": "1"}
    )
    assert again.status_code == 400
    assert "already closed" in again.content.decode()
    assert RoundEvent.objects.count() == before


def test_closing_a_scheduled_round_means_it_never_opens(
    workshop, reviewed, editor, counterpart, clock
):
    clock.set_to(BEFORE)
    review.close_round(workshop, by=editor)
    workshop.refresh_from_db()
    assert workshop.state(BEFORE) == "closed"
    clock.set_to(DURING)
    assert not review.can_review(Chapter.objects.get(pk=reviewed.pk), counterpart)


def test_change_scope_and_name_records_an_event(handbook, workshop, reviewed, draft, editor, clock):
    clock.set_to(DURING)
    response = client_for(editor).post(
        round_url("edit_round", workshop),
        {
            "name": "Workshop (extended scope)",
            "chapters": [reviewed.pk, draft.pk],
            "jurisdictions": [factories.jurisdiction(c).pk for c in ("AL", "ME", "BA")],
            "note": "BA asked to join",
        },
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.name == "Workshop (extended scope)"
    assert set(workshop.jurisdictions.values_list("code", flat=True)) == {"AL", "ME", "BA"}
    assert workshop.events.last().kind == RoundChange.CHANGED
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW


def test_a_closed_round_cannot_be_changed(workshop, reviewed, editor, clock):
    clock.set_to(AFTER)
    before = RoundEvent.objects.count()
    response = client_for(editor).post(
        round_url("edit_round", workshop),
        {
            "name": "Renamed",
            "chapters": [reviewed.pk],
            "jurisdictions": [factories.jurisdiction("AL").pk],
        },
    )
    assert response.status_code == 400
    assert "closed round cannot be changed" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.name.startswith("Regional workshop")
    assert RoundEvent.objects.count() == before


def test_round_page_lists_the_history(workshop, editor, clock):
    clock.set_to(DURING)
    review.extend_round(workshop, closes_at=AFTER, by=editor, note="More time")
    page = client_for(editor).get(round_url("round", workshop)).content.decode()
    assert "Opened" in page
    assert "Extended" in page
    assert "More time" in page


# --- Permission matrix

MATRIX_ROLES = cast("uninvited", after="outsider")

# (view, method, data) -> status per role in MATRIX_ROLES. The clock stands inside the round.
MATRIX = [
    ("rounds", "get", None, [302, 404, 200, 200, 200, 200]),
    ("new_round", "get", None, [302, 404, 403, 403, 200, 200]),
    ("new_round", "post", "new", [302, 404, 403, 403, 302, 302]),
    ("round", "get", None, [302, 404, 404, 200, 200, 200]),
    ("edit_round", "get", None, [302, 404, 404, 403, 200, 200]),
    ("edit_round", "post", "edit", [302, 404, 404, 403, 302, 302]),
    (
        "extend_round",
        "post",
        {"extend-closes_at": "2021-11-30T18:00"},
        [302, 404, 404, 403, 302, 302],
    ),
    ("close_round", "post", {"confirmed": "1"}, [302, 404, 404, 403, 302, 302]),
]


@pytest.mark.parametrize(
    ("view", "method", "data", "expected"), MATRIX, ids=[f"{m[0]}-{m[1]}" for m in MATRIX]
)
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_round_views_permission_matrix(
    request, workshop, reviewed, clock, view, method, data, expected, role
):
    clock.set_to(DURING)
    person = None if role == "anonymous" else request.getfixturevalue(role)
    handbook = workshop.handbook
    if view in ("rounds", "new_round"):
        url = reverse(f"chapters:{view}", args=[handbook.slug])
    else:
        url = round_url(view, workshop)
    if data == "new":
        data = form_data(handbook, [reviewed], ["AL"], closes_at="2021-11-30T18:00")
    elif data == "edit":
        data = {
            "name": "Renamed",
            "chapters": [reviewed.pk],
            "jurisdictions": [factories.jurisdiction("AL").pk],
        }
    response = getattr(client_for(person), method)(url, data or {})
    assert response.status_code == expected[MATRIX_ROLES.index(role)]


def test_rounds_list_shows_only_invited_rounds(handbook, workshop, counterpart, uninvited, clock):
    clock.set_to(DURING)
    url = reverse("chapters:rounds", args=[handbook.slug])
    assert workshop.name in client_for(counterpart).get(url).content.decode()
    assert workshop.name not in client_for(uninvited).get(url).content.decode()


def test_handbook_page_links_to_rounds(handbook, counterpart):
    page = client_for(counterpart).get(handbook.get_absolute_url()).content.decode()
    assert reverse("chapters:rounds", args=[handbook.slug]) in page


def test_counterparts_cannot_open_rounds_directly(handbook, chapter, counterpart, clock):
    with pytest.raises(review.PermissionDenied):
        review.open_round(
            handbook=handbook,
            name="Mine",
            opens_at=clock.now(),
            closes_at=clock.now() + timedelta(days=1),
            chapters=[chapter],
            jurisdictions=[factories.jurisdiction("AL")],
            by=counterpart,
        )


def test_the_demo_opens_a_workshop_round_so_counterparts_can_comment(db):
    from django.core.management import call_command

    from chapters.models import Handbook
    from handbook_review.people.models import User

    call_command("load_demo", password="demo-pass-for-tests", stdout=None)
    book = Handbook.objects.get(slug="firearms-western-balkans")
    # The first consultation is closed (the demo's past round); the workshop is open now.
    [workshop] = [found for found in book.rounds.all() if found.is_open()]
    assert workshop.name.startswith("Regional workshop, ")
    assert workshop.is_open()
    assert workshop.closes_at - workshop.opens_at == timedelta(days=30)
    assert set(workshop.chapters.all()) == set(book.chapters.filter(status=Status.IN_REVIEW))
    assert set(workshop.jurisdictions.all()) == set(book.jurisdictions.all())
    albanian = User.objects.get(email="border.al@example.org")
    assert review.can_review(workshop.chapters.first(), albanian)


def test_the_chapter_page_tells_a_counterpart_until_when_they_may_comment(
    chapter, counterpart, editor
):
    page = client_for(counterpart).get(chapter.get_absolute_url()).content.decode()
    review = Round.objects.get(chapters=chapter)
    assert "Open for your comments and suggestions until" in page
    assert review.name in page
    Round.objects.filter(pk=review.pk).update(closes_at=chapters_clock.now())
    page = client_for(counterpart).get(chapter.get_absolute_url()).content.decode()
    assert "Reading only: no review round is open" in page
    editor_page = client_for(editor).get(chapter.get_absolute_url()).content.decode()
    assert "Reading only" not in editor_page


def test_closing_a_round_asks_first_and_says_what_will_happen(workshop, reviewed, editor, clock):
    clock.set_to(DURING)
    client = client_for(editor)
    asked = client.post(round_url("close_round", workshop), {"close-note": "Workshop over"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Reviewing stops now" in page and "Albania" in page and "Montenegro" in page
    assert reviewed.title in page  # the round's chapters are listed
    assert 'name="close-note" value="Workshop over"' in page  # carried to the confirmation
    workshop.refresh_from_db()
    assert workshop.closes_at == CLOSES  # nothing happened yet

    back = client.post(
        round_url("close_round", workshop), {"close-note": "Workshop over", "back": "1"}
    )
    assert back.status_code == 200 and 'value="Workshop over"' in back.content.decode()
    workshop.refresh_from_db()
    assert workshop.closes_at == CLOSES

    done = client.post(
        round_url("close_round", workshop), {"close-note": "Workshop over", "confirmed": "1"}
    )
    assert done.status_code == 302
    workshop.refresh_from_db()
    assert workshop.closes_at == DURING and workshop.events.last().note == "Workshop over"


def test_a_closed_round_is_refused_before_any_question(workshop, editor, clock):
    clock.set_to(AFTER)
    response = client_for(editor).post(round_url("close_round", workshop), {"close-note": ""})
    assert response.status_code == 400 and "already closed" in response.content.decode()
