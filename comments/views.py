import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chapters import rendering
from chapters.diffing import diff_html
from chapters.models import Chapter, rendered_html
from chapters.review import current_window
from chapters.views import get_chapter, get_handbook, get_version
from comments import anchoring, merging, tracked
from comments.actions import (
    add_comment,
    commenting_allowed,
    locate_section,
    locate_selection,
    open_thread,
    reopen_thread,
)
from comments.forms import (
    EditCommentForm,
    HideForm,
    ReplyForm,
    SuggestionForm,
    ThreadForm,
)
from comments.models import (
    UNDECIDED,
    Anchor,
    Comment,
    Kind,
    NotAllowed,
    Suggestion,
    SuggestionStatus,
    Thread,
    can_decide,
    can_moderate,
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
    """The chapter page with the thread opened, where the user sees what they just did."""
    return redirect(thread.chapter.get_absolute_url() + f"?thread={thread.pk}#thread-{thread.pk}")


# --- The chapter page: text, highlights, threads


STATUS_FILTERS = {"open", "resolved", "orphaned"}


COMMENTS = Comment.objects.select_related("author", "author_jurisdiction", "hidden_by")
CARD_KEY_FIELDS = (
    "id",
    "chapter_id",
    "author_id",
    "status",
    "start",
    "end",
    "anchored_version",
    "updated_at",
    "kind",
)
CARD_TEMPLATE = "comments/chapter.html#thread"


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
    # Only what the highlights and the card cache keys need; cards not in the cache fetch the
    # rest (thread_cards).
    threads = threads.only(*CARD_KEY_FIELDS)
    return threads, chosen


def prepare(threads: list[Thread], user: User, *, expanded: int | None) -> None:
    """Attach what a thread card shows: its first comment, the count of the others, and, for
    the one expanded thread, every comment. Two queries whatever the number of threads."""
    if not threads:
        return
    # Counted on the comments table alone: grouping the threads query by its wide text
    # columns, or passing hundreds of ids, cost more than the whole page may take.
    in_chapter = Comment.objects.filter(thread__chapter_id=threads[0].chapter_id)
    per_thread = in_chapter.values("thread").annotate(n=Count("pk"), first=Min("pk"))
    counts = {row["thread"]: row["n"] for row in per_thread}
    firsts = {c.thread_id: c for c in COMMENTS.filter(pk__in=per_thread.values("first"))}
    for thread in threads:
        thread.proposal = suggestion_of(thread)  # type: ignore[attr-defined]
        if thread.proposal is not None:  # type: ignore[attr-defined]
            thread.proposal_diff = diff_html(  # type: ignore[attr-defined]
                thread.proposal.original,  # type: ignore[attr-defined]
                thread.proposal.replacement,  # type: ignore[attr-defined]
            )
        thread.first = firsts.get(thread.pk)  # type: ignore[attr-defined]
        thread.more = max(counts.get(thread.pk, 0) - 1, 0)  # type: ignore[attr-defined]
        thread.can_resolve = thread.may_resolve(user)  # type: ignore[attr-defined]
        thread.all_comments = None  # type: ignore[attr-defined]
        if thread.pk == expanded:
            thread.all_comments = list(COMMENTS.filter(thread=thread))  # type: ignore[attr-defined]


def suggestion_of(thread: Thread) -> Suggestion | None:
    if thread.kind != Kind.SUGGESTION:
        return None
    try:
        return thread.suggestion
    except Suggestion.DoesNotExist:
        return None


def expanded_thread(request: AuthedRequest) -> int | None:
    value = request.GET.get("thread", "")
    return int(value) if value.isdigit() else None


def thread_context(request: AuthedRequest, chapter: Chapter) -> dict[str, Any]:
    threads_qs, chosen = filtered_threads(request, chapter)
    threads = list(threads_qs)
    user = request.user
    anchored = [t for t in threads if not t.is_orphaned and t.anchored_version == chapter.version]
    placed = {t.pk for t in anchored}
    threads = anchored + [t for t in threads if t.pk not in placed]
    visible_all = Thread.objects.visible_to(user).filter(chapter=chapter)
    return {
        "threads": threads,
        "cards": thread_cards(request, chapter, threads, expanded=expanded_thread(request)),
        "anchors_json": json.dumps(
            [{"id": t.pk, "start": t.start, "end": t.end, "open": t.is_open} for t in anchored]
        ),
        "chapter_url": chapter.get_absolute_url(),
        "chosen": chosen,
        "jurisdictions": Jurisdiction.objects.filter(
            pk__in=visible_all.values("author_jurisdiction")
        ),
        "authors": User.objects.filter(pk__in=visible_all.values("author")),
    }


def card_context(request: AuthedRequest, chapter: Chapter) -> dict[str, Any]:
    return {
        "chapter": chapter,
        "chapter_url": chapter.get_absolute_url(),
        "can_moderate": can_moderate(request.user),
        "can_comment": commenting_allowed(chapter, request.user),
        "can_decide": can_decide(request.user),
    }


def thread_cards(
    request: AuthedRequest, chapter: Chapter, threads: list[Thread], *, expanded: int | None
) -> list[str]:
    """The side panel's thread cards as HTML, in order.

    A collapsed card holds no form and nothing personal but whether the reader may resolve
    the thread, so it is cached under a key that changes with everything it shows (a comment
    added, edited, hidden or deleted touches the thread's updated_at; re-anchoring changes
    the version and position). Only the cards missing from the cache are fetched in full and
    rendered: two more queries, however many. The expanded card has forms and is never cached.
    """
    language = get_language()
    keys = {
        t.pk: f"thread-card:{t.pk}:{t.updated_at.timestamp()}:{t.anchored_version}:"
        f"{t.start}:{t.end}:{t.may_resolve(request.user)}:{language}"
        for t in threads
    }
    cached = cache.get_many([keys[t.pk] for t in threads if t.pk != expanded])
    missing = [t.pk for t in threads if t.pk == expanded or keys[t.pk] not in cached]
    full = (
        {
            t.pk: t
            for t in Thread.objects.filter(pk__in=missing).select_related(
                "chapter__handbook", "author", "author_jurisdiction", "resolved_by", "suggestion"
            )
        }
        if missing
        else {}
    )
    prepare(list(full.values()), request.user, expanded=expanded)
    context = card_context(request, chapter)
    cards, fresh = [], {}
    for t in threads:
        key = keys[t.pk]
        if t.pk not in full:
            cards.append(cached[key])
            continue
        html = render_to_string(
            CARD_TEMPLATE,
            {**context, "thread": full[t.pk]},
            request=request if t.pk == expanded else None,
        )
        if t.pk != expanded:
            fresh[key] = html
        cards.append(html)
    if fresh:
        cache.set_many(fresh, timeout=60 * 60 * 24 * 7)
    return cards


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
    request: AuthedRequest,
    chap: Chapter,
    *,
    form: ThreadForm | None = None,
    suggestion_form: SuggestionForm | None = None,
    preview: str | None = None,
    status: int = 200,
) -> HttpResponse:
    html = chap.rendered()
    outline = chap.outline()
    proposed_view = request.GET.get("view") == "proposed"
    can_comment = commenting_allowed(chap, request.user)
    if form is None and can_comment:
        form = ThreadForm(chapter=chap, outline=outline)
    can_suggest = can_comment and request.user.has_perm("comments.add_suggestion")
    if suggestion_form is None and can_suggest:
        suggestion_form = SuggestionForm(chapter=chap, outline=outline, auto_id="sg_%s")
    threads = thread_context(request, chap)
    # The threads just fetched say whether there is any suggestion to look for: a chapter with
    # comments only costs no query more. (Filtered, they may not show them all: then look.)
    overlay = (
        suggestion_overlay(request, chap, proposed=proposed_view)
        if threads["chosen"] or any(t.kind == Kind.SUGGESTION for t in threads["threads"])
        else Overlay()
    )
    if proposed_view and overlay.proposed is not None:
        html = overlay.proposed.html
    counterpart = not request.user.has_perm("chapters.view_draft_chapter")
    return render(
        request,
        "comments/chapter.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "html": html,
            "outline": outline,
            "can_edit": request.user.has_perm("chapters.change_chapter"),
            "form": form,
            "suggestion_form": suggestion_form,
            "preview": preview,
            "can_comment": can_comment,
            "can_suggest": can_suggest,
            "can_decide": can_decide(request.user),
            "review_window": current_window(chap, request.user) if counterpart else None,
            "is_counterpart": counterpart,
            "proposed_view": proposed_view,
            "overlay": overlay,
            **threads,
        },
        status=status,
    )


