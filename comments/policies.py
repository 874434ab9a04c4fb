"""Who may see and do what on the comments floor: threads (and their comments) and suggestions,
each in both directions (see handbook_review/policies.py): what a user may see or do, and which
users may see a thread (to pick whom to tell of a reply). Views and actions ask these; nothing
else names a permission.

The rules in words: a thread is seen by whoever may read its chapter, except that an
editors-only thread is seen by editors and its author, and a thread its coordinator held back as
internal is its jurisdiction's own business: seen only by people of the author's jurisdiction
(editors included out). Editors and a thread's author resolve,
reopen and re-attach it; editors hide comments and decide suggestions. Counterparts comment and
suggest while a round invites them; editors on any chapter they can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from chapters import policies as chapter_policies
from chapters.models import Chapter
from chapters.review import can_review
from comments.models import PositionKind, Thread, ThreadQuerySet, Visibility
from handbook_review.people.models import Jurisdiction, User
from handbook_review.policies import Policy, Someone, having


class ThreadPolicy(Policy):
    permissions: ClassVar = {
        "view": "chapters.view_handbook",
        "add": "comments.add_thread",
        # Editors: every thread, editors-only ones included, and the review dashboard.
        "view_all": "comments.view_all_threads",
        "moderate": "comments.moderate_thread",
    }

    def visible_to(self, user: User) -> ThreadQuerySet:
        """Threads of chapters the user can read; editors-only ones for editors and the author."""
        visible = Thread.objects.filter(chapter__in=chapter_policies.chapters.visible_to(user))
        # Held back as internal: for the author's jurisdiction alone, whatever the role.
        own = getattr(user, "jurisdiction_id", None)
        visible = visible.filter(
            ~Q(position=PositionKind.INTERNAL)
            | (Q(author_jurisdiction=own) if own is not None else Q(pk__in=[]))
        )
        if self.can(user, "view_all"):
            return visible
        return visible.filter(Q(visibility=Visibility.EVERYONE) | Q(author=user.pk))

    def may_comment(self, user: User, chapter: Chapter) -> bool:
        """Open a thread or reply on the chapter now: editors on any chapter they can read,
        counterparts while a round that covers it invites them (chapters.review.can_review)."""
        return self.can(user, "add") and can_review(chapter, user)

    def may_manage(self, user: Someone, thread: Thread) -> bool:
        """Resolve, reopen or re-attach the thread: its author and editors."""
        return user.pk == thread.author_id or self.can(user, "moderate")

    def users_who_can(self, action: str, thread: Thread) -> QuerySet[User]:
        """visible_to turned round: readers of the chapter; of an editors-only thread only
        editors and its author; of an internal one only its author's jurisdiction."""
        people = chapter_policies.chapters.readers(thread.chapter)
        if thread.position == PositionKind.INTERNAL:
            people = people.filter(jurisdiction=thread.author_jurisdiction_id)
        if thread.visibility != Visibility.EVERYONE:
            people = people.filter(having(self.permissions["view_all"]) | Q(pk=thread.author_id))
        if action != "view":
            people = people.filter(having(self.permissions[action]))
        return people

    def can_see(self, user: User, thread: Thread) -> bool:
        """One thread, one user (a query): for a notice about a thread already in hand."""
        return user.is_active and self.visible_to(user).filter(pk=thread.pk).exists()


threads = ThreadPolicy()


class SuggestionPolicy(Policy):
    permissions: ClassVar = {
        "add": "comments.add_suggestion",
        "decide": "comments.decide_suggestion",
    }

    def may_suggest(self, user: User, chapter: Chapter) -> bool:
        return threads.may_comment(user, chapter) and self.can(user, "add")

    def users_who_can(self, action: str, thread: Thread) -> QuerySet[User]:
        return threads.users_who_can("view", thread).filter(having(self.permissions[action]))


suggestions = SuggestionPolicy()


