"""Importing a Word or Markdown draft: upload, read in the background, preview, confirm.

The upload is checked quickly and stored; a worker reads it (pandoc runs there, with limits,
never inside a request) and keeps the chapters on the ImportJob row, so every web process shows
the same preview. The job page polls (htmx) while the file is being read. Confirming applies
the import once; a second confirm says it was already applied.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chapters import policies
from chapters.import_jobs import AlreadyApplied, confirm_import, start_import, sweep_imports
from chapters.importing import Action, chapters_from_json, plan_import
from chapters.models import Handbook, ImportJob, JobState, StaleVersion
from chapters.views import get_handbook
from chapters.wordfile import max_bytes, refuse_if_too_large, size_label
from chapters.wordsplit import ImportRefused
from handbook_review.http import AuthedRequest


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Word or Markdown file"),
        help_text=gettext_lazy(
            "A .docx or .md file. Each top-level heading starts a chapter; a chapter whose title "
            "matches an existing one replaces its text as a new version."
        ),
        widget=forms.FileInput(attrs={"accept": ".docx,.md,.markdown"}),
    )


def _upload_page(
    request: AuthedRequest,
    book: Handbook,
    form: ImportForm,
    *,
    status: int = 200,
    error: str | None = None,
) -> HttpResponse:
    context = {
        "handbook": book,
        "form": form,
        "error": error,  # why a confirmed import did not happen
        "max_size": size_label(max_bytes()),
    }
    return render(request, "chapters/import.html", context, status=status)


def get_import_job(request: AuthedRequest, slug: str, pk: int) -> tuple[Handbook, ImportJob]:
    """The handbook and one of the user's own imports into it (404 for anyone else's)."""
    book = get_handbook(request, slug)
    job = get_object_or_404(ImportJob.objects.select_related("handbook"), handbook=book, pk=pk)
    policies.handbooks.require(request.user, "import")
    if job.uploaded_by_id != request.user.pk:
        raise Http404(_("No such import."))  # another editor's: theirs alone
    return book, job


def import_upload(request: AuthedRequest, slug: str) -> HttpResponse:
    """The upload form; a POSTed file is checked, stored and queued to be read."""
    book = get_handbook(request, slug)
    policies.handbooks.require(request.user, "import")
    if request.method != "POST":
        return _upload_page(request, book, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, book, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        refuse_if_too_large(upload.size or 0)  # before reading it into memory
        job = start_import(
            handbook=book, name=upload.name or "", data=upload.read(), by=request.user
        )
    except ImportRefused as refused:
        form.add_error("file", refused.message)
        return _upload_page(request, book, form, status=400)
    return redirect(job)


def import_job(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Reading the file (polls), its error, or its preview: what confirming would do."""
    book, job = get_import_job(request, slug, pk)
    if job.state == JobState.RUNNING:
        sweep_imports()
        job.refresh_from_db()
    reading = job.state in (JobState.QUEUED, JobState.RUNNING)
    if request.htmx and request.GET.get("poll"):
        if reading:
            return render(request, "chapters/import_job.html#reading", {"job": job})
        response = HttpResponse()
        response["HX-Refresh"] = "true"  # read: the whole page changes to the preview or error
        return response
    context: dict[str, Any] = {"handbook": book, "job": job, "reading": reading}
    if job.state == JobState.FAILED:
        context.update(form=ImportForm(), max_size=size_label(max_bytes()))
    if job.state == JobState.DONE and job.applied_at is None and job.preview is not None:
        plan = plan_import(book, chapters_from_json(job.preview))
        counts = {action: sum(p.action == action for p in plan) for action in Action}
        context.update(
            plan=plan,
            # What this preview showed: confirming refuses if one of them moved on since.
            versions=json.dumps({p.chapter.pk: p.chapter.version for p in plan if p.chapter}),
            new_count=counts[Action.NEW],
            replace_count=counts[Action.REPLACE],
            unchanged_count=counts[Action.UNCHANGED],
            anything_to_do=counts[Action.NEW] + counts[Action.REPLACE] > 0,
        )
    return render(request, "chapters/import_job.html", context)


def _seen_versions(raw: str) -> dict[int, int] | None:
    try:
        parsed = json.loads(raw)
        return {int(k): int(v) for k, v in parsed.items()}
    except (ValueError, TypeError, AttributeError):
        return None


@require_POST
def import_confirm(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Apply a previewed import once, if the chapters it replaces are still as it showed."""
    book, job = get_import_job(request, slug, pk)
    form = ImportForm()
    seen = _seen_versions(request.POST.get("versions", ""))
    if seen is None:
        return _upload_page(
            request,
            book,
            form,
            status=400,
            error=_("This confirmation is incomplete. Open the preview again and confirm it."),
        )
    try:
        result = confirm_import(job=job, by=request.user, seen_versions=seen)
    except AlreadyApplied:
        messages.info(request, _("This import was already applied; nothing was imported again."))
        return redirect(book)
    except ImportRefused as refused:
        return _upload_page(request, book, form, status=409, error=refused.message)
    except (StaleVersion, IntegrityError):
        raced = _(
            "Someone changed this handbook while the import was being saved. Nothing was "
            "imported; upload the file again to see a new preview."
        )
        return _upload_page(request, book, form, status=409, error=raced)
    messages.success(
        request,
        _(
            "Imported %(file)s: %(created)s chapter(s) created, %(revised)s replaced, "
            "%(unchanged)s unchanged."
        )
        % {
            "file": job.filename,
            "created": len(result.created),
            "revised": len(result.revised),
            "unchanged": len(result.unchanged),
        },
    )
    return redirect(book)