# --- Open suggestions over the text: tracked changes and the chapter as proposed


@dataclass
class Proposed:
    html: str
    applied: int
    # (suggestion id, its thread id, the id of the suggestion it overlaps or None: a conflict)
    skipped: list[tuple[int, int, int | None]]


@dataclass
class Overlay:
    open_count: int = 0
    conflicted_count: int = 0
    tracked_json: str = "[]"
    proposed: Proposed | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)


OVERLAY_FIELDS = (
    "id",
    "status",
    "base_version",
    "source_start",
    "source_end",
    "original",
    "replacement",
    "whole_block",
    "thread",
    "thread__start",
    "thread__end",
    "thread__current_exact",
    "thread__anchored_version",
    "thread__updated_at",
)


def suggestion_overlay(request: AuthedRequest, chap: Chapter, *, proposed: bool) -> Overlay:
    """The undecided suggestions the user may see, drawn over the text.

    One query whatever their number; everything computed from them (the tracked changes, the
    chapter as proposed) is cached under a key made of the chapter's version and each
    suggestion's id, status and last change, so it is computed again only when one of those moves.
    """
    rows = list(
        Suggestion.objects.filter(
            thread__in=Thread.objects.visible_to(request.user).filter(chapter=chap),
            status__in=UNDECIDED,
        )
        .select_related("thread")
        .only(*OVERLAY_FIELDS)
        .order_by("source_start", "pk")
    )
    open_count = sum(s.status == SuggestionStatus.OPEN for s in rows)
    overlay = Overlay(open_count=open_count, conflicted_count=len(rows) - open_count)
    if not rows:
        return overlay
    signature = hashlib.sha256(
        "|".join(
            f"{s.pk}:{s.status}:{s.thread.updated_at.timestamp()}:{s.thread.anchored_version}:"
            f"{s.thread.start}:{s.thread.end}"
            for s in rows
        ).encode()
    ).hexdigest()
    suffix = f"{chap.pk}:{chap.version}:{chap.number}:{rendering.RENDERER_VERSION}:{signature}"
    overlay.tracked_json = cache.get(f"tracked:{suffix}") or ""
    if not overlay.tracked_json:
        overlay.tracked_json = json.dumps(tracked_changes(chap, rows))
        cache.set(f"tracked:{suffix}", overlay.tracked_json, timeout=60 * 60 * 24 * 7)
    if proposed:
        key = f"proposed:{suffix}:{get_language()}"
        overlay.proposed = cache.get(key)
        if overlay.proposed is None:
            overlay.proposed = proposed_text(chap, rows)
            cache.set(key, overlay.proposed, timeout=60 * 60 * 24 * 7)
        overlay.skipped = [
            {"id": sid, "thread": tid, "overlaps": other}
            for sid, tid, other in overlay.proposed.skipped
        ]
    return overlay


