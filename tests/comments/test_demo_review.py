"""The demo loader's review history: a newcomer finds a review in progress, made through the
domain's actions (comments/demo.py), and the pages that show it work for editors and
counterparts."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from chapters.models import Chapter, Edition, Handbook, SignOff, Status, plain_text
from comments.demo import REVIEWED
from comments.models import (
    Decision,
    DispositionKind,
    Kind,
    SuggestionStatus,
    Thread,
    ThreadStatus,
    Visibility,
    Vote,
)
from handbook_review.people.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> Handbook:
    call_command("load_demo", password="demo-pass-for-tests", stdout=StringIO())
    return Handbook.objects.get(slug="firearms-western-balkans")


def test_the_demo_chapter_holds_a_review_of_every_kind(demo):
    chapter = demo.chapters.get(number=REVIEWED)
    threads = list(
        Thread.objects.filter(chapter=chapter).select_related("suggestion", "author__jurisdiction")
    )
    assert len(threads) >= 10
    comments = [t for t in threads if t.kind == Kind.COMMENT]
    suggestions = [t.suggestion for t in threads if t.kind == Kind.SUGGESTION]

    assert any(t.status == ThreadStatus.OPEN and not t.is_orphaned for t in comments)
    assert any(t.comments.count() >= 3 for t in comments)  # a discussion, with replies
    assert {s.status for s in suggestions} >= {
        SuggestionStatus.OPEN,
        SuggestionStatus.ACCEPTED,
        SuggestionStatus.REJECTED,
        SuggestionStatus.CONFLICTED,
    }
    kinds = set(Decision.objects.filter(suggestion__in=suggestions).values_list("kind", flat=True))
    assert kinds >= {Decision.Kind.ACCEPTED, Decision.Kind.MODIFIED, Decision.Kind.REJECTED}
    assert {Decision.Kind.CONFLICTED} <= kinds
    # The orphan is a comment whose words a later version of the chapter removed.
    [orphan] = [t for t in threads if t.is_orphaned]
    assert orphan.kind == Kind.COMMENT and orphan.exact not in chapter.plain_text()
    assert orphan.version < chapter.version
    # Every quote was real words of the chapter when it was made.
    for thread in threads:
        made_on = chapter.history.get(version=thread.version)
        assert thread.exact in plain_text(chapter.pk, made_on.version, chapter.number, made_on.body)
    # Accepted suggestions made versions credited to their proposers.
    reasons = list(chapter.history.values_list("history_change_reason", flat=True))
    assert sum("Accepted suggestion" in (r or "") for r in reasons) >= 3
    # The six jurisdictions speak, and an editors-only note is among the threads.
    speakers = {
        c.author_jurisdiction.code
        for t in threads
        for c in t.comments.select_related("author_jurisdiction")
        if c.author_jurisdiction.kind == "country"
    }
    assert speakers == {"AL", "BA", "XK", "ME", "MK", "RS"}
    assert any(t.visibility == Visibility.EDITORS for t in threads)


def test_the_demo_has_a_closed_round_sign_offs_votes_and_a_published_edition(demo):
    rounds = list(demo.rounds.order_by("opens_at"))
    assert [r.is_open() for r in rounds] == [False, True]
    past, workshop = rounds
    assert SignOff.objects.filter(round=past).count() >= 3
    assert SignOff.objects.filter(round=workshop).exists()
    assert Vote.objects.filter(round=workshop, jurisdiction__code="AL").exists()
    # The past round's comments were disposed of, one of them answered, before the approval.
    disposed = Thread.objects.filter(round=past, disposition__isnull=False)
    assert disposed.count() == Thread.objects.filter(round=past).count() >= 2
    assert disposed.filter(disposition__kind=DispositionKind.NOTED).exists()
    [edition] = Edition.objects.filter(handbook=demo)
    assert edition.label == "1.0"
    assert edition.chapters.count() == 9
    statuses = dict(demo.chapters.values_list("number", "status"))
    assert statuses[1] == Status.APPROVED and statuses[2] == Status.CONSOLIDATION
    assert statuses[REVIEWED] == Status.IN_REVIEW and statuses[11] == Status.DRAFT
    assert set(workshop.chapters.all()) == set(demo.chapters.filter(status=Status.IN_REVIEW))


def test_loading_the_demo_twice_adds_no_second_review(demo):
    counts = (Thread.objects.count(), Chapter.objects.count(), Edition.objects.count())
    again = StringIO()
    call_command("load_demo", password="demo-pass-for-tests", stdout=again)
    assert "already loaded" in again.getvalue()
    assert (Thread.objects.count(), Chapter.objects.count(), Edition.objects.count()) == counts


@pytest.mark.parametrize("email", ["editor.seesac@example.org", "customs.rs@example.org"])
def test_the_review_pages_show_the_demo_to_editors_and_counterparts(demo, email):
    person = User.objects.get(email=email)
    is_editor = email.startswith("editor.")
    client = client_for(person)
    chapter = demo.chapters.get(number=REVIEWED)
    page = client.get(chapter.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Printed components can be difficult to identify" in text
    editors_note = "check with the legal adviser"
    assert (editors_note in text) == is_editor
    my_review = client.get(reverse("comments:my_review", args=[demo.slug]))
    assert my_review.status_code == 200
    assert client.get(reverse("handbook", args=[demo.slug])).status_code == 200
    # The dashboard is the editors' (tests/test_url_roles.py): a counterpart is refused it.
    dashboard = client.get(reverse("comments:dashboard", args=[demo.slug]))
    assert dashboard.status_code == (200 if is_editor else 403)
