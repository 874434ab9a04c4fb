"""Dispositions: an editor gives a thread its disposition (or revises it), or one to a filtered
set of a chapter's threads after a page that lists them; the commenter (or their coordinator)
accepts or contests it. 404 for a thread the user cannot see, 403 for one they may not act on,
400 with the form and what was typed for what the action refuses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chapters.models import Chapter, Status
from chapters.views import get_chapter
from comments import policies
from comments.access import back_to_thread, get_thread
from comments.actions import answer, dispose, dispose_many
from comments.disposition_forms import (
    AnswerForm,
    BulkDispositionForm,
    BulkFilterForm,
    DispositionForm,
)
from comments.models import (
    Conflict,
    Disposition,
    Kind,
    NotAllowed,
    SuggestionStatus,
    Thread,
)
from handbook_review.http import AuthedRequest


def history(thread: Thread) -> list[Disposition]:
    return list(
        Disposition.objects.filter(thread=thread)
        .select_related("by", "duplicate_of")
        .prefetch_related("answers__by")
        .order_by("at", "pk")
    )


def form_page(
    request: AuthedRequest, thread: Thread, form: Any, title: str, **extra: Any
) -> HttpResponse:
    """The disposition or answer form on its own page (400 with the errors and what was typed)."""
    return render(
        request,
        "comments/disposition_form.html",
        {
            "thread": thread,
            "form": form,
            "history": history(thread),
            "title": title,
            "action": request.path,
            **extra,
        },
        status=400 if form.errors else 200,
    )


def dispose_thread(request: AuthedRequest, pk: int) -> HttpResponse:
    """The disposition form of one thread (also on its expanded card), and giving it."""
    thread = get_thread(request, pk)
    if not policies.dispositions.may_dispose(request.user, thread):
        raise PermissionDenied
    current = thread.disposition
    form = DispositionForm(
        request.POST or None,
        initial={"kind": current.kind, "reason": current.reason} if current else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicate_of = None
        if data["duplicate_of"]:
            duplicate_of = (
                policies.threads.visible_to(request.user)
                .filter(chapter__handbook=thread.chapter.handbook_id)
                .select_related("chapter")
                .filter(pk=data["duplicate_of"])
                .first()
            )
            if duplicate_of is None:
                form.add_error("duplicate_of", _("There is no such comment in this handbook."))
        if not form.errors:
            try:
                dispose(
                    thread,
                    by=request.user,
                    kind=data["kind"],
                    reason=data["reason"],
                    applied_text=data["applied_text"],
                    duplicate_of=duplicate_of,
                )
            except Conflict:
                messages.error(
                    request,
                    _("The text this suggestion replaces has changed: resolve the conflict."),
                )
                return redirect("comments:decide_suggestion", thread.suggestion.pk)
            except NotAllowed as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Disposition recorded."))
                return back_to_thread(thread)
    return form_page(request, thread, form, _("Disposition of comment #%(n)s") % {"n": thread.pk})


def answer_thread(request: AuthedRequest, pk: int) -> HttpResponse:
    """The commenter's answer to the thread's current disposition, in consolidation."""
    thread = get_thread(request, pk)
    if not policies.dispositions.may_answer(request.user, thread):
        raise PermissionDenied
    form = AnswerForm(request.POST or None, initial={"disposition": thread.disposition_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            answer(
                thread,
                by=request.user,
                kind=data["kind"],
                reason=data["reason"],
                on=data["disposition"],
            )
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your answer is recorded."))
            return back_to_thread(thread)
    return form_page(
        request,
        thread,
        form,
        _("Your answer to the disposition of comment #%(n)s") % {"n": thread.pk},
        answering=True,
        in_consolidation=thread.chapter.status == Status.CONSOLIDATION,
    )


def bulk_threads(
    request: AuthedRequest, chap: Chapter, filters: dict[str, Any]
) -> QuerySet[Thread]:
    """The chapter's threads the filters choose, as the user sees them, in document order;
    withdrawn suggestions need no disposition and are left out."""
    chosen = (
        policies.threads.visible_to(request.user)
        .filter(chapter=chap)
        .exclude(kind=Kind.SUGGESTION, suggestion__status=SuggestionStatus.WITHDRAWN)
        .select_related("author", "author_jurisdiction", "disposition", "chapter__handbook")
    )
    if filters.get("category"):
        chosen = chosen.filter(category=filters["category"])
    if filters.get("jurisdiction"):
        chosen = chosen.filter(author_jurisdiction_id=filters["jurisdiction"])
    if filters.get("undisposed"):
        chosen = chosen.filter(disposition__isnull=True)
    return chosen.order_by("start", "pk")


def bulk_dispose(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """One disposition and one reason for a filtered set: the page lists the threads it will
    act on; posting acts on those listed that still match (in document order)."""
    chap = get_chapter(request, slug, pk)
    if not policies.dispositions.can(request.user, "dispose"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    filters_form = BulkFilterForm(source)
    filters = filters_form.cleaned_data if filters_form.is_valid() else {}
    threads = list(bulk_threads(request, chap, filters))
    form = BulkDispositionForm(
        request.POST if request.method == "POST" else None, ids=[t.pk for t in threads]
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        listed = set(data["threads"])
        report = dispose_many(
            [t for t in threads if t.pk in listed],
            by=request.user,
            kind=data["kind"],
            reason=data["reason"],
        )
        messages.info(request, _("%(n)d dispositions recorded.") % {"n": len(report.done)})
        if report.stopped_at is not None:
            messages.error(
                request,
                _("Stopped at comment #%(n)s: %(error)s")
                % {"n": report.stopped_at.pk, "error": report.error},
            )
        return redirect(chap)
    return render(
        request,
        "comments/bulk_dispose.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "threads": threads,
            "filters": filters_form,
            "form": form,
            "jurisdictions": chap.handbook.jurisdictions.order_by("name"),
        },
        status=400 if form.errors else 200,
    )