def tracked_changes(chap: Chapter, rows: list[Suggestion]) -> list[dict[str, Any]]:
    """Where each undecided suggestion anchored in the current version stands, with its word
    diff, for the page's script to draw as <del>/<ins> linked to the suggestion's card."""
    text = chap.plain_text()
    found = []
    for s in rows:
        t = s.thread
        if t.start is None or t.end is None or t.anchored_version != chap.version:
            continue
        change = tracked.tracked_change(
            text,
            start=t.start,
            end=t.end,
            current_exact=t.current_exact,
            original=s.original,
            replacement=s.replacement,
            whole_block=s.whole_block,
        )
        if change is not None:
            found.append(
                {
                    "id": t.pk,
                    "state": s.status,
                    "start": change.start,
                    "end": change.end,
                    "parts": change.parts,
                }
            )
    return found


def proposed_text(chap: Chapter, rows: list[Suggestion]) -> Proposed:
    """The chapter as it would read with every open suggestion accepted, changed words marked.

    Each is first carried onto the current Markdown (comments.merging); those that conflict
    there, and those that overlap one before them in document order, are skipped and listed.
    """
    open_rows = [s for s in rows if s.status == SuggestionStatus.OPEN]
    older = {s.base_version for s in open_rows} - {chap.version}
    bodies = dict(chap.history.filter(version__in=older).values_list("version", "body"))
    edits: list[tuple[int, merging.Edit]] = []
    skipped: list[tuple[int, int, int | None]] = []
    for s in open_rows:
        if s.base_version == chap.version:
            edits.append((s.pk, s.edit()))
            continue
        rebased = None
        if s.base_version in bodies:
            rebased = merging.rebase(s.edit(), str(bodies[s.base_version]), chap.body)
        if rebased is None:
            skipped.append((s.pk, s.thread_id, None))
        else:
            edits.append((s.pk, rebased))
    result = tracked.apply_all(chap.body, edits)
    threads = {s.pk: s.thread_id for s in rows}
    skipped += [(sid, threads[sid], other) for sid, other in result.skipped]
    html = rendering.render_markdown(result.text, number=chap.number)
    marked = tracked.mark_changes(
        html, chap.plain_text(), rendering.plain_text(html), labels=change_labels()
    )
    return Proposed(html=marked, applied=len(result.applied), skipped=skipped)


def change_labels() -> tracked.Labels:
    return tracked.Labels(insertion=_("Inserted: "), deletion=_("Deleted: "))


@require_POST
def new_thread(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    if not commenting_allowed(chap, request.user):
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
            )
        except anchoring.AnchorError as error:
            form.add_error("exact", str(error))
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
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
            thread__in=Thread.objects.visible_to(request.user).filter(chapter=chap),
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
            "can_restore": request.user.has_perm("chapters.change_chapter")
            and old.version != chap.version,
        },
    )


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
            reopen_thread(thread, by=request.user)
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
