"""Two editors at once, on two real PostgreSQL connections: nothing lost, nothing doubled."""

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from chapters.editions import CannotPublish, publish, request_export
from chapters.models import Chapter, Edition, Export, Status, Transition
from chapters.review import IllegalTransition, transition
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two real connections need PostgreSQL")


def at_once(*jobs: Callable[[], Any]) -> tuple[list[Any], list[Exception]]:
    """Run the jobs in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []
    errors: list[Exception] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as error:  # collected for the assertions
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results, errors


@pytest.fixture
def approved(handbook, editor):
    return factories.chapter(handbook, by=editor, status=Status.APPROVED, in_round=False)


def test_two_editors_publishing_the_same_label_make_one_edition(
    handbook, editor, other_editor, approved
):
    results, errors = at_once(
        lambda: publish(handbook=handbook, label="1.0", date=DAY, release_notes="A", by=editor),
        lambda: publish(
            handbook=handbook, label="1.0", date=DAY, release_notes="B", by=other_editor
        ),
    )
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], CannotPublish)
    assert "already has an edition with this label" in str(errors[0])
    assert Edition.objects.count() == 1
    assert Edition.objects.get().chapters.count() == 1


def test_two_editions_published_at_once_chain_in_order(handbook, editor, other_editor, approved):
    _results, errors = at_once(
        lambda: publish(handbook=handbook, label="1.0", date=DAY, release_notes="", by=editor),
        lambda: publish(
            handbook=handbook, label="1.1", date=DAY, release_notes="", by=other_editor
        ),
    )
    assert not errors
    first, second = Edition.objects.order_by("published_at", "pk")
    assert first.previous is None
    assert second.previous == first


def test_two_editors_moving_one_chapter_at_once_make_one_step(handbook, editor, other_editor):
    chapter = factories.chapter(handbook, by=editor, status=Status.CONSOLIDATION, in_round=False)
    results, errors = at_once(
        lambda: transition(Chapter.objects.get(pk=chapter.pk), to=Status.APPROVED, by=editor),
        lambda: transition(
            Chapter.objects.get(pk=chapter.pk), to=Status.IN_REVIEW, by=other_editor
        ),
    )
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], IllegalTransition)
    step = Transition.objects.get(chapter=chapter)
    assert Chapter.objects.get(pk=chapter.pk).status == step.target
    assert step.source == Status.CONSOLIDATION


def test_two_editors_asking_for_one_export_at_once_queue_it_once(
    handbook, editor, other_editor, approved, settings
):
    # The database queue: no worker runs here, so both requests meet the same queued export.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    edition = publish(handbook=handbook, label="1.0", date=DAY, release_notes="", by=editor)
    results, errors = at_once(
        lambda: request_export(handbook=handbook, edition=edition, format="pdf", by=editor),
        lambda: request_export(handbook=handbook, edition=edition, format="pdf", by=other_editor),
    )
    assert not errors
    assert Export.objects.filter(edition=edition).count() == 1
    assert sorted(queued for _export, queued in results) == [False, True]
