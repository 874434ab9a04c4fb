"""Who may see a thread, in both directions: the threads a user may see, and the users who may
see a thread (to pick whom to tell of a reply). One rule, two queries; they must agree, and
tests/notifications checks that they do.
"""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from chapters.models import Status
from chapters.notices import readers
from comments.models import Thread, ThreadQuerySet, Visibility
from handbook_review.people.models import User

ThreadAction = Literal["view"]


def having(permission: str) -> Q:
    """Users holding `app_label.codename`: through a group, on their own, or as superusers."""
    app_label, codename = permission.split(".")
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return Q(
        pk__in=User.objects.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=granted)
            | Q(user_permissions__in=granted)
        ).values("pk")
    )


class ThreadPolicy:
    def visible_to(self, user: User) -> ThreadQuerySet:
        return Thread.objects.visible_to(user)

    def can(self, user: User, action: ThreadAction, thread: Thread) -> bool:
        return user.is_active and self.visible_to(user).filter(pk=thread.pk).exists()

    def users_who_can(self, action: ThreadAction, thread: Thread) -> QuerySet[User]:
        """Thread.objects.visible_to turned round: readers of the handbook; of a draft chapter
        only those who see drafts; of an editors-only thread only editors and its author."""
        people = readers(thread.chapter.handbook)
        if thread.chapter.status == Status.DRAFT:
            people = people.filter(having("chapters.view_draft_chapter"))
        if thread.visibility != Visibility.EVERYONE:
            people = people.filter(having("comments.view_all_threads") | Q(pk=thread.author_id))
        return people


threads = ThreadPolicy()
