"""Suggested edits: propose, accept (merging into a moved-on text), conflicts, decisions."""

import threading

import pytest
from django.db import connection, connections

from chapters.models import Chapter
from comments import anchoring
from comments.actions import accept, decide_many, open_thread, reject, resolve_conflict, withdraw
from comments.models import Conflict, Decision, NotAllowed, Suggestion, SuggestionStatus
from tests import factories

BODY = (
    "Officers record the serial number of every firearm.\n\n"
    "The firearm is then sealed in an evidence bag.\n\n"
    "A receipt is given to the person concerned.\n"
)


@pytest.fixture
def text_chapter(handbook, editor):
    return factories.chapter(handbook, by=editor, body=BODY)


def suggest(chapter, words, replacement, *, by, rationale="Clearer."):
    return factories.suggestion(
        chapter, by=by, words=words, replacement=replacement, rationale=rationale
    )


def test_accepting_makes_one_version_credited_to_the_proposer(text_chapter, editor, counterpart):
    suggestion = suggest(text_chapter, "serial number", "serial number and make", by=counterpart)
    decision = accept(suggestion, by=editor)
    text_chapter.refresh_from_db()
    assert "serial number and make of every firearm" in text_chapter.body
    assert text_chapter.version == 2
    latest = text_chapter.history.get(version=2)
    assert latest.history_change_reason == (
        f"Accepted suggestion #{suggestion.number} by {counterpart.name} (Albania, Border police)"
    )
    assert latest.credited_to == counterpart and latest.history_user == editor
    assert decision.kind == Decision.Kind.ACCEPTED and decision.version == 2
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED


def test_a_comment_elsewhere_stays_on_its_words_after_an_accept(text_chapter, editor, counterpart):
    text = text_chapter.plain_text()
    at = text.index("evidence bag")
    thread = open_thread(
        text_chapter, by=counterpart, anchor=anchoring.describe(text, at, at + 12), body="?"
    )
    accept(
        suggest(text_chapter, "Officers record", "Every officer records", by=counterpart), by=editor
    )
    thread.refresh_from_db()
    text_chapter.refresh_from_db()
    assert text_chapter.plain_text()[thread.start : thread.end] == "evidence bag"


def test_a_suggestion_on_an_older_version_merges_when_its_words_are_unchanged(
    text_chapter, editor, counterpart
):
    suggestion = suggest(text_chapter, "evidence bag", "sealed evidence bag", by=counterpart)
    text_chapter.revise(
        body=BODY.replace("A receipt", "A signed receipt"), by=editor, reason="r", base_version=1
    )
    accept(suggestion, by=editor)
    text_chapter.refresh_from_db()
    assert "sealed evidence bag" in text_chapter.body and "A signed receipt" in text_chapter.body


def test_a_changed_passage_makes_the_suggestion_conflicted_and_changes_nothing(
    text_chapter, editor, counterpart
):
    suggestion = suggest(text_chapter, "evidence bag", "sealed evidence bag", by=counterpart)
    text_chapter.revise(
        body=BODY.replace("evidence bag", "tamper-proof bag"), by=editor, reason="r", base_version=1
    )
    with pytest.raises(Conflict) as caught:
        accept(suggestion, by=editor)
    assert caught.value.result.current_excerpt.strip() == "tamper-proof bag"
    text_chapter.refresh_from_db()
    assert text_chapter.version == 2
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONFLICTED
    # The editor resolves it by writing the wording against the current text.
    resolve_conflict(suggestion, by=editor, replacement="sealed tamper-proof bag")
    text_chapter.refresh_from_db()
    assert "sealed tamper-proof bag" in text_chapter.body and text_chapter.version == 3


def test_overlapping_suggestions_conflict_after_one_is_accepted(text_chapter, editor, counterpart):
    first = suggest(text_chapter, "serial number", "serial no.", by=counterpart)
    other = factories.user(code="BA")
    second = suggest(text_chapter, "the serial number of", "the number of", by=other)
    accept(first, by=editor)
    second.refresh_from_db()
    assert second.status == SuggestionStatus.CONFLICTED
    with pytest.raises(Conflict):
        accept(second, by=editor)
    text_chapter.refresh_from_db()
    assert "serial no." in text_chapter.body and text_chapter.version == 2


def test_decisions_are_final_and_kept(text_chapter, editor, counterpart):
    suggestion = suggest(text_chapter, "serial number", "number", by=counterpart)
    decision = reject(suggestion, by=editor, reason="The serial number is the legal term.")
    with pytest.raises(NotAllowed):
        accept(suggestion, by=editor)
    with pytest.raises(NotAllowed):
        decision.reason = "changed"
        decision.save()
    assert Decision.objects.get(pk=decision.pk).reason == "The serial number is the legal term."


def test_only_editors_decide_and_only_the_proposer_withdraws(text_chapter, editor, counterpart):
    suggestion = suggest(text_chapter, "serial number", "number", by=counterpart)
    with pytest.raises(NotAllowed):
        accept(suggestion, by=counterpart)
    with pytest.raises(NotAllowed):
        reject(suggestion, by=editor, reason=" ")
    with pytest.raises(NotAllowed):
        withdraw(suggestion, by=editor)
    withdraw(suggestion, by=counterpart)
    assert Suggestion.objects.get().status == SuggestionStatus.WITHDRAWN
    assert Chapter.objects.get().version == 1


def test_identical_replacement_is_refused(text_chapter, counterpart):
    with pytest.raises(NotAllowed):
        suggest(text_chapter, "serial number", "serial number", by=counterpart)
    assert not Suggestion.objects.exists()


def test_bulk_accept_runs_in_document_order_and_stops_at_the_first_conflict(
    text_chapter, editor, counterpart
):
    late = suggest(text_chapter, "receipt", "written receipt", by=counterpart)
    early = suggest(text_chapter, "Officers", "Customs officers", by=counterpart)
    middle = suggest(text_chapter, "evidence bag", "bag", by=counterpart)
    text_chapter.revise(
        body=text_chapter.body.replace("A receipt", "A form"), by=editor, reason="r", base_version=1
    )
    report = decide_many([late, middle, early], by=editor, action="accept")
    assert [s.pk for s in report.decided] == [early.pk, middle.pk]
    assert report.stopped_at.pk == late.pk and "changed" in report.error
    text_chapter.refresh_from_db()
    assert (
        text_chapter.body.startswith("Customs officers") and "evidence bag" not in text_chapter.body
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_editors_accepting_at_once_both_land(handbook, editor, other_editor, counterpart):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two real connections need PostgreSQL")
    chapter = factories.chapter(handbook, by=editor, body=BODY)
    first = suggest(chapter, "serial number", "serial number and make", by=counterpart)
    second = suggest(chapter, "A receipt", "A written receipt", by=counterpart)
    barrier = threading.Barrier(2)
    errors = []

    def decide(suggestion, person):
        try:
            barrier.wait(timeout=10)
            accept(suggestion, by=person)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=decide, args=(first, editor)),
        threading.Thread(target=decide, args=(second, other_editor)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors
    chapter.refresh_from_db()
    assert chapter.version == 3
    assert "serial number and make" in chapter.body and "A written receipt" in chapter.body
    assert sorted(chapter.history.values_list("version", flat=True)) == [1, 2, 3]
