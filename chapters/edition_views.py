"""Editions: publish, read, compare with the previous one, export (made once, then served)."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from chapters import diffing, exporting, policies
from chapters.editions import (
    CannotPublish,
    ExportRefused,
    label_problems,
    publication_blockers,
    publish,
    request_export,
    sweep_exports,
)
from chapters.forms import ExportForm, PublishForm
from chapters.models import (
    Edition,
    EditionChapter,
    Export,
    ExportDownload,
    ExportFormat,
    ExportState,
    Handbook,
)
from chapters.views import get_handbook
from handbook_review import clock, confirming
from handbook_review.dates import day
from handbook_review.http import AuthedRequest


def get_edition(request: AuthedRequest, slug: str, label: str) -> Edition:
    return get_object_or_404(
        policies.editions.visible_to(request.user).select_related("handbook", "published_by"),
        handbook__slug=slug,
        label=label,
    )


def get_export(request: AuthedRequest, pk: int) -> Export:
    """An export of a handbook the user can see; exports are for editors (403 for others)."""
    export = get_object_or_404(
        policies.exports.visible_to(request.user).select_related("handbook", "edition"), pk=pk
    )
    policies.exports.require(request.user, "request")
    return export


def get_downloadable_export(request: AuthedRequest, pk: int) -> Export:
    """An export the user may download, else 404: a draft's for editors only, an edition's
    for whoever may read that edition."""
    return get_object_or_404(
        policies.exports.downloadable(request.user).select_related("handbook", "edition"), pk=pk
    )


def editions(request: AuthedRequest, slug: str) -> HttpResponse:
    """The handbook's editions, and (for editors) the form to publish the next one."""
    book = get_handbook(request, slug)
    can_publish = policies.editions.can(request.user, "publish")
    form = PublishForm(request.POST or None, initial={"date": clock.now().date()})
    status = 200
    if request.method == "POST":
        policies.editions.require(request.user, "publish")
        if confirming.going_back(request):
            form.is_valid()  # shown as typed, with any error
            return editions_page(request, book, form, can_publish=can_publish, status=200)
        if form.is_valid():
            for reason in label_problems(book, form.cleaned_data["label"]):
                form.add_error("label", reason)
            for reason in publication_blockers(book):
                form.add_error(None, reason)
        if form.is_valid():
            asked = confirm_publication(request, book, form.cleaned_data)
            if asked is not None:
                return asked
            try:
                edition = publish(
                    handbook=book,
                    label=form.cleaned_data["label"],
                    date=form.cleaned_data["date"],
                    release_notes=form.cleaned_data["release_notes"],
                    by=request.user,
                )
            except CannotPublish as refusal:
                for reason in refusal.reasons:
                    form.add_error(None, reason)
            else:
                messages.success(
                    request, _("Edition %(label)s is published.") % {"label": edition.label}
                )
                return redirect(edition)
        status = 400
    return editions_page(request, book, form, can_publish=can_publish, status=status)


def editions_page(
    request: AuthedRequest, book: Handbook, form: PublishForm, *, can_publish: bool, status: int
) -> HttpResponse:
    return render(
        request,
        "chapters/editions.html",
        {
            "handbook": book,
            "editions": book.editions.select_related("published_by").order_by("-published_at"),
            "form": form,
            "can_publish": can_publish,
            "blockers": publication_blockers(book) if can_publish else [],
            "can_export": policies.exports.can(request.user, "request"),
        },
        status=status,
    )


def confirm_publication(
    request: AuthedRequest, book: Handbook, data: dict[str, Any]
) -> HttpResponse | None:
    """The page that asks before an edition, which can never change, is made (None once the
    editor confirmed): what it will hold and what follows."""
    chapters = list(book.chapters.order_by("number"))
    return confirming.ask(
        request,
        title=_("Publish edition %(label)s of “%(title)s”?")
        % {"label": data["label"], "title": book.title},
        consequences=[
            ngettext(
                "The edition holds %(count)d chapter as it reads now, at its current version,"
                " dated %(date)s.",
                "The edition holds these %(count)d chapters as they read now, each at its"
                " current version, dated %(date)s.",
                len(chapters),
            )
            % {"count": len(chapters), "date": day(data["date"])},
            _(
                "An edition can never be changed or deleted afterwards, not even by an"
                " administrator: corrections go into a later edition."
            ),
            _("Everyone taking part in the handbook is notified."),
        ],
        listed=[
            _("%(number)s. %(title)s (version %(version)s)")
            % {"number": c.number, "title": c.title, "version": c.version}
            for c in chapters
        ],
        confirm=_("Publish edition %(label)s") % {"label": data["label"]},
        context={"handbook": book},
    )


@require_safe
def edition(request: AuthedRequest, slug: str, label: str) -> HttpResponse:
    ed = get_edition(request, slug, label)
    can_export = policies.exports.can(request.user, "request")
    exports: list[tuple[str, Any, Export | None]] = []
    if can_export:
        sweep_exports(handbook=ed.handbook)  # an export whose worker died shows as failed
        exports = exports_by_format(ed)
    return render(
        request,
        "chapters/edition.html",
        {
            "handbook": ed.handbook,
            "edition": ed,
            "chapters": ed.chapters.order_by("number"),
            "exports": exports if can_export else None,
            "can_export": can_export,
            # Some format not made yet, or failed: one button makes them all.
            "can_make_all": can_export
            and any(e is None or e.state == ExportState.FAILED for _v, _n, e in exports),
            # Readers of an edition may download the exports already made of it.
            "downloads": None
            if can_export
            else ed.exports.filter(state=ExportState.DONE).order_by("format"),
        },
    )


