"""Pages of the review process: rounds (open, change, extend, close), sign-off, chapter workflow.

The rules live in chapters.review; these views fetch with the usual helpers (404 for what the
user may not see, 403 for what they may see but not change) and turn refusals into messages.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chapters import policies, review
from chapters.forms import (
    STEPS,
    BulkTransitionForm,
    CloseRoundForm,
    ExtendRoundForm,
    RoundChangeForm,
    RoundForm,
    TransitionForm,
)
from chapters.models import (
    ChapterQuerySet,
    Round,
    SignOff,
    Status,
    Transition,
    Verdict,
)
from chapters.signals import round_votes
from chapters.views import get_chapter, get_handbook
from handbook_review import clock, confirming
from handbook_review.http import AuthedRequest


def get_round(request: AuthedRequest, slug: str, pk: int) -> Round:
    """A round the user may see: editors any; counterparts rounds inviting their jurisdiction."""
    return get_object_or_404(
        policies.rounds.visible_to(request.user).select_related("handbook", "created_by"),
        handbook__slug=slug,
        pk=pk,
    )


def form_errors(form: Any, error: ValidationError) -> None:
    """Put a refusal from chapters.review on the form fields it names (or the whole form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Rounds


def rounds(request: AuthedRequest, slug: str) -> HttpResponse:
    book = get_handbook(request, slug)
    found = list(
        policies.rounds.visible_to(request.user)
        .filter(handbook=book)
        .prefetch_related("jurisdictions")
        .distinct()
    )
    now = clock.now()
    for r in found:
        r.current_state = r.state(now)  # type: ignore[attr-defined]
    return render(
        request,
        "chapters/rounds.html",
        {
            "handbook": book,
            "rounds": found,
            "can_manage": policies.rounds.can(request.user, "manage"),
        },
    )


def new_round(request: AuthedRequest, slug: str) -> HttpResponse:
    book = get_handbook(request, slug)
    policies.rounds.require(request.user, "manage")
    form = RoundForm(
        request.POST or None,
        handbook=book,
        initial={
            "chapters": book.chapters.filter(status=Status.IN_REVIEW),
            "jurisdictions": book.jurisdictions.all(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = review.open_round(
                handbook=book,
                name=data["name"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                chapters=data["chapters"],
                jurisdictions=data["jurisdictions"],
                by=request.user,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Review round “%(name)s” opened.") % {"name": created})
            return redirect("chapters:round", book.slug, created.pk)
    return render(
        request,
        "chapters/round_form.html",
        {"handbook": book, "form": form, "round": None},
        status=400 if form.errors else 200,
    )


def round_context(request: AuthedRequest, found: Round) -> dict[str, Any]:
    """Everything the round page shows: scope, the sign-off grid, history, editors' forms."""
    now = clock.now()
    user = request.user
    chapters = list(found.chapters.order_by("number"))
    jurisdictions = list(found.jurisdictions.order_by("code"))
    standing = {
        (s.chapter_id, s.jurisdiction_id): s
        for s in found.sign_offs.filter(withdrawn_at__isnull=True).select_related("by")
    }
    # A jurisdiction with a coordinator votes (comments) instead of signing off.
    by_vote = review.coordinated([j.pk for j in jurisdictions])
    votes: dict[tuple[int, int], Any] = {}
    if by_vote:
        for _receiver, answer in round_votes.send(Round, round=found):
            if isinstance(answer, dict):
                votes.update(answer)
    is_open = found.is_open(now)
    may_sign = (
        is_open
        and policies.rounds.can(user, "sign_off")
        and any(j.pk == user.jurisdiction_id for j in jurisdictions)
    )
    grid = [
        {
            "jurisdiction": j,
            "mine": may_sign and j.pk == user.jurisdiction_id,
            "may_sign": may_sign and j.pk == user.jurisdiction_id and j.pk not in by_vote,
            "by_vote": j.pk in by_vote,
            "cells": [
                {
                    "chapter": c,
                    "sign_off": standing.get((c.pk, j.pk)) if j.pk not in by_vote else None,
                    "vote": votes.get((c.pk, j.pk)),
                }
                for c in chapters
            ],
        }
        for j in jurisdictions
    ]
    can_manage = policies.rounds.can(user, "manage")
    state = found.state(now)
    return {
        "handbook": found.handbook,
        "round": found,
        "state": state,
        "chapters": chapters,
        "jurisdictions": jurisdictions,
        "grid": grid,
        "events": found.events.select_related("by"),
        # A closed round can still be extended (reopened); not changed or closed again.
        "can_manage": can_manage,
        "can_change": can_manage and state != "closed",
        "extend_form": ExtendRoundForm(prefix="extend", initial={"closes_at": found.closes_at}),
        "close_form": CloseRoundForm(prefix="close"),
        "verdicts": Verdict.choices,
    }


def round_detail(
    request: AuthedRequest, slug: str, pk: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    found = get_round(request, slug, pk)
    return render(
        request, "chapters/round.html", {**round_context(request, found), **forms}, status=status
    )


def edit_round(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    found = get_round(request, slug, pk)
    policies.rounds.require(request.user, "manage")
    form = RoundChangeForm(
        request.POST or None,
        handbook=found.handbook,
        initial={
            "name": found.name,
            "chapters": found.chapters.all(),
            "jurisdictions": found.jurisdictions.all(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review.change_round(
                found,
                by=request.user,
                name=data["name"],
                chapters=data["chapters"],
                jurisdictions=data["jurisdictions"],
                note=data["note"],
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Round changed."))
            return redirect("chapters:round", slug, found.pk)
    return render(
        request,
        "chapters/round_form.html",
        {"handbook": found.handbook, "form": form, "round": found},
        status=400 if form.errors else 200,
    )


@require_POST
def extend_round(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    found = get_round(request, slug, pk)
    policies.rounds.require(request.user, "manage")
    form = ExtendRoundForm(request.POST, prefix="extend")
    if form.is_valid():
        try:
            review.extend_round(
                found,
                closes_at=form.cleaned_data["closes_at"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Round extended."))
            return redirect("chapters:round", slug, found.pk)
    return round_detail(request, slug, pk, status=400, extend_form=form)


@require_POST
def close_round(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    found = get_round(request, slug, pk)
    policies.rounds.require(request.user, "manage")
    form = CloseRoundForm(request.POST, prefix="close")
    if confirming.going_back(request):
        return round_detail(request, slug, pk, close_form=form)
    if form.is_valid() and not found.closes_at > clock.now():
        form.add_error(None, _("This round is already closed."))
    if form.is_valid():
        asked = confirming.ask(
            request,
            title=_("Close “%(name)s” now?") % {"name": found.name},
            consequences=closing_consequences(found),
            listed=[f"{c.number}. {c.title}" for c in found.chapters.order_by("number")],
            confirm=_("Close the round now"),
            context={"handbook": found.handbook},
        )
        if asked is not None:
            return asked
        try:
            review.close_round(found, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Round closed."))
            return redirect("chapters:round", slug, found.pk)
    return round_detail(
        request,
        slug,
        pk,
        status=400,
        close_form=form,
        error=" ".join(str(e) for e in form.non_field_errors()),
    )


def closing_consequences(found: Round) -> list[str]:
    names = ", ".join(j.name for j in found.jurisdictions.order_by("name"))
    return [
        _(
            "Reviewing stops now: counterparts of %(jurisdictions)s can no longer comment,"
            " suggest or sign off on the round's chapters, listed below."
        )
        % {"jurisdictions": names or _("no jurisdiction")},
        _("What they have written stays, and editors go on deciding on it."),
        _("You can reopen the round later by giving it a new closing time."),
    ]


# --- Sign-off


@require_POST
def sign_off(request: AuthedRequest, slug: str, pk: int, chapter_pk: int) -> HttpResponse:
    found = get_round(request, slug, pk)
    policies.rounds.require(request.user, "sign_off")
    chap = get_chapter(request, slug, chapter_pk)
    from_chapter = request.POST.get("from") == "chapter"
    try:
        review.sign_off(found, chap, by=request.user, verdict=request.POST.get("verdict", ""))
    except review.SignOffRefused as error:
        if from_chapter:
            messages.error(request, str(error))
            return redirect(chap.get_absolute_url() + "#sign-off")
        return round_detail(request, slug, pk, status=400, error=str(error))
    messages.success(request, _("Signed off “%(chapter)s”.") % {"chapter": chap})
    if from_chapter:
        return redirect(chap.get_absolute_url() + "#sign-off")
    return redirect("chapters:round", slug, found.pk)


@require_POST
def withdraw_sign_off(request: AuthedRequest, slug: str, pk: int, sign_off_pk: int) -> HttpResponse:
    found = get_round(request, slug, pk)
    policies.rounds.require(request.user, "sign_off")
    given = get_object_or_404(
        SignOff.objects.select_related("chapter"), round=found, pk=sign_off_pk
    )
    if given.jurisdiction_id != request.user.jurisdiction_id:
        raise PermissionDenied
    try:
        review.withdraw_sign_off(given, by=request.user)
    except review.SignOffRefused as error:
        return round_detail(request, slug, pk, status=400, error=str(error))
    messages.success(
        request, _("Sign-off of “%(chapter)s” withdrawn.") % {"chapter": given.chapter}
    )
    if request.POST.get("from") == "chapter":
        return redirect(given.chapter.get_absolute_url() + "#sign-off")
    return redirect("chapters:round", slug, found.pk)


# --- Workflow


def workflow(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The chapter's workflow: where it stands, how it got there, and (editors) where it can go."""
    chap = get_chapter(request, slug, pk)
    can_move = policies.chapters.can(request.user, "move")
    posted: TransitionForm | None = None
    if request.method == "POST":
        if not can_move:
            raise PermissionDenied
        to = request.POST.get("to", "")
        posted = TransitionForm(request.POST, auto_id=f"{to if to in Status.values else 'step'}_%s")
        if posted.is_valid():
            data = posted.cleaned_data
            try:
                review.transition(
                    chap,
                    to=data["to"],
                    by=request.user,
                    note=data["note"],
                    override=data["override"],
                )
            except review.GuardFailed as error:
                posted.add_error(None, error.reasons)
            except review.IllegalTransition as error:
                posted.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("The chapter is now “%(status)s”.") % {"status": chap.get_status_display()},
                )
                return redirect("chapters:workflow", slug, chap.pk)
    steps = []
    if can_move:
        for target in review.next_states(chap.status):
            form = TransitionForm(auto_id=f"{target}_%s", initial={"to": target})
            if posted is not None and posted.data.get("to") == target:
                form = posted  # the refused form, with what was typed, under its own button
            step = review.TRANSITIONS[(Status(chap.status), target)]
            steps.append(
                {
                    "target": target,
                    "target_label": target.label,
                    "label": step.label,
                    "note_required": step.note_required,
                    "blockers": review.blockers(chap, target),
                    "form": form,
                }
            )
    # A refusal for a step that is not offered (any more): shown at the top of the page.
    stray = posted is not None and posted.data.get("to") not in [s["target"] for s in steps]
    return render(
        request,
        "chapters/workflow.html",
        {
            "handbook": chap.handbook,
            "chapter": chap,
            "transitions": Transition.objects.filter(chapter=chap).select_related("by"),
            "steps": steps,
            "refused": posted.errors if posted is not None and stray else None,
            "window": review.review_window(chap, request.user),
            "rounds": policies.rounds.visible_to(request.user).filter(chapters=chap).distinct(),
        },
        status=400 if posted is not None else 200,
    )


# --- Moving chapters together


def bulk_workflow(request: AuthedRequest, slug: str) -> HttpResponse:
    """Move chapters of the handbook through one workflow step together (editors).

    A GET with ?step=<from>:<to> lists the chapters in <from> that can take the step, ticked,
    and those whose checks refuse it, with the reasons; the POST moves the ticked ones through
    review.move_together, each judged again under its own lock. If all moved, on to the
    handbook's contents; a chapter refused meanwhile is reported on this page (409), the others
    having moved. Bad input (no such step, a chapter of another handbook, nothing ticked, a
    missing note) is refused here (400) with what was typed and ticked, and nothing moves.
    """
    book = get_handbook(request, slug)
    policies.chapters.require(request.user, "move")
    visible = policies.chapters.visible_to(request.user).filter(handbook=book)
    posted = request.method == "POST"
    form = BulkTransitionForm(request.POST if posted else None, chapters=visible)
    key = (request.POST if posted else request.GET).get("step", "")
    pair = STEPS.get(key)
    # A GET naming no step shows only the choice; one naming a step that does not exist is
    # refused like a bad POST (whose form says so itself).
    unknown_step = not posted and bool(key) and pair is None
    status, report = 400 if unknown_step else 200, None
    if posted and form.is_valid() and pair is not None:
        result = review.move_together(
            form.cleaned_data["chapters"],
            source=pair[0],
            to=pair[1],
            by=request.user,
            note=form.cleaned_data["note"],
        )
        if not result.refused:
            n = len(result.moved)
            messages.success(
                request,
                ngettext(
                    "%(count)s chapter moved to “%(status)s”.",
                    "%(count)s chapters moved to “%(status)s”.",
                    n,
                )
                % {"count": n, "status": pair[1].label},
            )
            return redirect(book)
        report, status = result, 409
    elif posted:
        status = 400
    return render(
        request,
        "chapters/bulk_workflow.html",
        {
            "handbook": book,
            "form": form,
            "step_choices": step_choices(visible, key),
            "unknown_step": unknown_step,
            **bulk_step_context(
                visible, key, ticked=request.POST.getlist("chapters") if posted else None
            ),
            "report": report,
        },
        status=status,
    )


def step_choices(visible: ChapterQuerySet, chosen: str) -> list[dict[str, Any]]:
    """The steps of the workflow to choose from, each with how many chapters are where it
    starts (one query)."""
    counts = dict(
        visible.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    choices = []
    for key, (source, target) in STEPS.items():
        n = counts.get(source, 0)
        choices.append(
            {
                "key": key,
                "selected": key == chosen,
                "label": ngettext(
                    "%(step)s: %(count)s chapter in “%(source)s” → “%(target)s”",
                    "%(step)s: %(count)s chapters in “%(source)s” → “%(target)s”",
                    n,
                )
                % {
                    "step": review.TRANSITIONS[(source, target)].label,
                    "count": n,
                    "source": source.label,
                    "target": target.label,
                },
            }
        )
    return choices


def bulk_step_context(
    visible: ChapterQuerySet, key: str, *, ticked: list[str] | None
) -> dict[str, Any]:
    """The chapters where the step starts: those that can take it (ticked by default, or as
    the editor ticked them) and those refused, with the guard's reasons. A fixed number of
    queries for the chapters of this floor's checks; the discussion checks (approval, back to
    draft) are the comments floor's, asked chapter by chapter."""
    pair = STEPS.get(key)
    if pair is None:
        return {"step": None}
    source, target = pair
    step = review.TRANSITIONS[pair]
    candidates = list(visible.filter(status=source).order_by("number"))
    reasons = review.blockers_of(candidates, target)
    return {
        "step": {
            "key": key,
            "label": step.label,
            "source": source,
            "target": target,
            "note_required": step.note_required,
        },
        "movable": [
            {"chapter": c, "checked": ticked is None or str(c.pk) in ticked}
            for c in candidates
            if not reasons[c.pk]
        ],
        "blocked": [{"chapter": c, "reasons": reasons[c.pk]} for c in candidates if reasons[c.pk]],
    }
