"""What the comment view modules share: fetching a thread or comment the user may see (404
otherwise), the people who may be mentioned, the redirect back to a thread, the expanded
thread asked for, and a user as a W3C Web Annotation creator."""

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from chapters.models import Chapter
from comments import policies
from comments.models import Comment, Thread
from handbook_review.http import AuthedRequest
from handbook_review.people.models import User

# --- Fetch-and-check helpers


def get_thread(request: AuthedRequest, pk: int) -> Thread:
    """A thread the user may see (404 otherwise), with its chapter."""
    return get_object_or_404(
        policies.threads.visible_to(request.user).select_related("chapter__handbook"), pk=pk
    )


def get_comment(request: AuthedRequest, pk: int) -> Comment:
    return get_object_or_404(
        Comment.objects.filter(thread__in=policies.threads.visible_to(request.user)).select_related(
            "thread__chapter__handbook"
        ),
        pk=pk,
    )


def participants(chapter: Chapter) -> list[User]:
    """People who may be mentioned: those who can read the chapter's handbook."""
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(jurisdiction__in=chapter.handbook.jurisdictions.all())
            | Q(groups__name__in=["Editor", "Administrator"])
        )
        .distinct()
    )


def back_to_thread(thread: Thread) -> HttpResponse:
    """The chapter page with the thread opened, where the user sees what they just did."""
    return redirect(thread.chapter.get_absolute_url() + f"?thread={thread.pk}#thread-{thread.pk}")


def expanded_thread(request: AuthedRequest) -> int | None:
    value = request.GET.get("thread", "")
    return int(value) if value.isdigit() else None


def person(request: AuthedRequest, user: User) -> dict[str, str]:
    return {
        "id": request.build_absolute_uri(reverse("home")) + f"people/{user.pk}",
        "type": "Person",
        "name": user.name,
    }
