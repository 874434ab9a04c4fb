from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chapters import rendering
from chapters.models import Chapter
from chapters.views import get_chapter, get_handbook
from comments import anchoring
from comments.forms import EditCommentForm, HideForm, ReplyForm, ThreadForm
from comments.models import (
    Comment,
    NotAllowed,
    Thread,
    add_comment,
    can_moderate,
    commenting_allowed,
    locate_section,
    locate_selection,
    open_thread,
)
from handbook_review.http import AuthedRequest
from handbook_review.people.models import Jurisdiction, User

# --- Fetch-and-check helpers


def get_thread(request: AuthedRequest, pk: int) -> Thread:
    """A thread the user may see (404 otherwise), with its chapter."""
    return get_object_or_404(
        Thread.objects.visible_to(request.user).select_related("chapter__handbook"), pk=pk
    )


def get_comment(request: AuthedRequest, pk: int) -> Comment:
    return get_object_or_404(
        Comment.objects.filter(thread__in=Thread.objects.visible_to(request.user)).select_related(
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
    return redirect(thread.chapter.get_absolute_url() + f"#thread-{thread.pk}")


# --- The chapter page: text, highlights, threads


STATUS_FILTERS = {"open", "resolved", "orphaned"}


def filtered_threads(
    request: AuthedRequest, chapter: Chapter
) -> tuple[QuerySet[Thread], dict[str, Any]]:
    threads = Thread.objects.visible_to(request.user).filter(chapter=chapter)
    chosen: dict[str, Any] = {}
    status = request.GET.get("status", "")
    if status in STATUS_FILTERS:
        chosen["status"] = status
        threads = threads.orphaned() if status == "orphaned" else threads.filter(status=status)
    jurisdiction = request.GET.get("jurisdiction", "")
    if jurisdiction.isdigit():
        chosen["jurisdiction"] = int(jurisdiction)
        threads = threads.filter(author_jurisdiction_id=int(jurisdiction))
    author = request.GET.get("author", "")
    if author.isdigit():
        chosen["author"] = int(author)
        threads = threads.filter(author_id=int(author))
    comments = Comment.objects.select_related("author", "author_jurisdiction", "hidden_by")
    threads = threads.select_related(
        "author", "author_jurisdiction", "resolved_by"
    ).prefetch_related(Prefetch("comments", queryset=comments))
    return threads, chosen


def thread_context(request: AuthedRequest, chapter: Chapter) -> dict[str, Any]:
    threads_qs, chosen = filtered_threads(request, chapter)
    threads = list(threads_qs)
    user = request.user
    for thread in threads:
        thread.can_resolve = thread.may_resolve(user)  # type: ignore[attr-defined]
    anchored = [t for t in threads if not t.is_orphaned and t.anchored_version == chapter.version]
    visible_all = Thread.objects.visible_to(user).filter(chapter=chapter)
    return {
        "threads": anchored + [t for t in threads if t.is_orphaned or t not in anchored],
        "anchors": [
            {"id": t.pk, "start": t.start, "end": t.end, "open": t.is_open} for t in anchored
        ],
        "chosen": chosen,
        "jurisdictions": Jurisdiction.objects.filter(
            pk__in=visible_all.values("author_jurisdiction")
        ),
        "authors": User.objects.filter(pk__in=visible_all.values("author")),
        "can_moderate": can_moderate(user),
    }


def handbook(request: AuthedRequest, slug: str) -> HttpResponse:
    """Table of contents: chapters with their status and open threads the user can see."""
    book = get_handbook(request, slug)
    chapters = list(
        Chapter.objects.visible_to(request.user).filter(handbook=book).order_by("number")
    )
    open_counts = dict(
        Thread.objects.visible_to(request.user)
        .open()
        .filter(chapter__handbook=book)
        .values_list("chapter")
        .annotate(n=Count("pk"))
        .values_list("chapter", "n")
    )
    for chap in chapters:
        chap.open_threads = open_counts.get(chap.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "chapters/handbook.html",
        {
            "handbook": book,
            "chapters": chapters,
            "can_add": request.user.has_perm("chapters.add_chapter"),
            "can_reorder": request.user.has_perm("chapters.change_chapter"),
        },
    )


def chapter(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    if request.htmx and request.htmx.target == "threads":
        return render(
            request,
            "comments/chapter.html#threads",
            {"chapter": chap, **thread_context(request, chap)},
        )
    return chapter_page(request, chap)


def chapter_page(
    request: AuthedRequest, chap: Chapter, *, form: ThreadForm | None = None, status: int = 200
) -> HttpResponse:
    html = chap.rendered()
    outline = rendering.outline(html)
    can_comment = commenting_allowed(chap, request.user)
    if form is None and can_comment:
        form = ThreadForm(chapter=chap, outline=outline)
    return render(
        request,
        "comments/chapter.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "html": html,
            "outline": outline,
            "can_edit": request.user.has_perm("chapters.change_chapter"),
            "can_comment": can_comment,
            "form": form,
            **thread_context(request, chap),
        },
        status=status,
    )


@require_POST
def new_thread(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    if not commenting_allowed(chap, request.user):
        raise PermissionDenied
    html = chap.rendered()
    form = ThreadForm(request.POST, chapter=chap, outline=rendering.outline(html))
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["exact"].strip():
                anchor = locate_selection(
                    chap,
                    version=data["version"],
                    exact=data["exact"],
                    prefix=data["prefix"],
                    suffix=data["suffix"],
                    start=data["start"],
                    end=data["end"],
                )
            else:
                anchor = locate_section(chap, data["section"])
            thread = open_thread(
                chap,
                by=request.user,
                anchor=anchor,
                body=data["body"],
                visibility=data["visibility"],
                section=data["section"],
                mention_candidates=participants(chap),
            )
        except anchoring.AnchorError as error:
            form.add_error("exact", str(error))
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, _("Comment added."))
            return back_to_thread(thread)
    return chapter_page(request, chap, form=form, status=400)


# --- Thread and comment actions


@require_POST
def reply(request: AuthedRequest, pk: int) -> HttpResponse:
    thread = get_thread(request, pk)
    if not commenting_allowed(thread.chapter, request.user):
        raise PermissionDenied
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "comments/form_page.html",
            {"form": form, "thread": thread, "title": _("Reply"), "action": request.path},
            status=400,
        )
    add_comment(
        thread,
        by=request.user,
        body=form.cleaned_data["body"],
        mention_candidates=participants(thread.chapter),
    )
    return back_to_thread(thread)


@require_POST
def resolve(request: AuthedRequest, pk: int) -> HttpResponse:
    thread = get_thread(request, pk)
    try:
        if request.POST.get("action") == "reopen":
            thread.reopen(by=request.user)
        else:
            thread.resolve(by=request.user)
    except NotAllowed as error:
        if not thread.may_resolve(request.user):
            raise PermissionDenied(str(error)) from error
        messages.info(request, str(error))
    return back_to_thread(thread)


def edit_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    comment = get_comment(request, pk)
    thread = comment.thread
    if comment.author_id != request.user.pk:
        raise PermissionDenied
    form = EditCommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            comment.edit(form.cleaned_data["body"], by=request.user)
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            return back_to_thread(thread)
    return render(
        request,
        "comments/form_page.html",
        {"form": form, "thread": thread, "title": _("Edit your comment"), "action": request.path},
        status=400 if form.errors else 200,
    )


@require_POST
def delete_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    comment = get_comment(request, pk)
    if comment.author_id != request.user.pk:
        raise PermissionDenied
    try:
        comment.delete_own(by=request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
    return back_to_thread(comment.thread)


def hide_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    comment = get_comment(request, pk)
    if not can_moderate(request.user):
        raise PermissionDenied
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        comment.hide(by=request.user, reason=form.cleaned_data["reason"])
        return back_to_thread(comment.thread)
    return render(
        request,
        "comments/form_page.html",
        {
            "form": form,
            "thread": comment.thread,
            "title": _("Hide a comment"),
            "action": request.path,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def reattach(request: AuthedRequest, pk: int) -> HttpResponse:
    thread = get_thread(request, pk)
    if not thread.may_resolve(request.user):
        raise PermissionDenied
    chap = thread.chapter
    try:
        anchor = locate_selection(
            chap,
            version=int(request.POST.get("version") or chap.version),
            exact=request.POST.get("exact", ""),
            prefix=request.POST.get("prefix", ""),
            suffix=request.POST.get("suffix", ""),
        )
    except (anchoring.AnchorError, ValueError) as error:
        messages.error(request, _("Could not re-attach: %(error)s") % {"error": error})
        return back_to_thread(thread)
    thread.reattach(anchor, by=request.user)
    messages.success(request, _("Thread re-attached."))
    return back_to_thread(thread)


# --- W3C Web Annotation export


ANNOTATION_CONTENT_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def annotations(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The chapter's visible threads as a W3C Web Annotation page (JSON-LD)."""
    chap = get_chapter(request, slug, pk)
    source = request.build_absolute_uri(chap.get_absolute_url())
    page_id = request.build_absolute_uri(request.path)
    threads = (
        Thread.objects.visible_to(request.user)
        .filter(chapter=chap)
        .select_related("author")
        .prefetch_related(
            Prefetch("comments", queryset=Comment.objects.shown().select_related("author"))
        )
        .order_by("pk")
    )
    items: list[dict[str, Any]] = []
    for thread in threads:
        thread_id = f"{page_id}#thread-{thread.pk}"
        comments = list(thread.comments.all())
        first, replies = (comments[0], comments[1:]) if comments else (None, [])
        selectors: list[dict[str, Any]] = [
            {
                "type": "TextQuoteSelector",
                "exact": thread.current_exact if not thread.is_orphaned else thread.exact,
                "prefix": thread.prefix,
                "suffix": thread.suffix,
            }
        ]
        if not thread.is_orphaned:
            selectors.append(
                {"type": "TextPositionSelector", "start": thread.start, "end": thread.end}
            )
        items.append(
            {
                "id": thread_id,
                "type": "Annotation",
                "motivation": "commenting",
                "creator": person(request, thread.author),
                "created": thread.created_at.isoformat(),
                "modified": thread.updated_at.isoformat(),
                "body": {
                    "type": "TextualBody",
                    "value": first.body if first and not first.is_hidden else "",
                    "format": "text/markdown",
                },
                "target": {
                    "source": f"{source}?version={thread.anchored_version}",
                    "selector": selectors if len(selectors) > 1 else selectors[0],
                },
                "status": "orphaned" if thread.is_orphaned else thread.status,
            }
        )
        for comment in replies:
            items.append(
                {
                    "id": f"{page_id}#comment-{comment.pk}",
                    "type": "Annotation",
                    "motivation": "replying",
                    "creator": person(request, comment.author),
                    "created": comment.created_at.isoformat(),
                    "modified": (comment.edited_at or comment.created_at).isoformat(),
                    "body": {
                        "type": "TextualBody",
                        "value": "" if comment.is_hidden else comment.body,
                        "format": "text/markdown",
                    },
                    "target": thread_id,
                }
            )
    document = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": page_id,
        "type": "AnnotationPage",
        "partOf": {
            "id": f"{page_id}#collection",
            "type": "AnnotationCollection",
            "label": str(chap),
            "total": len(items),
        },
        "startIndex": 0,
        "items": items,
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Type"] = ANNOTATION_CONTENT_TYPE
    return response


def person(request: AuthedRequest, user: User) -> dict[str, str]:
    return {
        "id": request.build_absolute_uri(reverse("home")) + f"people/{user.pk}",
        "type": "Person",
        "name": user.name,
    }