class DispositionPolicy(Policy):
    """Editors give threads their disposition; the thread's author, or a coordinator of the
    author's jurisdiction (the jurisdiction the author spoke for when they wrote it), answers it.

    Both rules are asked of a thread the user already sees (fetched through threads.visible_to);
    users_who_can turns them round for notices, among the thread's readers.
    """

    permissions: ClassVar = {
        "dispose": "comments.dispose_thread",
        "coordinate": "comments.coordinate_jurisdiction",
    }

    def may_dispose(self, user: Someone, thread: Thread) -> bool:
        return self.can(user, "dispose")

    def may_answer(self, user: Someone, thread: Thread) -> bool:
        if user.pk is not None and user.pk == thread.author_id:
            return True
        jurisdiction = getattr(user, "jurisdiction_id", None)
        return (
            self.can(user, "coordinate")
            and jurisdiction is not None
            and jurisdiction == thread.author_jurisdiction_id
        )

    def users_who_can(self, action: str, thread: Thread) -> QuerySet[User]:
        readers = threads.users_who_can("view", thread)
        if action == "dispose":
            return readers.filter(having(self.permissions["dispose"]))
        if action == "answer":
            coordinators = having(self.permissions["coordinate"]) & Q(
                jurisdiction_id=thread.author_jurisdiction_id
            )
            if thread.author_jurisdiction_id is None:
                return readers.filter(pk=thread.author_id)
            return readers.filter(Q(pk=thread.author_id) | coordinators)
        raise KeyError(action)


dispositions = DispositionPolicy()


class BallotPolicy(Policy):
    """A jurisdiction's coordinator consolidates its officers' threads (endorse, hold back,
    merge) and casts its vote on each chapter; editors hear of the votes."""

    permissions: ClassVar = {
        "coordinate": "comments.coordinate_jurisdiction",
        "vote": "comments.cast_vote",
        # Who is told of a vote: those who give comments their disposition.
        "hear_votes": "comments.dispose_thread",
    }
    refusals: ClassVar = {
        "coordinate": _("Only a coordinator of the jurisdiction consolidates its comments."),
        "vote": _("Only a coordinator casts the jurisdiction's vote."),
    }

    def may_coordinate(self, user: Someone, thread: Thread) -> bool:
        """Consolidate this thread: a coordinator of the jurisdiction its author spoke for."""
        return (
            self.can(user, "coordinate")
            and thread.author_jurisdiction_id is not None
            and getattr(user, "jurisdiction_id", None) == thread.author_jurisdiction_id
        )

    def users_who_can(self, action: str, thread: Thread) -> QuerySet[User]:
        """may_coordinate turned round: the thread's readers among its jurisdiction's
        coordinators."""
        return threads.users_who_can("view", thread).filter(
            having(self.permissions[action]), jurisdiction=thread.author_jurisdiction_id
        )

    def told_of_votes(self, chapter: Chapter) -> QuerySet[User]:
        """The chapter's readers who dispose of comments: a vote is news for them."""
        return chapter_policies.chapters.readers(chapter).filter(
            having(self.permissions["hear_votes"])
        )


ballots = BallotPolicy()


class ReportPolicy(Policy):
    """The disposition report: editors report on every jurisdiction; a coordinator receives and
    downloads their own jurisdiction's ("what happened to our comments")."""

    permissions: ClassVar = {
        "view_all": "comments.view_all_threads",
        "coordinate": "comments.coordinate_jurisdiction",
    }

    def may_report_on(self, user: User, jurisdiction: Jurisdiction) -> bool:
        if self.can(user, "view_all"):
            return True
        return self.can(user, "coordinate") and user.jurisdiction_id == jurisdiction.pk

    def coordinators(self, jurisdiction: Jurisdiction) -> QuerySet[User]:
        """may_report_on turned round, for one jurisdiction's coordinators (not the editors)."""
        return User.objects.filter(
            having(self.permissions["coordinate"]), is_active=True, jurisdiction=jurisdiction
        )

    def coordinated(self, jurisdictions: Iterable[Jurisdiction]) -> set[int]:
        """The ids of those of `jurisdictions` that have an active coordinator (one query):
        their vote replaces the sign-off."""
        return set(
            User.objects.filter(
                having(self.permissions["coordinate"]),
                is_active=True,
                jurisdiction__in=[j.pk for j in jurisdictions],
            ).values_list("jurisdiction_id", flat=True)
        )


reports = ReportPolicy()