def exports_by_format(ed: Edition) -> list[tuple[str, Any, Export | None]]:
    made = {e.format: e for e in ed.exports.all()}
    return [(value, name, made.get(value)) for value, name in ExportFormat.choices]


@require_safe
def edition_chapter(request: AuthedRequest, slug: str, label: str, number: int) -> HttpResponse:
    ed = get_edition(request, slug, label)
    chapter = get_object_or_404(EditionChapter.objects.filter(edition=ed), number=number)
    numbers = list(ed.chapters.values_list("number", flat=True).order_by("number"))
    index = numbers.index(chapter.number)
    return render(
        request,
        "chapters/edition_chapter.html",
        {
            "handbook": ed.handbook,
            "edition": ed,
            "chapter_snapshot": chapter,
            "previous_number": numbers[index - 1] if index > 0 else None,
            "next_number": numbers[index + 1] if index + 1 < len(numbers) else None,
        },
    )


@require_safe
def edition_changes(request: AuthedRequest, slug: str, label: str) -> HttpResponse:
    """Changelog: word-level differences from the previous edition, chapter by chapter."""
    ed = get_edition(request, slug, label)
    if ed.previous_id is None:
        raise Http404(_("This is the first edition; there is nothing to compare it with."))
    previous = Edition.objects.get(pk=ed.previous_id)
    old = {c.chapter_id: c for c in previous.chapters.all()}
    changes = []
    for new in ed.chapters.order_by("number"):
        before = old.pop(new.chapter_id, None)
        if before is None:
            changes.append({"chapter": new, "kind": "added"})
        elif (before.title, before.body) == (new.title, new.body):
            changes.append({"chapter": new, "kind": "unchanged", "before": before})
        else:
            changes.append(
                {
                    "chapter": new,
                    "kind": "changed",
                    "before": before,
                    "title_diff": diffing.diff_html(before.title, new.title)
                    if before.title != new.title
                    else None,
                    "body_diff": diffing.diff_html(before.body, new.body),
                }
            )
    removed = sorted(old.values(), key=lambda c: c.number)
    return render(
        request,
        "chapters/edition_changes.html",
        {
            "handbook": ed.handbook,
            "edition": ed,
            "previous": previous,
            "changes": changes,
            "removed": removed,
        },
    )


@require_POST
def export_edition(request: AuthedRequest, slug: str, label: str) -> HttpResponse:
    ed = get_edition(request, slug, label)
    policies.exports.require(request.user, "request")
    form = ExportForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose one of the export formats."), status=400)
    try:
        export, queued = request_export(
            handbook=ed.handbook, edition=ed, format=form.cleaned_data["format"], by=request.user
        )
    except ExportRefused as refused:
        if request.htmx:
            return HttpResponse(refused.message, status=409)
        messages.error(request, refused.message)
        return redirect(ed)
    if request.htmx:
        return render(request, "chapters/edition.html#export", {"export": export, "edition": ed})
    if queued:
        messages.info(request, _("The export is being made; this page shows when it is ready."))
    return redirect(ed)


@require_POST
def export_edition_all(request: AuthedRequest, slug: str, label: str) -> HttpResponse:
    """Make every format of the edition in one go: each through request_export, which leaves
    alone a format made or being made and queues again one that failed (within its limits)."""
    ed = get_edition(request, slug, label)
    policies.exports.require(request.user, "request")
    started: list[str] = []
    refused: list[str] = []
    for value, name in ExportFormat.choices:
        try:
            _export, queued = request_export(
                handbook=ed.handbook, edition=ed, format=value, by=request.user
            )
        except ExportRefused as refusal:
            refused.append(
                _("%(format)s: %(reason)s") % {"format": name, "reason": refusal.message}
            )
            continue
        if queued:
            started.append(str(name))
    if started:
        messages.info(
            request,
            _("Being made now: %(formats)s. This page shows when they are ready.")
            % {"formats": ", ".join(started)},
        )
    elif not refused:
        messages.info(request, _("Every format is already made or being made."))
    for message in refused:
        messages.error(request, message)
    return redirect(ed)


def draft_exports(request: AuthedRequest, slug: str) -> HttpResponse:
    """Exports of the current working text, watermarked as drafts (editors)."""
    book = get_handbook(request, slug)
    policies.exports.require(request.user, "request")
    form = ExportForm(request.POST or None)
    status = 200
    sweep_exports(handbook=book)
    if request.method == "POST":
        if form.is_valid():
            request_export(
                handbook=book, edition=None, format=form.cleaned_data["format"], by=request.user
            )
            messages.info(request, _("The draft export is being made."))
            return redirect("chapters:draft_exports", book.slug)
        status = 400
    exports = (
        book.exports.filter(edition__isnull=True)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")[:50]
    )
    return render(
        request,
        "chapters/draft_exports.html",
        {"handbook": book, "form": form, "exports": exports},
        status=status,
    )


@require_safe
def export_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The export's state, as a fragment that polls itself until the export is done or failed."""
    export = get_export(request, pk)
    if export.state == ExportState.RUNNING and sweep_exports(handbook=export.handbook):
        export.refresh_from_db()
    return render(request, "chapters/edition.html#export", {"export": export})


@require_safe
def export_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Serve the stored file under a readable name, and record who took it; never regenerate
    it here. The file opened is the one the export's row names."""
    export = get_downloadable_export(request, pk)
    if export.state != ExportState.DONE or not export.file:
        raise Http404(_("This export is not ready."))
    try:
        handle = export.file.open("rb")
    except OSError as error:
        raise Http404(_("This export's file is missing.")) from error
    ExportDownload.objects.create(export=export, user=request.user)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=export.download_filename(),
        content_type=exporting.FORMATS[export.format][2],
    )
    response["Cache-Control"] = "private, no-store"
    return response
