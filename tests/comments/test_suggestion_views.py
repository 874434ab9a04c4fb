"""Suggestion pages: permission matrix for every decision, bad input, page query budget."""

import pytest
from django.urls import reverse

from chapters.models import Chapter
from comments.models import Decision, Suggestion, SuggestionStatus
from tests import factories
from tests.comments.test_suggestions import BODY, suggest
from tests.conftest import cast, client_for

COLUMNS = cast("proposer", without=["administrator"])


@pytest.fixture
def proposer(db):
    """Montenegrin customs counterpart who made `suggestion`: may withdraw it, not decide it."""
    return factories.user(code="ME", agency="customs", name="Ivana Proposer")


@pytest.fixture
def text_chapter(handbook, editor):
    """BODY in review, in an open round inviting every jurisdiction of the handbook."""
    return in_round(factories.chapter(handbook, by=editor, body=BODY), editor)


def in_round(chapter, editor):
    factories.review_round(chapter.handbook, [chapter], by=editor)
    return chapter


@pytest.fixture
def suggestion(text_chapter, proposer):
    return suggest(text_chapter, "serial number", "serial number and make", by=proposer)


def act(client, action, suggestion):
    chapter = suggestion.thread.chapter
    slug = chapter.handbook.slug
    if action == "propose":
        text = chapter.plain_text()
        return client.post(
            reverse("comments:new_suggestion", args=[slug, chapter.pk]),
            {
                "exact": "evidence bag",
                "start": text.index("evidence bag"),
                "end": text.index("evidence bag") + 12,
                "version": chapter.version,
                "replacement": "sealed bag",
                "body": "Shorter.",
                "visibility": "everyone",
                "category": "editorial",
            },
        )
    if action == "accept":
        return client.post(reverse("comments:accept_suggestion", args=[suggestion.pk]))
    if action == "modify_get":
        return client.get(reverse("comments:decide_suggestion", args=[suggestion.pk]))
    if action == "modify":
        return client.post(
            reverse("comments:decide_suggestion", args=[suggestion.pk]),
            {"replacement": "serial number and model", "reason": "Model, not make."},
        )
    if action == "reject":
        return client.post(
            reverse("comments:reject_suggestion", args=[suggestion.pk]), {"reason": "No."}
        )
    if action == "withdraw":
        return client.post(reverse("comments:withdraw_suggestion", args=[suggestion.pk]))
    if action == "bulk":
        return client.post(
            reverse("comments:bulk_decide", args=[slug, chapter.pk]),
            {"action": "accept", "confirmed": "1", "ids": [suggestion.pk]},
        )
    raise AssertionError(action)


MATRIX = [
    ("propose", [302, 404, 302, 302, 302]),
    ("accept", [302, 404, 403, 403, 302]),
    ("modify_get", [302, 404, 403, 403, 200]),
    ("modify", [302, 404, 403, 403, 302]),
    ("reject", [302, 404, 403, 403, 302]),
    ("withdraw", [302, 404, 403, 302, 403]),
    ("bulk", [302, 404, 403, 403, 302]),
]


