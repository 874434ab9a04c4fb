"""Every thread has a type and the round it was made through; existing threads get theirs from
the data migration, and decided suggestions the disposition their decision is."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from comments.actions import accept, reject
from comments.models import Category, Decision, Disposition, NotAllowed, Thread
from tests import factories

migration = importlib.import_module(
    "comments.migrations.0005_types_rounds_and_dispositions_of_existing_threads"
)


def test_a_new_thread_has_its_type_its_round_and_no_disposition(chapter, counterpart):
    thread = factories.comment_thread(chapter, by=counterpart)
    thread.refresh_from_db()
    assert (thread.category, thread.essential) == (Category.GENERAL, False)
    assert thread.round == chapter.rounds.get()
    assert thread.disposition is None


def test_an_editors_thread_belongs_to_no_round(chapter, editor):
    thread = factories.comment_thread(chapter, by=editor)
    assert Thread.objects.get(pk=thread.pk).round_id is None


def test_only_a_technical_comment_can_be_essential(chapter, counterpart):
    from comments import anchoring
    from comments.actions import open_thread

    text = chapter.plain_text()
    at = text.index("serial number")
    anchor = anchoring.describe(text, at, at + 13)
    with pytest.raises(NotAllowed, match="technical"):
        open_thread(chapter, by=counterpart, anchor=anchor, body="x", essential=True)
    with pytest.raises(NotAllowed, match="type"):
        open_thread(chapter, by=counterpart, anchor=anchor, body="x", category="urgent")
    thread = open_thread(
        chapter, by=counterpart, anchor=anchor, body="x", category="technical", essential=True
    )
    assert Thread.objects.filter(pk=thread.pk, essential=True, category="technical").exists()
    assert not Thread.objects.exclude(pk=thread.pk).exists()


def test_a_suggestion_is_editorial_unless_its_proposer_says_otherwise(chapter, counterpart):
    found = factories.suggestion(
        chapter, by=counterpart, words="serial number", replacement="serial no."
    )
    assert Thread.objects.get(pk=found.thread_id).category == Category.EDITORIAL


def test_the_migration_types_threads_finds_their_round_and_turns_decisions_into_dispositions(
    chapter, counterpart, editor, clock
):
    comment = factories.comment_thread(chapter, by=counterpart)
    taken = factories.suggestion(
        chapter, by=counterpart, words="serial number", replacement="serial no."
    )
    refused = factories.suggestion(
        chapter, by=counterpart, words="Introductory", replacement="Opening"
    )
    accepted = accept(taken, by=editor, replacement="serial No.")
    rejected = reject(refused, by=editor, reason="Keep the term.")
    # As the rows were before the migration: no type, no round, no disposition.
    Disposition.objects.all().delete()
    Thread.objects.update(category="general", round=None, disposition=None)
    clock.advance(timedelta(days=3))

    migration.forwards(apps, None)

    by_pk = {t.pk: t for t in Thread.objects.all()}
    assert by_pk[comment.pk].category == "general"
    assert by_pk[taken.thread_id].category == by_pk[refused.thread_id].category == "editorial"
    assert {t.round_id for t in by_pk.values()} == {chapter.rounds.get().pk}
    modified = Disposition.objects.get(decision=accepted)
    assert (modified.kind, modified.applied_text, modified.by) == ("modified", "serial No.", editor)
    assert modified.at == Decision.objects.get(pk=accepted.pk).at
    not_accepted = Disposition.objects.get(decision=rejected)
    assert (not_accepted.kind, not_accepted.reason) == ("not_accepted", "Keep the term.")
    assert by_pk[taken.thread_id].disposition == modified
    assert by_pk[refused.thread_id].disposition == not_accepted
    assert by_pk[comment.pk].disposition is None


def test_a_disposition_is_never_changed_in_place(chapter, counterpart, editor):
    thread = factories.comment_thread(chapter, by=counterpart)
    record = Disposition.objects.create(thread=thread, kind="noted", reason="Fine.", by=editor)
    record.reason = "Changed."
    with pytest.raises(NotAllowed):
        record.save()
