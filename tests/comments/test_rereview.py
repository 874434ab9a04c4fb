"""Re-review of what changed: the version a jurisdiction last reviewed (the rule, edge by edge),
the page of changed passages with the jurisdiction's threads and their dispositions beside
them, who may open it, and the chapter page's banner."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from chapters.models import Chapter, SignOff
from comments.models import Disposition, Thread, Vote
from comments.rereview import last_reviewed_version
from tests import factories
from tests.conftest import client_for

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

BODY = """Introductory text of the chapter.

## Legal basis

The Firearms Protocol obliges States to mark every firearm at manufacture.

Marking is checked at the border crossing.

Records are kept by the border police.

## Practice

Officers record the serial number, the make and the calibre.
"""


def revise(chap: Chapter, body: str, *, by) -> Chapter:
    chap.refresh_from_db()
    chap.revise(body=body, by=by, reason="After the round", base_version=chap.version)
    chap.refresh_from_db()
    return chap


@pytest.fixture
def story(handbook, editor, counterpart, bosnian, clock):
    """Chapter at version 1 (T0); round "First reading" (AL, BA) from T0 to T0+10d, in which
    Albania comments on "serial number" and Bosnia on "make" (day 1), Bosnia signs off (day 3)
    and the editor revises to version 2 (day 5); version 3 after the round (day 12); round
    "Second reading" (AL, BA) open from day 13. Now: day 14."""
    clock.set_to(T0)
    chap = factories.chapter(handbook, by=editor, body=BODY, in_round=False)
    first = factories.review_round(
        handbook, [chap], ("AL", "BA"), T0, T0 + 10 * DAY, by=editor, name="First reading"
    )
    clock.set_to(T0 + DAY)
    albanian = factories.comment_thread(chap, by=counterpart, words="serial number")
    bosnian_thread = factories.comment_thread(chap, by=bosnian, words="make")
    clock.set_to(T0 + 3 * DAY)
    factories.sign_off(first, chap, by=bosnian, verdict="with_comments")
    clock.set_to(T0 + 5 * DAY)
    revise(chap, BODY.replace("at the border crossing", "at every border crossing"), by=editor)
    clock.set_to(T0 + 12 * DAY)
    revise(
        chap,
        BODY.replace("at the border crossing", "at every border crossing").replace(
            "the make and the calibre", "the make, the model and the calibre"
        ),
        by=editor,
    )
    second = factories.review_round(
        handbook, [chap], ("AL", "BA"), T0 + 13 * DAY, T0 + 30 * DAY, by=editor, name="Second"
    )
    clock.set_to(T0 + 14 * DAY)
    return {
        "chapter": chap,
        "first": first,
        "second": second,
        "albanian": albanian,
        "bosnian": bosnian_thread,
    }


# --- The rule


def test_a_jurisdiction_that_never_reviewed_has_no_version(story):
    chap = story["chapter"]
    assert last_reviewed_version(chap, factories.jurisdiction("XK")) is None  # not invited


def test_before_any_round_closed_there_is_no_version(handbook, editor, counterpart, clock):
    clock.set_to(T0)
    chap = factories.chapter(handbook, by=editor, body=BODY, in_round=False)
    factories.review_round(handbook, [chap], ("AL",), T0, T0 + 10 * DAY, by=editor)
    clock.set_to(T0 + 2 * DAY)
    assert last_reviewed_version(chap, counterpart.jurisdiction) is None  # still open


def test_the_version_at_the_close_of_the_round(story, counterpart):
    reviewed = last_reviewed_version(story["chapter"], counterpart.jurisdiction)
    assert reviewed is not None
    # Revised to 2 during the round, to 3 after it: Albania reviewed 2.
    assert (reviewed.version, reviewed.round, reviewed.at) == (2, story["first"], T0 + 10 * DAY)


def test_a_sign_off_fixes_the_version_at_its_moment(story, bosnian):
    reviewed = last_reviewed_version(story["chapter"], bosnian.jurisdiction_id)
    assert reviewed is not None and (reviewed.version, reviewed.at) == (1, T0 + 3 * DAY)


def test_a_withdrawn_sign_off_does_not_count(story, bosnian):
    SignOff.objects.filter(round=story["first"]).update(withdrawn_at=T0 + 4 * DAY)
    reviewed = last_reviewed_version(story["chapter"], bosnian.jurisdiction_id)
    assert reviewed is not None and reviewed.version == 2


def test_a_coordinators_vote_fixes_the_version_at_its_moment(story, coordinator, clock):
    clock.set_to(T0 + 4 * DAY)
    vote = Vote.objects.create(
        round=story["first"],
        chapter=story["chapter"],
        jurisdiction=coordinator.jurisdiction,
        value="approve_with_comments",
        version=1,
        by=coordinator,
    )
    clock.set_to(T0 + 14 * DAY)
    reviewed = last_reviewed_version(story["chapter"], coordinator.jurisdiction)
    assert reviewed is not None and (reviewed.version, reviewed.at) == (1, T0 + 4 * DAY)
    # A superseded vote no longer says anything: the round's close does again.
    Vote.objects.filter(pk=vote.pk).update(superseded_at=T0 + 6 * DAY)
    assert last_reviewed_version(story["chapter"], coordinator.jurisdiction).version == 2


def test_of_two_earlier_rounds_the_latest_counts(story, handbook, editor, counterpart, clock):
    chap = story["chapter"]
    # The second round closes early (day 20); version 4 comes after it.
    clock.set_to(T0 + 16 * DAY)
    revise(chap, chap.body + "\nA last paragraph.\n", by=editor)
    clock.set_to(T0 + 20 * DAY)
    from chapters.models import Round

    Round.objects.filter(pk=story["second"].pk).update(closes_at=T0 + 20 * DAY)
    clock.set_to(T0 + 22 * DAY)
    revise(chap, chap.body + "\nOne more.\n", by=editor)
    reviewed = last_reviewed_version(chap, counterpart.jurisdiction)
    assert reviewed is not None
    assert (reviewed.round, reviewed.version) == (Round.objects.get(pk=story["second"].pk), 4)
    # Asked as of day 15, before the second closed, the first round counts.
    assert last_reviewed_version(chap, counterpart.jurisdiction, at=T0 + 15 * DAY).version == 2


def test_a_chapter_unchanged_since_has_the_same_version(handbook, editor, counterpart, clock):
    clock.set_to(T0)
    chap = factories.chapter(handbook, by=editor, body=BODY, in_round=False)
    factories.review_round(handbook, [chap], ("AL",), T0, T0 + 10 * DAY, by=editor)
    clock.set_to(T0 + 11 * DAY)
    reviewed = last_reviewed_version(chap, counterpart.jurisdiction)
    assert reviewed is not None and reviewed.version == chap.version == 1


def test_the_rule_costs_two_queries(story, counterpart, queries):
    with queries() as run:
        last_reviewed_version(story["chapter"], counterpart.jurisdiction_id)
    queries.expect(run, equal=2)


# --- The page


def url(chap, **params):
    base = reverse("comments:since_review", args=[chap.handbook.slug, chap.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def dispose(thread, *, kind, reason, by):
    disposition = Disposition.objects.create(
        thread=thread, kind=kind, reason=reason, by=by, version=thread.version
    )
    Thread.objects.filter(pk=thread.pk).update(disposition=disposition)
    return disposition


def test_the_page_shows_the_changes_and_the_threads_beside_them(story, counterpart, editor):
    chap = story["chapter"]
    dispose(story["albanian"], kind="not_accepted", reason="Stamped on the frame only.", by=editor)
    dispose(story["bosnian"], kind="accepted", reason="Bosnian observation.", by=editor)
    response = client_for(counterpart).get(url(chap))
    assert response.status_code == 200
    page = response.content.decode()
    # Version 2 (the close of the first round) against version 3: only the Practice paragraph.
    assert "Version 2, which Albania reviewed in “First reading”, → version 3" in page
    assert "1 changed passage" in page
    assert "the make<ins>, the model</ins> and the calibre" in page
    assert "every border crossing" not in page  # changed before Albania's version: not shown
    assert "… 6 unchanged paragraphs …" in page
    # Albania's thread is beside its passage, with its disposition; Bosnia's is not shown.
    passage = page[page.index('class="passage"') : page.index("</section>")]
    assert "“serial number”" in passage and "Not accepted" in passage
    assert "Stamped on the frame only." in passage
    assert "Bosnian observation." not in page
    # A link back to the chapter at the passage's section.
    assert f'href="{chap.get_absolute_url()}#practice"' in passage


def test_a_passage_with_deleted_words_and_a_thread_without_disposition(
    story, bosnian, editor, clock
):
    chap = story["chapter"]
    revise(chap, chap.body.replace("Records are kept by the border police.\n\n", ""), by=editor)
    page = client_for(bosnian).get(url(chap)).content.decode()
    # Bosnia signed off version 1: the border crossing change counts for them, and the
    # deleted paragraph; their thread on "make" has no disposition yet.
    assert "Version 1, which" in page and "→ version 4" in page
    assert "checked at <del>the</del><ins>every</ins> border crossing" in page
    assert "Records are kept by the border police</del>" in page
    assert "“make”" in page and "No disposition yet." in page
    assert "serial number”" not in page  # Albania's


def test_a_thread_on_unchanged_text_is_listed_apart(story, counterpart, editor):
    chap = Chapter.objects.get(pk=story["chapter"].pk)
    other = factories.comment_thread(chap, by=counterpart, words="Firearms Protocol")
    Thread.objects.filter(pk=other.pk).update(version=2)
    page = client_for(counterpart).get(url(chap)).content.decode()
    apart = page[page.index('id="elsewhere-title"') :]
    assert "“Firearms Protocol”" in apart


def test_unchanged_since_and_never_reviewed_say_so(story, handbook, editor, clock):
    chap = story["chapter"]
    xk = factories.user(code="XK", name="Kosovo Counterpart")
    assert "has not reviewed an earlier version" in (client_for(xk).get(url(chap)).content.decode())
    fresh = factories.chapter(handbook, by=editor, body=BODY, in_round=False)
    factories.review_round(
        handbook, [fresh], ("AL",), T0 + 14 * DAY, T0 + 15 * DAY, by=editor, name="Quick"
    )
    clock.set_to(T0 + 16 * DAY)
    page = client_for(editor).get(url(fresh, jurisdiction="AL")).content.decode()
    assert "has not changed since Albania reviewed version 1" in page


def test_an_editor_chooses_whose_review(story, editor):
    chap = story["chapter"]
    client = client_for(editor)
    chooser = client.get(url(chap)).content.decode()
    assert "?jurisdiction=AL" in chooser and "?jurisdiction=BA" in chooser
    albania = client.get(url(chap, jurisdiction="AL")).content.decode()
    assert "“serial number”" in albania and "“make”" not in albania
    bosnia = client.get(url(chap, jurisdiction="BA")).content.decode()
    assert "“make”" in bosnia and "Version 1, which" in bosnia


@pytest.mark.parametrize(
    ("role", "jurisdiction", "status"),
    [
        ("anonymous", None, 302),
        ("outsider", None, 404),
        ("outsider", "RS", 404),
        ("counterpart", None, 200),
        ("counterpart", "AL", 200),
        ("counterpart", "BA", 404),
        ("bosnian", None, 200),
        ("bosnian", "AL", 404),
        ("coordinator", None, 200),
        ("coordinator", "BA", 404),
        ("editor", None, 200),
        ("editor", "AL", 200),
        ("editor", "BA", 200),
        ("editor", "RS", 404),  # not taking part in the handbook
        ("editor", "ZZ", 404),  # no such jurisdiction
        ("administrator", "BA", 200),
        ("administrator", "nonsense%00", 404),  # a NUL byte: PostgreSQL would refuse it
        ("editor", "A" * 40, 404),
    ],
)
def test_who_may_open_whose_review(story, request, role, jurisdiction, status):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    params = {} if jurisdiction is None else {"jurisdiction": jurisdiction}
    response = client_for(person).get(url(story["chapter"], **params))
    assert response.status_code == status
    if status == 200 and role in ("counterpart", "coordinator"):
        assert "“serial number”" in response.content.decode()


def test_a_chapter_id_that_is_not_a_number_is_not_found(story, counterpart):
    slug = story["chapter"].handbook.slug
    assert client_for(counterpart).get(f"/h/{slug}/c/one/since-review/").status_code == 404
    assert client_for(counterpart).get(f"/h/{slug}/c/99999/since-review/").status_code == 404


# --- The banner on the chapter page


def test_the_chapter_page_tells_a_counterpart_what_changed_since(story, counterpart, editor):
    chap = story["chapter"]
    page = client_for(counterpart).get(chap.get_absolute_url()).content.decode()
    assert "Changed since your last review (version 2):" in page
    assert f'href="{url(chap)}"' in page
    assert "Changed since your last review" not in (
        client_for(editor).get(chap.get_absolute_url()).content.decode()
    )


def test_no_banner_when_never_reviewed_or_unchanged(handbook, editor, counterpart, clock):
    clock.set_to(T0)
    chap = factories.chapter(handbook, by=editor, body=BODY, in_round=False)
    factories.review_round(handbook, [chap], ("AL",), T0, T0 + 10 * DAY, by=editor)
    factories.review_round(handbook, [chap], ("AL",), T0 + 11 * DAY, T0 + 20 * DAY, by=editor)
    clock.set_to(T0 + 2 * DAY)
    assert (
        "Changed since" not in client_for(counterpart).get(chap.get_absolute_url()).content.decode()
    )
    clock.set_to(T0 + 12 * DAY)  # the first round closed; nothing changed since
    assert (
        "Changed since" not in client_for(counterpart).get(chap.get_absolute_url()).content.decode()
    )


def test_the_banner_costs_the_same_however_many_threads(story, counterpart, queries):
    chap = Chapter.objects.get(pk=story["chapter"].pk)  # its review windows not yet read
    client = client_for(counterpart)
    page = chap.get_absolute_url()
    queries.get(client, page)
    one = queries.get(client, page)
    for n in range(30):
        factories.comment_thread(chap, by=counterpart, words="Firearms Protocol", body=f"#{n}")
    queries.get(client, page)
    many = queries.get(client, page)
    assert "Changed since your last review" in many.response.content.decode()
    # The chapter page's budget (tests/comments/test_views.py), plus, a round of the
    # counterpart's having closed, the rule's two queries: the round, the version then.
    queries.expect(one, many)
