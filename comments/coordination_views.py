"""The coordinator's page: for each chapter of the open rounds inviting their jurisdiction, its
officers' threads to endorse, hold back, merge or undo, and the jurisdiction's vote with its
history. The forms post to `set_position` and `vote`, which answer with the page again (400 and
the error, what was typed kept) when the action refuses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Min, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook, Round
from chapters.views import get_handbook
from comments import actions, policies
from comments.actions.ballots import NOT_COUNTED, UNCONSOLIDATED
from comments.models import Comment, NotAllowed, Thread, Vote, VoteValue
from comments.reports.common import thread_url
from handbook_review import clock
from handbook_review.http import AuthedRequest


@dataclass
class ChapterBallot:
    round: Round
    chapter: Chapter
    threads: list[Thread]
    essentials: list[Thread]  # what a disapproval may name
    votes: list[Vote]  # every vote of the jurisdiction here, oldest first
    action: str = ""
    chosen: dict[str, Any] = field(default_factory=dict)  # the vote form as typed, on an error

    @property
    def standing(self) -> Vote | None:
        return next((v for v in reversed(self.votes) if v.superseded_at is None), None)

    @property
    def key(self) -> str:
        return f"{self.round.pk}-{self.chapter.pk}"


def get_coordinators_handbook(request: AuthedRequest, slug: str) -> Handbook:
    """404 for a handbook the user cannot see; 403 unless they coordinate a jurisdiction."""
    book = get_handbook(request, slug)
    if not policies.ballots.can(request.user, "coordinate") or request.user.jurisdiction_id is None:
        raise PermissionDenied(_("Only a jurisdiction's coordinator has this page."))
    return book


def ballots_of(book: Handbook, request: AuthedRequest) -> list[ChapterBallot]:
    """Every (open round, chapter) of the user's jurisdiction with its threads and votes.

    Five queries whatever the number of rounds, chapters, threads and votes: the rounds, their
    chapters, the threads, their first comments, the votes with their essential comments.
    """
    user = request.user
    now = clock.now()
    rounds = list(
        chapter_policies.rounds.visible_to(user)
        .open_at(now)
        .filter(handbook=book, jurisdictions=user.jurisdiction_id)
        .order_by("closes_at", "pk")
    )
    links = list(
        Round.chapters.through.objects.filter(
            round__in=[r.pk for r in rounds],
            chapter__in=chapter_policies.chapters.visible_to(user),
        )
        .select_related("chapter__handbook")
        .order_by("chapter__number")
    )
    chapter_ids = {link.chapter_id for link in links}
    threads = list(
        policies.threads.visible_to(user)
        .filter(chapter__in=chapter_ids, author_jurisdiction=user.jurisdiction_id)
        .select_related("author", "chapter__handbook")
        .order_by("chapter", "start", "pk")
    )
    firsts = {
        c.thread_id: c
        for c in Comment.objects.filter(
            pk__in=Comment.objects.filter(thread__in=[t.pk for t in threads])
            .values("thread")
            .annotate(first=Min("pk"))
            .values("first")
        )
    }
    per_chapter: dict[int, list[Thread]] = defaultdict(list)
    for thread in threads:
        thread.first = firsts.get(thread.pk)  # type: ignore[attr-defined]
        thread.url = thread_url(book, thread.chapter_id, thread.pk)  # type: ignore[attr-defined]
        thread.consolidated = thread.position not in UNCONSOLIDATED  # type: ignore[attr-defined]
        per_chapter[thread.chapter_id].append(thread)
    for thread in threads:
        # Where it may be merged into: another counted thread of the same chapter.
        thread.merge_targets = [  # type: ignore[attr-defined]
            other
            for other in per_chapter[thread.chapter_id]
            if other.pk != thread.pk and other.position not in NOT_COUNTED
        ]
    votes: dict[tuple[int, int], list[Vote]] = defaultdict(list)
    for vote in (
        Vote.objects.filter(
            round__in=[r.pk for r in rounds],
            chapter__in=chapter_ids,
            jurisdiction=user.jurisdiction_id,
        )
        .select_related("by")
        .prefetch_related(Prefetch("essentials", queryset=Thread.objects.only("pk", "exact")))
        .order_by("at", "pk")
    ):
        votes[vote.round_id, vote.chapter_id].append(vote)
    by_round = {r.pk: r for r in rounds}
    return [
        ChapterBallot(
            round=by_round[link.round_id],
            chapter=link.chapter,
            threads=per_chapter.get(link.chapter_id, []),
            essentials=[
                t
                for t in per_chapter.get(link.chapter_id, [])
                if t.essential and t.position not in NOT_COUNTED
            ],
            votes=votes.get((link.round_id, link.chapter_id), []),
            action=reverse("comments:vote", args=[book.slug, link.round_id, link.chapter_id]),
        )
        for link in links
    ]


def coordination_page(
    request: AuthedRequest,
    book: Handbook,
    *,
    error: str = "",
    failed: str = "",
    chosen: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    ballots = ballots_of(book, request)
    for ballot in ballots:
        if chosen is not None and ballot.key == failed:
            ballot.chosen = chosen
        elif (standing := ballot.standing) is not None:
            # The form starts from the standing vote, the comments it names ticked.
            ballot.chosen = {
                "value": standing.value,
                "essentials": [str(t.pk) for t in standing.essentials.all()],
                "reason": "",
            }
    return render(
        request,
        "comments/coordination.html",
        {
            "handbook": book,
            "ballots": ballots,
            "jurisdiction": request.user.jurisdiction,
            "vote_values": VoteValue.choices,
            "error": error,
            "failed": failed,
            "chosen": chosen or {},
        },
        status=status,
    )


def coordination(request: AuthedRequest, slug: str) -> HttpResponse:
    """The coordinator's page for one handbook."""
    return coordination_page(request, get_coordinators_handbook(request, slug))


