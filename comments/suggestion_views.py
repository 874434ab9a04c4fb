"""Suggested edits: propose (on a selection, at the cursor, or a whole section), preview them,
and decide them (accept, modify and accept, reject, bulk); the proposer withdraws."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chapters.diffing import diff_html
from chapters.models import Chapter
from chapters.views import get_chapter
from comments import anchoring, merging, policies, sourcemap, tracked
from comments.access import back_to_thread, participants
from comments.actions import (
    CannotUndo,
    accept,
    decide_many,
    locate_point,
    locate_section,
    locate_selection,
    propose,
    reject,
    resolve_conflict,
    undo_bulk,
    withdraw,
)
from comments.cards import UNDO_OFFER, chapter_page
from comments.forms import (
    BulkForm,
    DecisionForm,
    RejectForm,
    RewriteForm,
    SuggestionForm,
)
from comments.models import (
    COMMENT_MAX_CHARS,
    UNDO_MINUTES,
    BulkRun,
    Conflict,
    NotAllowed,
    Suggestion,
    SuggestionStatus,
)
from comments.overlay import change_labels
from handbook_review.http import AuthedRequest

# --- Suggested edits


def get_suggestion(request: AuthedRequest, pk: int) -> Suggestion:
    """A suggestion whose thread the user may see (404 otherwise)."""
    return get_object_or_404(
        Suggestion.objects.filter(
            thread__in=policies.threads.visible_to(request.user)
        ).select_related("thread__chapter__handbook", "thread__author__jurisdiction"),
        pk=pk,
    )


def require_decider(request: AuthedRequest) -> None:
    if not policies.suggestions.can(request.user, "decide"):
        raise PermissionDenied


def require_suggester(request: AuthedRequest, chap: Chapter) -> None:
    if not policies.suggestions.may_suggest(request.user, chap):
        raise PermissionDenied


@dataclass
class Target:
    anchor: anchoring.Anchor
    start: int  # in the Markdown
    end: int
    whole_block: bool


class NeedsBlock(Exception):
    """The selection (or point) lies in formatting: the whole block's Markdown must be edited."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self.start, self.end = start, end


def suggestion_target(chap: Chapter, data: dict[str, Any]) -> Target:
    """Where a suggestion form's selection (or cursor) stands, in the text and in the Markdown.

    Raises NeedsBlock when the replacement was written for the selected words but must be the
    Markdown of the enclosing block(s), AnchorError or SourceMapError when it cannot be placed.
    """
    if data["exact"]:
        anchor = locate_selection(
            chap,
            version=data["version"],
            exact=data["exact"],
            prefix=data["prefix"],
            suffix=data["suffix"],
            start=data["start"],
            end=data["end"],
        )
        where = sourcemap.source_range(
            chap.body,
            exact=anchor.quote.exact,
            prefix=anchor.quote.prefix,
            suffix=anchor.quote.suffix,
            start=anchor.start,
        )
    else:
        anchor = locate_point(
            chap,
            version=data["version"],
            prefix=data["prefix"],
            suffix=data["suffix"],
            start=data["start"],
        )
        where = tracked.insertion_point(chap.body, anchor.start)
    if where.whole_block and data.get("scope") != "block":
        raise NeedsBlock(where.start, where.end)
    return Target(anchor, where.start, where.end, where.whole_block)


def ask_for_block(
    request: AuthedRequest, chap: Chapter, form: SuggestionForm, error: NeedsBlock
) -> SuggestionForm:
    """The same form, its replacement now the Markdown of the enclosing block to edit, and
    what the user wrote kept in the message."""
    data = request.POST.copy()
    typed = data.get("replacement", "")
    data["replacement"] = chap.body[error.start : error.end]
    data["scope"] = "block"
    again = SuggestionForm(data, chapter=chap, outline=chap.outline(), auto_id="sg_%s")
    again.is_valid()
    message = _(
        "The selection crosses formatting (or the cursor is inside it), so the suggestion "
        "rewrites the Markdown of the whole paragraph: edit it below and submit again."
    )
    if typed:
        message += " " + _("You had written: “%(typed)s”.") % {"typed": typed}
    again.add_error("replacement", message)
    return again


