"""The chapter page and the thread views: the table of contents, a chapter (or one of its
old versions) with its threads, a single thread, and opening, replying to, resolving,
re-attaching and editing, deleting or hiding comments. Shared helpers live in
comments.access and comments.cards; suggestions in comments.suggestion_views; the
annotation export in comments.annotation_views."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chapters import policies as chapter_policies
from chapters.models import rendered_html
from chapters.views import get_chapter, get_handbook, get_version
from comments import actions, anchoring, policies
from comments.access import back_to_thread, get_comment, get_thread, participants
from comments.actions import (
    add_comment,
    locate_section,
    locate_selection,
    open_thread,
    reattach_thread,
    reopen_thread,
    resolve_thread,
)
from comments.cards import CARD_TEMPLATE, card_context, chapter_page, prepare, thread_panel
from comments.forms import (
    EditCommentForm,
    HideForm,
    ReplyForm,
    ThreadForm,
)
from comments.models import (
    Anchor,
    NotAllowed,
)
from handbook_review.http import AuthedRequest

# --- The chapter page: text, highlights, threads


def thread(request: AuthedRequest, pk: int) -> HttpResponse:
    """One thread with all its comments: an htmx fragment, or the chapter page opened at it."""
    found = get_thread(request, pk)
    if not request.htmx:
        return back_to_thread(found)
    prepare([found], request.user, expanded=found.pk)
    return render(request, CARD_TEMPLATE, {**card_context(request, found.chapter), "thread": found})


def handbook(request: AuthedRequest, slug: str) -> HttpResponse:
    """Table of contents: chapters with their status and open threads the user can see."""
    book = get_handbook(request, slug)
    chapters = list(
        chapter_policies.chapters.visible_to(request.user).filter(handbook=book).order_by("number")
    )
    open_counts = dict(
        policies.threads.visible_to(request.user)
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
            "can_add": chapter_policies.handbooks.can(request.user, "add_chapter"),
            "can_reorder": chapter_policies.handbooks.can(request.user, "reorder"),
            "can_move": chapter_policies.chapters.can(request.user, "move"),
            "can_see_dashboard": policies.threads.can(request.user, "view_all"),
        },
    )


def chapter(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    if request.htmx and request.htmx.target == "threads":
        return HttpResponse(thread_panel(request, chap).html)
    return chapter_page(request, chap)


@require_POST
def new_thread(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    if not policies.threads.may_comment(request.user, chap):
        raise PermissionDenied
    form = ThreadForm(request.POST, chapter=chap, outline=chap.outline())
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
                category=data["category"],
                essential=data["essential"],
            )
        except anchoring.AnchorError as error:
            form.add_error("exact", str(error))
        except NotAllowed as error:
            if not policies.threads.may_comment(request.user, chap):
                raise PermissionDenied(str(error)) from error
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Comment added."))
            return back_to_thread(thread)
    return chapter_page(request, chap, form=form, status=400)


def version(request: AuthedRequest, slug: str, pk: int, number: int) -> HttpResponse:
    """An old version, with its threads where they stood in that version."""
    chap = get_chapter(request, slug, pk)
    old = get_version(chap, number)
    anchors = (
        Anchor.objects.filter(
            thread__in=policies.threads.visible_to(request.user).filter(chapter=chap),
            version=old.version,
            start__isnull=False,
        )
        .select_related("thread__author", "thread__author_jurisdiction")
        .order_by("start")
    )
    return render(
        request,
        "comments/version.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "old": old,
            "html": rendered_html(chap.pk, old.version, chap.number, old.body),
            "anchors": anchors,
            "anchors_json": json.dumps(
                [{"id": a.thread_id, "start": a.start, "end": a.end, "open": True} for a in anchors]
            ),
            "can_restore": chapter_policies.chapters.can(request.user, "restore")
            and old.version != chap.version,
        },
    )


# --- Thread and comment actions


@require_POST
def reply(request: AuthedRequest, pk: int) -> HttpResponse:
    thread = get_thread(request, pk)
    if not policies.threads.may_comment(request.user, thread.chapter):
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
            reopen_thread(thread, by=request.user)
        else:
            resolve_thread(thread, by=request.user)
    except NotAllowed as error:
        if not policies.threads.may_manage(request.user, thread):
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
            actions.edit_comment(comment, form.cleaned_data["body"], by=request.user)
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
        actions.delete_comment(comment, by=request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
    return back_to_thread(comment.thread)


def hide_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    comment = get_comment(request, pk)
    if not policies.threads.can(request.user, "moderate"):
        raise PermissionDenied
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.hide_comment(comment, by=request.user, reason=form.cleaned_data["reason"])
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
    if not policies.threads.may_manage(request.user, thread):
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
    reattach_thread(thread, anchor, by=request.user)
    messages.success(request, _("Thread re-attached."))
    return back_to_thread(thread)