POSITION_ACTIONS = {"endorse", "hold_back", "merge", "undo"}


@require_POST
def set_position(request: AuthedRequest, pk: int) -> HttpResponse:
    """Endorse, hold back, merge or undo one thread (`action` in the form)."""
    thread = get_object_or_404(
        policies.threads.visible_to(request.user).select_related("chapter__handbook"), pk=pk
    )
    if not policies.ballots.may_coordinate(request.user, thread):
        raise PermissionDenied(_("Only a coordinator of the comment's jurisdiction may do this."))
    book = thread.chapter.handbook
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action == "endorse":
            actions.endorse(thread, by=request.user)
        elif action == "hold_back":
            actions.hold_back(thread, by=request.user, reason=reason)
        elif action == "merge":
            into_pk = request.POST.get("into", "")
            into = (
                policies.threads.visible_to(request.user).filter(pk=int(into_pk)).first()
                if into_pk.isdigit()
                else None
            )
            if into is None:
                raise NotAllowed(_("Choose the comment to merge it into."))
            actions.merge(thread, into=into, by=request.user, reason=reason)
        elif action == "undo":
            actions.reopen_position(thread, by=request.user)
        else:
            raise NotAllowed(_("Choose endorse, hold back, merge or undo."))
    except NotAllowed as error:
        return coordination_page(
            request,
            book,
            error=str(error),
            failed=f"thread-{thread.pk}",
            chosen={"reason": reason, "thread": thread.pk},
            status=400,
        )
    done = {
        "endorse": _("Comment #%(n)s endorsed as %(j)s's position."),
        "hold_back": _("Comment #%(n)s held back as internal; its author is told."),
        "merge": _("Comment #%(n)s merged; its author is told."),
        "undo": _("Comment #%(n)s is open for consolidation again."),
    }[action]
    messages.success(request, done % {"n": thread.pk, "j": request.user.jurisdiction})
    return redirect(f"{reverse('comments:coordination', args=[book.slug])}#thread-{thread.pk}")


@require_POST
def vote(request: AuthedRequest, slug: str, pk: int, chapter_pk: int) -> HttpResponse:
    """Cast or change the jurisdiction's vote on a chapter of a round."""
    book = get_coordinators_handbook(request, slug)
    found = get_object_or_404(
        chapter_policies.rounds.visible_to(request.user), handbook=book, pk=pk
    )
    chapter = get_object_or_404(
        chapter_policies.chapters.visible_to(request.user), handbook=book, pk=chapter_pk
    )
    if not policies.ballots.can(request.user, "vote"):
        raise PermissionDenied(_("Only a coordinator casts the jurisdiction's vote."))
    value = request.POST.get("value", "")
    essentials = [v for v in request.POST.getlist("essentials") if v.isdigit()]
    reason = request.POST.get("reason", "")
    try:
        actions.cast_vote(
            found,
            chapter,
            by=request.user,
            value=value,
            essentials=[int(v) for v in essentials],
            reason=reason,
        )
    except NotAllowed as error:
        return coordination_page(
            request,
            book,
            error=str(error),
            failed=f"{found.pk}-{chapter.pk}",
            chosen={"value": value, "essentials": essentials, "reason": reason},
            status=400,
        )
    messages.success(
        request,
        _("%(j)s's vote on “%(chapter)s” recorded; the editors are told.")
        % {"j": request.user.jurisdiction, "chapter": chapter},
    )
    return redirect(
        f"{reverse('comments:coordination', args=[book.slug])}#ballot-{found.pk}-{chapter.pk}"
    )
