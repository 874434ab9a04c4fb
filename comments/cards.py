"""The chapter page's parts: the filtered thread list, the side panel's thread cards (cached
when collapsed), and chapter_page, which renders the whole page (text, forms, suggestion
overlay, threads) for comments.views and comments.suggestion_views."""

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from chapters import policies as chapter_policies
from chapters.diffing import diff_html
from chapters.models import Chapter, Status, Verdict
from chapters.review import chapter_sign_off, current_window, reviewed_before
from comments import policies
from comments.access import expanded_thread
from comments.forms import SuggestionForm, ThreadForm
from comments.models import (
    Category,
    Comment,
    Disposition,
    DispositionKind,
    Kind,
    Suggestion,
    Thread,
    Visibility,
)
from comments.overlay import (
    EVERYONE,
    JURISDICTION,
    MINE,
    Overlay,
    chosen_reading,
    suggestion_overlay,
)
from comments.rereview import Reviewed, last_reviewed_version
from handbook_review import caching, clock
from handbook_review.http import AuthedRequest
from handbook_review.people.models import Jurisdiction, User

# --- The thread list and its cards


STATUS_FILTERS = {"open", "resolved", "orphaned"}
# By type: one of Category's values, or "essential" (the technical comments marked so).
TYPE_FILTERS = {*Category.values, "essential"}


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
    "category",
    "essential",
)
CARD_TEMPLATE = "comments/chapter.html#thread"


def whose_choices(user: User) -> list[tuple[str, str]]:
    """Whose open suggestions a reader may have marked: everyone's, their jurisdiction's (if
    they speak for one), their own."""
    choices = [(EVERYONE, _("Everyone's"))]
    if user.jurisdiction_id is not None:
        choices.append((JURISDICTION, _("My jurisdiction's")))
    return [*choices, (MINE, _("Mine"))]


def chosen_filters(request: AuthedRequest) -> dict[str, Any]:
    """The thread filters the query string asks for; anything else in it is ignored."""
    chosen: dict[str, Any] = {}
    if (status := request.GET.get("status", "")) in STATUS_FILTERS:
        chosen["status"] = status
    if (jurisdiction := request.GET.get("jurisdiction", "")).isdigit():
        chosen["jurisdiction"] = int(jurisdiction)
    if (kind := request.GET.get("type", "")) in TYPE_FILTERS:
        chosen["type"] = kind
    if (author := request.GET.get("author", "")).isdigit():
        chosen["author"] = int(author)
    return chosen


def filtered_threads(
    request: AuthedRequest, chapter: Chapter
) -> tuple[QuerySet[Thread], dict[str, Any]]:
    threads = policies.threads.visible_to(request.user).filter(chapter=chapter)
    chosen = chosen_filters(request)
    if status := chosen.get("status"):
        threads = threads.orphaned() if status == "orphaned" else threads.filter(status=status)
    if jurisdiction := chosen.get("jurisdiction"):
        threads = threads.filter(author_jurisdiction_id=jurisdiction)
    if kind := chosen.get("type"):
        threads = (
            threads.filter(essential=True) if kind == "essential" else threads.filter(category=kind)
        )
    if author := chosen.get("author"):
        threads = threads.filter(author_id=author)
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
        thread.can_resolve = policies.threads.may_manage(user, thread)  # type: ignore[attr-defined]
        thread.all_comments = None  # type: ignore[attr-defined]
        thread.can_answer = (  # type: ignore[attr-defined]
            thread.chapter.status == Status.CONSOLIDATION
            and policies.dispositions.may_answer(user, thread)
        )
        if thread.pk == expanded:
            thread.all_comments = list(COMMENTS.filter(thread=thread))  # type: ignore[attr-defined]
            attach_dispositions(thread)


def attach_dispositions(thread: Thread) -> None:
    """The expanded card's dispositions: the current one and those it replaced, with answers."""
    if thread.disposition_id is None:
        history: list[Disposition] = []
    else:
        history = list(
            Disposition.objects.filter(thread=thread)
            .select_related("by")
            .prefetch_related("answers__by")
            .order_by("at", "pk")
        )
    thread.disposition_now = history[-1:]  # type: ignore[attr-defined]
    thread.disposition_earlier = history[:-1]  # type: ignore[attr-defined]


def suggestion_of(thread: Thread) -> Suggestion | None:
    if thread.kind != Kind.SUGGESTION:
        return None
    try:
        return thread.suggestion
    except Suggestion.DoesNotExist:
        return None