@require_POST
def new_suggestion(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    require_suggester(request, chap)
    form = SuggestionForm(request.POST, chapter=chap, outline=chap.outline(), auto_id="sg_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            target = suggestion_target(chap, data)
            suggestion = propose(
                chap,
                by=request.user,
                anchor=target.anchor,
                source_start=target.start,
                source_end=target.end,
                whole_block=target.whole_block,
                replacement=data["replacement"],
                rationale=data["body"],
                visibility=data["visibility"],
                mention_candidates=participants(chap),
                category=data["category"],
                essential=data["essential"],
            )
        except NeedsBlock as error:
            form = ask_for_block(request, chap, form, error)
        except (anchoring.AnchorError, sourcemap.SourceMapError) as error:
            form.add_error("exact", str(error))
        except NotAllowed as error:
            form.add_error("replacement", str(error))
        else:
            messages.success(request, _("Suggestion added."))
            return back_to_thread(suggestion.thread)
    return chapter_page(request, chap, suggestion_form=form, status=400)


PREVIEW_TEMPLATE = "comments/chapter.html#suggestion-preview"


@require_POST
def preview_suggestion(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The suggestion form's change in its sentence, words struck and inserted; nothing written.

    An htmx request gets the preview fragment; a plain form post the whole page, the form filled
    in as it was sent.
    """
    chap = get_chapter(request, slug, pk)
    require_suggester(request, chap)
    form = SuggestionForm(request.POST, chapter=chap, outline=chap.outline(), auto_id="sg_%s")
    shown = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            target = suggestion_target(chap, data)
        except NeedsBlock as error:
            form = ask_for_block(request, chap, form, error)
        except (anchoring.AnchorError, sourcemap.SourceMapError) as error:
            form.add_error("exact", str(error))
        else:
            original = chap.body[target.start : target.end]
            if data["replacement"] == original:
                form.add_error(
                    "replacement", _("The replacement is the same as the original text.")
                )
            elif target.whole_block:
                shown = tracked.labelled_diff_html(original, data["replacement"], change_labels())
            else:
                shown = tracked.preview(
                    chap.plain_text(),
                    target.anchor.start,
                    target.anchor.end,
                    data["replacement"],
                    change_labels(),
                )
    status = 200 if shown is not None else 400
    if request.htmx:
        return render(
            request, PREVIEW_TEMPLATE, {"preview": shown, "suggestion_form": form}, status=status
        )
    return chapter_page(request, chap, suggestion_form=form, preview=shown, status=status)


def rewrite_section(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Propose a whole section written again: one suggestion over the section's Markdown."""
    chap = get_chapter(request, slug, pk)
    require_suggester(request, chap)
    heading_id = request.POST.get("section") or request.GET.get("section", "")
    heading = next((h for h in chap.outline() if h.id and h.id == heading_id), None)
    where = tracked.section_range(chap.body, heading_id) if heading else None
    if request.method != "POST" and where is None:
        raise Http404(_("There is no such section in this chapter."))
    original = chap.body[where[0] : where[1]] if where else ""
    form = RewriteForm(
        request.POST or None,
        initial={"section": heading_id, "version": chap.version, "replacement": original},
    )
    shown = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if where is None or heading is None:
            form.add_error(None, _("There is no such section in this chapter."))
        elif data["version"] != chap.version:
            form.add_error(
                "replacement",
                _(
                    "The chapter changed since you opened this form (it is now version "
                    "%(v)s). Your text is kept; compare it with the current section below."
                )
                % {"v": chap.version},
            )
        elif data["replacement"] == original:
            form.add_error("replacement", _("The rewrite is the same as the section now."))
        elif "preview" in request.POST:
            shown = tracked.labelled_diff_html(original, data["replacement"], change_labels())
        else:
            try:
                suggestion = propose(
                    chap,
                    by=request.user,
                    anchor=locate_section(chap, heading_id),
                    source_start=where[0],
                    source_end=where[1],
                    whole_block=True,
                    replacement=data["replacement"],
                    rationale=data["body"],
                    section=heading_id,
                    mention_candidates=participants(chap),
                    category=data["category"],
                    essential=data["essential"],
                )
            except (anchoring.AnchorError, NotAllowed) as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Suggestion added."))
                return back_to_thread(suggestion.thread)
    return render(
        request,
        "comments/rewrite.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "heading": heading,
            "form": form,
            "original": original,
            "preview": shown,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def accept_suggestion(request: AuthedRequest, pk: int) -> HttpResponse:
    """Accept as proposed. From a card's or a tracked change's button (htmx) the answer is the
    same navigation, told to htmx (HX-Redirect): the chapter has a new version to show."""
    return as_navigation(request, accepted(request, pk))


def as_navigation(request: AuthedRequest, response: HttpResponse) -> HttpResponse:
    if request.headers.get("HX-Request") and response.status_code == 302:
        told = HttpResponse(status=204)
        told["HX-Redirect"] = response["Location"]
        return told
    return response


def accepted(request: AuthedRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion(request, pk)
    require_decider(request)
    try:
        accept(suggestion, by=request.user)
    except Conflict:
        messages.error(
            request,
            _("The text this suggestion replaces has changed: resolve the conflict below."),
        )
        return redirect("comments:decide_suggestion", suggestion.pk)
    except NotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Suggestion accepted."))
    return back_to_thread(suggestion.thread)


def decide_suggestion(request: AuthedRequest, pk: int) -> HttpResponse:
    """Modify, then accept; a conflicted suggestion is worded again against the current text."""
    suggestion = get_suggestion(request, pk)
    require_decider(request)
    chapter = Chapter.objects.get(pk=suggestion.thread.chapter_id)
    merged = suggestion.merge(chapter)
    conflicted = merged.outcome == merging.Outcome.CONFLICT
    form = DecisionForm(request.POST or None, initial={"replacement": suggestion.replacement})
    # The editor's wording against the words it replaces, redrawn as they type (htmx) or on
    # "Show the difference" (without JavaScript).
    form.fields["replacement"].widget.attrs.update(
        {
            "hx-post": reverse("comments:wording_diff", args=[suggestion.pk]),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": "#wording-diff",
            "hx-swap": "innerHTML",
        }
    )
    against = merged.current_excerpt if conflicted else suggestion.original
    previewing = request.method == "POST" and "preview" in request.POST
    wording = (
        request.POST.get("replacement", "") if request.method == "POST" else suggestion.replacement
    )
    if request.method == "POST" and not previewing and form.is_valid():
        data = form.cleaned_data
        try:
            if conflicted:
                if suggestion.status != SuggestionStatus.CONFLICTED:
                    accept(suggestion, by=request.user)  # marks it conflicted, raises
                resolve_conflict(
                    suggestion,
                    by=request.user,
                    replacement=data["replacement"],
                    reason=data["reason"],
                )
            else:
                accept(
                    suggestion,
                    by=request.user,
                    replacement=data["replacement"],
                    reason=data["reason"],
                )
        except Conflict:
            suggestion.refresh_from_db()
            return redirect("comments:decide_suggestion", suggestion.pk)
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Suggestion accepted."))
            return back_to_thread(suggestion.thread)
    return render(
        request,
        "comments/decide.html",
        {
            "suggestion": suggestion,
            "thread": suggestion.thread,
            "chapter": chapter,
            "form": form,
            "conflicted": conflicted,
            "merged": merged,
            "diff": diff_html(suggestion.original, suggestion.replacement),
            "wording_diff": diff_html(against, wording[:COMMENT_MAX_CHARS]),
        },
        status=400 if form.errors and not previewing else 200,
    )


@require_POST
def wording_diff(request: AuthedRequest, pk: int) -> HttpResponse:
    """The word diff of an editor's wording against the words the suggestion replaces (or,
    conflicted, the current text there): the Modify page's live preview."""
    suggestion = get_suggestion(request, pk)
    require_decider(request)
    wording = request.POST.get("replacement", "")
    if len(wording) > COMMENT_MAX_CHARS:
        return HttpResponseBadRequest(
            _("The wording is longer than %(n)d characters.") % {"n": COMMENT_MAX_CHARS}
        )
    chapter = Chapter.objects.get(pk=suggestion.thread.chapter_id)
    merged = suggestion.merge(chapter)
    against = (
        merged.current_excerpt
        if merged.outcome == merging.Outcome.CONFLICT
        else suggestion.original
    )
    return HttpResponse(diff_html(against, wording))


def reject_suggestion(request: AuthedRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion(request, pk)
    require_decider(request)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reject(suggestion, by=request.user, reason=form.cleaned_data["reason"])
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Suggestion rejected."))
            return back_to_thread(suggestion.thread)
    return render(
        request,
        "comments/form_page.html",
        {
            "form": form,
            "thread": suggestion.thread,
            "title": _("Reject suggestion #%(n)s") % {"n": suggestion.number},
            "action": request.path,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def withdraw_suggestion(request: AuthedRequest, pk: int) -> HttpResponse:
    suggestion = get_suggestion(request, pk)
    if suggestion.thread.author_id != request.user.pk:
        raise PermissionDenied
    try:
        withdraw(suggestion, by=request.user)
    except NotAllowed as error:
        messages.error(request, str(error))
    return back_to_thread(suggestion.thread)


@require_POST
def bulk_decide(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Accept or reject the chapter's open suggestions (of one jurisdiction), in document order:
    first a page listing them with their count, then, confirmed, exactly those listed (a
    suggestion that arrived meanwhile is not swept in; one decided meanwhile is left out)."""
    chap = get_chapter(request, slug, pk)
    require_decider(request)
    form = BulkForm(request.POST)
    chosen = Suggestion.objects.filter(
        thread__in=policies.threads.visible_to(request.user).filter(chapter=chap),
        status=SuggestionStatus.OPEN,
    ).select_related("thread__author", "thread__author_jurisdiction", "thread__chapter")
    form.is_valid()  # a reject without its reason is asked for on the list
    if "action" in form.errors or "jurisdiction" in form.errors:
        return HttpResponseBadRequest(
            _("Choose to accept or to reject, and a jurisdiction from the list.")
        )
    if form.cleaned_data.get("jurisdiction"):
        chosen = chosen.filter(thread__author_jurisdiction_id=form.cleaned_data["jurisdiction"])
    confirmed = request.POST.get("confirmed") == "1"
    if confirmed:
        chosen = chosen.filter(pk__in=[int(i) for i in request.POST.getlist("ids") if i.isdigit()])
    listed = sorted(chosen, key=lambda s: (s.source_start, s.pk))
    if not listed:
        messages.info(request, _("There is no open suggestion to decide."))
        return redirect(chap)
    if not confirmed or not form.is_valid():
        return render(
            request,
            "comments/bulk_confirm.html",
            {
                "chapter": chap,
                "handbook": chap.handbook,
                "errors": form.non_field_errors() if confirmed else [],
                "action": request.POST.get("action"),
                "jurisdiction": request.POST.get("jurisdiction", ""),
                "reason": request.POST.get("reason", ""),
                "listed": listed,
                "undo_minutes": UNDO_MINUTES,
            },
            status=400 if confirmed else 200,
        )
    data = form.cleaned_data
    report = decide_many(listed, by=request.user, action=data["action"], reason=data["reason"])
    if report.run is not None:
        offer_undo(request, report.run, len(report.decided))
    if report.stopped_at is not None:
        messages.error(
            request,
            _("Stopped at suggestion #%(n)s: %(error)s")
            % {"n": report.stopped_at.number, "error": report.error},
        )
    return redirect(chap)


def offer_undo(request: AuthedRequest, run: BulkRun, count: int) -> None:
    """Remember the run in the session: the chapter page offers its undo until it expires
    (no query: the session is read for the login anyway)."""
    request.session[UNDO_OFFER] = {
        "run": run.pk,
        "chapter": run.chapter_id,
        "action": run.action,
        "count": count,
        "until": run.undo_until.isoformat(),
    }


@require_POST
def undo_bulk_run(request: AuthedRequest, pk: int) -> HttpResponse:
    """Undo a bulk decision (its editor, within minutes): a new version restores the text."""
    run = get_object_or_404(BulkRun.objects.select_related("chapter__handbook"), pk=pk)
    chap = get_chapter(request, run.chapter.handbook.slug, run.chapter_id)
    require_decider(request)
    if run.by_id != request.user.pk:
        raise PermissionDenied  # another editor's run: theirs to undo
    offer = request.session.get(UNDO_OFFER)
    try:
        reopened = undo_bulk(run, by=request.user)
    except CannotUndo as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "Undone: %(n)d suggestion is open again.",
                "Undone: %(n)d suggestions are open again.",
                len(reopened),
            )
            % {"n": len(reopened)},
        )
    if offer and offer.get("run") == run.pk:
        del request.session[UNDO_OFFER]
    return redirect(chap)