@pytest.mark.parametrize(("action", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("role", COLUMNS)
def test_suggestion_actions_permission_matrix(request, suggestion, action, expected, role):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = act(client_for(person), action, suggestion)
    assert response.status_code == expected[COLUMNS.index(role)]
    suggestion.refresh_from_db()
    decided = role != "anonymous" and expected[COLUMNS.index(role)] == 302 and action != "propose"
    assert (suggestion.status != SuggestionStatus.OPEN) == decided


def test_a_proposal_through_the_page_records_its_source_range(text_chapter, counterpart):
    response = (
        act(client_for(counterpart), "propose", Suggestion(thread=None) if False else None)
        if False
        else None
    )
    text = text_chapter.plain_text()
    response = client_for(counterpart).post(
        reverse("comments:new_suggestion", args=[text_chapter.handbook.slug, text_chapter.pk]),
        {
            "exact": "evidence bag",
            "start": text.index("evidence bag"),
            "end": text.index("evidence bag") + 12,
            "version": 1,
            "replacement": "sealed bag",
            "body": "Shorter.",
            "visibility": "everyone",
            "category": "editorial",
        },
    )
    assert response.status_code == 302
    made = Suggestion.objects.get()
    assert text_chapter.body[made.source_start : made.source_end] == "evidence bag"
    assert (made.original, made.replacement, made.base_version) == ("evidence bag", "sealed bag", 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exact": "words not in the chapter", "start": ""}, "not in this chapter"),
        ({"replacement": "evidence bag"}, "same as the original"),
        ({"version": 42}, "does not exist"),
        ({"exact": ""}, "Select the words you want to change."),
    ],
)
def test_bad_proposals_are_refused_and_the_text_kept(text_chapter, counterpart, change, message):
    text = text_chapter.plain_text()
    data = {
        "exact": "evidence bag",
        "start": text.index("evidence bag"),
        "end": text.index("evidence bag") + 12,
        "version": 1,
        "replacement": "sealed bag",
        "body": "My careful rationale.",
        "visibility": "everyone",
        "category": "editorial",
        **change,
    }
    url = reverse("comments:new_suggestion", args=[text_chapter.handbook.slug, text_chapter.pk])
    response = client_for(counterpart).post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "My careful rationale." in page
    assert not Suggestion.objects.exists()


def test_a_suggestion_on_a_chapter_not_in_review_is_refused(handbook, editor, counterpart):
    approved = factories.chapter(handbook, by=editor, body=BODY, status="approved")
    text = approved.plain_text()
    url = reverse("comments:new_suggestion", args=[handbook.slug, approved.pk])
    response = client_for(counterpart).post(
        url,
        {
            "exact": "evidence bag",
            "start": text.index("evidence bag"),
            "version": 1,
            "replacement": "bag",
            "body": "x",
            "visibility": "everyone",
            "category": "editorial",
        },
    )
    assert response.status_code == 403
    assert not Suggestion.objects.exists()


def test_accepting_twice_changes_nothing_the_second_time(suggestion, editor):
    client = client_for(editor)
    act(client, "accept", suggestion)
    act(client, "accept", suggestion)
    assert Chapter.objects.get().version == 2
    assert Decision.objects.filter(kind=Decision.Kind.ACCEPTED).count() == 1


def test_a_decision_on_another_handbooks_suggestion_is_404(suggestion, editor):
    # Serbia does not take part in the suggestion's handbook.
    serbian = factories.user(code="RS")
    assert act(client_for(serbian), "withdraw", suggestion).status_code == 404


def test_modify_and_accept_records_the_applied_text(suggestion, editor):
    act(client_for(editor), "modify", suggestion)
    decision = Decision.objects.get(kind=Decision.Kind.MODIFIED)
    assert (
        decision.applied_text == "serial number and model" and decision.reason == "Model, not make."
    )
    assert "serial number and model" in Chapter.objects.get().body


def test_conflicted_suggestion_is_resolved_against_the_current_text(suggestion, editor):
    chapter = suggestion.thread.chapter
    chapter.revise(
        body=BODY.replace("serial number", "serial no."), by=editor, reason="r", base_version=1
    )
    client = client_for(editor)
    response = act(client, "accept", suggestion)
    assert response.status_code == 302 and "decide" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "serial no." in page and "Resolve the conflict" in page
    client.post(response["Location"], {"replacement": "serial no. and make", "reason": "Merged."})
    assert "serial no. and make" in Chapter.objects.get().body


def test_chapter_page_query_count_is_the_same_with_1_and_100_suggestions(
    handbook, editor, counterpart, queries
):
    body = "\n\n".join(f"Paragraph {i} names the calibre number {i}." for i in range(110))
    chapter = in_round(factories.chapter(handbook, by=editor, body=body), editor)

    def add(i):
        suggest(chapter, f"calibre number {i}.", f"calibre no. {i}.", by=counterpart)

    add(0)
    client = client_for(editor)
    url = chapter.get_absolute_url()

    def count():
        return queries.get(client, url)

    cold_one, warm_one = count(), count()
    for i in range(1, 100):
        add(i)
    cold_many, warm_many = count(), count()
    queries.expect(warm_one, warm_many)
    queries.expect(cold_one, cold_many)