def thread_context(
    request: AuthedRequest, chapter: Chapter, *, expanded: int | None
) -> dict[str, Any]:
    threads_qs, chosen = filtered_threads(request, chapter)
    threads = list(threads_qs)
    user = request.user
    anchored = [t for t in threads if not t.is_orphaned and t.anchored_version == chapter.version]
    placed = {t.pk for t in anchored}
    threads = anchored + [t for t in threads if t.pk not in placed]
    visible_all = policies.threads.visible_to(user).filter(chapter=chapter)
    return {
        "threads": threads,
        "cards": thread_cards(request, chapter, threads, expanded=expanded),
        "anchors_json": json.dumps(
            [{"id": t.pk, "start": t.start, "end": t.end, "open": t.is_open} for t in anchored]
        ),
        "chapter_url": chapter.get_absolute_url(),
        "chosen": chosen,
        "jurisdictions": list(
            Jurisdiction.objects.filter(pk__in=visible_all.values("author_jurisdiction"))
        ),
        "authors": User.objects.filter(pk__in=visible_all.values("author")),
    }


@dataclass(frozen=True)
class Panel:
    """The side panel's thread list as HTML, and what the rest of the page needs of it."""

    html: str
    has_suggestions: bool
    jurisdictions: list[dict[str, Any]]  # the bulk form's choice: {"pk", "name"}


def review_stamp(chapter: Chapter, user: User) -> str:
    """What changes whenever anything a thread card or the panel shows changes: the latest
    change of the chapter's threads (a comment added, edited, hidden or deleted, a thread
    resolved, re-attached, given a disposition or a position: each touches its thread's
    updated_at), their number (a thread deleted), and, only for someone who wrote an
    editors-only thread here, who they are (they see a thread the rest of their audience
    does not). One aggregate query on the threads' chapter index."""
    row = Thread.objects.filter(chapter=chapter).aggregate(
        changed=Max("updated_at"),
        count=Count("pk"),
        own_private=Count("pk", filter=Q(author_id=user.pk) & ~Q(visibility=Visibility.EVERYONE)),
    )
    changed = row["changed"].timestamp() if row["changed"] else 0
    return f"{changed}:{row['count']}:{user.pk if row['own_private'] else '-'}"


def audience(user: User, chapter: Chapter) -> str:
    """What the reader may see and do on the panel, as a key: the rights that change what it
    shows (every thread or only public ones, moderation, decisions, dispositions, coordination,
    whether they may comment now: role and round state) and their jurisdiction (threads held back
    as internal are its own). Two readers with the same audience see the same panel."""
    rights = (
        policies.threads.can(user, "view_all"),
        policies.threads.can(user, "moderate"),
        policies.suggestions.can(user, "decide"),
        policies.dispositions.can(user, "dispose"),
        policies.dispositions.can(user, "coordinate"),
        policies.threads.may_comment(user, chapter),
    )
    return "".join("1" if right else "0" for right in rights) + f":{user.jurisdiction_id}"


def thread_panel(request: AuthedRequest, chapter: Chapter) -> Panel:
    """The panel, cached whole for a reader with nothing expanded: under the chapter's version,
    review_stamp, the reader's audience, the language and the filters, so that a new comment,
    a new version, another role, jurisdiction or round state, or another language each make a
    new key (tests/comments/test_page_cache.py, one test per input). An expanded thread has
    forms (a CSRF token, the reader's own edit links) and is rendered for the request."""
    expanded = expanded_thread(request)
    if expanded is not None:
        return render_panel(request, chapter, expanded=expanded)
    chosen = chosen_filters(request)
    key = (
        f"thread-panel:{chapter.pk}:{chapter.version}:{review_stamp(chapter, request.user)}:"
        f"{audience(request.user, chapter)}:{get_language()}:"
        + ",".join(f"{name}={value}" for name, value in sorted(chosen.items()))
    )
    # Cached as a plain dict: what the cache holds stays plain data (tests/ops/test_redis.py).
    stored = caching.versioned(
        key, lambda: dataclasses.asdict(render_panel(request, chapter, expanded=None))
    )
    return Panel(**stored)


def render_panel(request: AuthedRequest, chapter: Chapter, *, expanded: int | None) -> Panel:
    context = thread_context(request, chapter, expanded=expanded)
    html = render_to_string(
        "comments/chapter.html#threads",
        {"chapter": chapter, **context},
        request=request if expanded is not None else None,
    )
    return Panel(
        html=html,
        has_suggestions=any(t.kind == Kind.SUGGESTION for t in context["threads"]),
        jurisdictions=[{"pk": j.pk, "name": j.name} for j in context["jurisdictions"]],
    )


def card_context(request: AuthedRequest, chapter: Chapter) -> dict[str, Any]:
    return {
        "chapter": chapter,
        "chapter_url": chapter.get_absolute_url(),
        "can_moderate": policies.threads.can(request.user, "moderate"),
        "can_comment": policies.threads.may_comment(request.user, chapter),
        "can_decide": policies.suggestions.can(request.user, "decide"),
        "can_dispose": policies.dispositions.can(request.user, "dispose"),
        "disposition_kinds": DispositionKind.choices,
    }


def thread_cards(
    request: AuthedRequest, chapter: Chapter, threads: list[Thread], *, expanded: int | None
) -> list[str]:
    """The side panel's thread cards as HTML, in order.

    A collapsed card holds no form and nothing personal (the same for everyone who sees it but
    for "Reply", shown to those who may reply), so it is cached under a key that changes with
    everything it shows (a comment
    added, edited, hidden or deleted touches the thread's updated_at; re-anchoring changes
    the version and position). Only the cards missing from the cache are fetched in full and
    rendered: two more queries, however many. The expanded card has forms and is never cached.
    """
    language = get_language()
    context = card_context(request, chapter)
    keys = {
        t.pk: f"thread-card:{t.pk}:{t.updated_at.timestamp()}:{t.anchored_version}:"
        f"{t.start}:{t.end}:{t.category}:{t.essential}:{context['can_comment']}:"
        f"{context['can_decide']}:{language}"
        for t in threads
    }
    cached = cache.get_many([keys[t.pk] for t in threads if t.pk != expanded])
    missing = [t.pk for t in threads if t.pk == expanded or keys[t.pk] not in cached]
    full = (
        {
            t.pk: t
            for t in Thread.objects.filter(pk__in=missing).select_related(
                "chapter__handbook",
                "author",
                "author_jurisdiction",
                "resolved_by",
                "suggestion",
                "disposition",
            )
        }
        if missing
        else {}
    )
    prepare(list(full.values()), request.user, expanded=expanded)
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
        cache.set_many(fresh, timeout=caching.VERSIONED_TIMEOUT)
    return cards


# --- The chapter page as a whole


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
    reading = chosen_reading(request)
    can_comment = policies.threads.may_comment(request.user, chap)
    if form is None and can_comment:
        form = ThreadForm(chapter=chap, outline=outline)
    can_suggest = can_comment and policies.suggestions.can(request.user, "add")
    if suggestion_form is None and can_suggest:
        suggestion_form = SuggestionForm(chapter=chap, outline=outline, auto_id="sg_%s")
    panel = thread_panel(request, chap)
    # The panel says whether there is any suggestion to look for: a chapter with comments only
    # costs no query more. (Filtered, it may not show them all: then look.)
    overlay = (
        suggestion_overlay(request, chap, proposed=proposed_view, reading=reading)
        if chosen_filters(request) or panel.has_suggestions
        else Overlay()
    )
    if proposed_view and overlay.proposed is not None:
        html = overlay.proposed.html
    counterpart = not chapter_policies.handbooks.can(request.user, "see_drafts")
    return render(
        request,
        "comments/chapter.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "html": html,
            "outline": outline,
            "can_edit": chapter_policies.chapters.can(request.user, "edit"),
            "form": form,
            "suggestion_form": suggestion_form,
            "preview": preview,
            "can_comment": can_comment,
            "can_suggest": can_suggest,
            "can_decide": policies.suggestions.can(request.user, "decide"),
            "review_window": current_window(chap, request.user) if counterpart else None,
            "sign_off": chapter_sign_off(chap, request.user) if counterpart else None,
            "verdicts": Verdict.choices,
            "is_counterpart": counterpart,
            "proposed_view": proposed_view,
            "reading": reading,
            "whose_choices": whose_choices(request.user),
            "overlay": overlay,
            "since_review": changed_since_review(chap, request.user) if counterpart else None,
            "chapter_url": chap.get_absolute_url(),
            "panel": panel.html,
            "jurisdictions": panel.jurisdictions,
            "undo": undo_offer(request, chap),
        },
        status=status,
    )


UNDO_OFFER = "bulk_undo"


def undo_offer(request: AuthedRequest, chap: Chapter) -> dict[str, Any] | None:
    """The editor's last bulk decision on this chapter, while it may still be undone: the
    banner with its Undo button (read from the session, which costs no query)."""
    offer = request.session.get(UNDO_OFFER)
    if not offer or offer.get("chapter") != chap.pk:
        return None
    until = datetime.fromisoformat(offer["until"])
    if clock.now() >= until:
        return None
    return {**offer, "until": until}


def changed_since_review(chap: Chapter, user: User) -> Reviewed | None:
    """The version the user's jurisdiction last reviewed, if the chapter has changed since:
    the chapter page's banner. Once per page; no query unless such a round has closed."""
    if not reviewed_before(chap, user):
        return None
    assert user.jurisdiction_id is not None  # noqa: S101 (reviewed_before says so)
    reviewed = last_reviewed_version(chap, user.jurisdiction_id)
    return reviewed if reviewed is not None and reviewed.version < chap.version else None
