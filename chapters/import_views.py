"""Importing a Word or Markdown draft: upload, preview (nothing written), confirm.

Between preview and confirm the parsed chapters wait in the "shared" cache (Redis, or the
database) under a random token that is bound to the editor and the handbook; the upload itself
is not sent back and forth. The confirm may reach another worker than the preview, so never the
per-process cache (a missing preview is reported as expired, never guessed).
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chapters.importing import (
    Action,
    ImportRefused,
    apply_import,
    max_bytes,
    plan_import,
    read_upload,
    refuse_if_too_large,
    size_label,
)
from chapters.models import Handbook, StaleVersion
from chapters.views import get_handbook, require_perm
from handbook_review.http import AuthedRequest

PREVIEW_TIMEOUT = 60 * 60  # seconds an editor has to confirm a preview


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Word or Markdown file"),
        help_text=gettext_lazy(
            "A .docx or .md file. Each top-level heading starts a chapter; a chapter whose title "
            "matches an existing one replaces its text as a new version."
        ),
        widget=forms.FileInput(attrs={"accept": ".docx,.md,.markdown"}),
    )


def _previews() -> BaseCache:
    return caches["shared"]


def _cache_key(request: AuthedRequest, book: Handbook, token: str) -> str:
    return f"chapter-import:{request.user.pk}:{book.pk}:{token}"


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


def import_upload(request: AuthedRequest, slug: str) -> HttpResponse:
    """The upload form; a POSTed file is read and previewed, and nothing is written."""
    book = get_handbook(request, slug)
    require_perm(request, "chapters.change_handbook")
    if request.method != "POST":
        return _upload_page(request, book, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, book, form, status=400)
    upload = form.cleaned_data["file"]
    name = upload.name or ""
    try:
        refuse_if_too_large(upload.size or 0)  # before reading it into memory
        chapters = read_upload(name, upload.read())
    except ImportRefused as refused:
        form.add_error("file", refused.message)
        return _upload_page(request, book, form, status=400)
    plan = plan_import(book, chapters)
    token = secrets.token_urlsafe(24)
    _previews().set(
        _cache_key(request, book, token),
        {
            "filename": name,
            "chapters": chapters,
            "seen_versions": {p.chapter.pk: p.chapter.version for p in plan if p.chapter},
        },
        timeout=PREVIEW_TIMEOUT,
    )
    counts = {action: sum(p.action == action for p in plan) for action in Action}
    context: dict[str, Any] = {
        "handbook": book,
        "filename": name,
        "plan": plan,
        "token": token,
        "new_count": counts[Action.NEW],
        "replace_count": counts[Action.REPLACE],
        "unchanged_count": counts[Action.UNCHANGED],
        "anything_to_do": counts[Action.NEW] + counts[Action.REPLACE] > 0,
    }
    return render(request, "chapters/import_preview.html", context)


@require_POST
def import_confirm(request: AuthedRequest, slug: str) -> HttpResponse:
    """Apply a previewed import, if the chapters it replaces are still as the preview showed."""
    book = get_handbook(request, slug)
    require_perm(request, "chapters.change_handbook")
    token = request.POST.get("token", "")
    key = _cache_key(request, book, token)
    stored = _previews().get(key) if token else None
    form = ImportForm()
    if stored is None:
        expired = _("This preview has expired. Upload the file again.")
        return _upload_page(request, book, form, status=400, error=expired)
    try:
        result = apply_import(
            book,
            stored["chapters"],
            by=request.user,
            filename=stored["filename"],
            seen_versions=stored["seen_versions"],
        )
    except ImportRefused as refused:
        _previews().delete(key)
        return _upload_page(request, book, form, status=409, error=refused.message)
    except (StaleVersion, IntegrityError):
        _previews().delete(key)
        raced = _(
            "Someone changed this handbook while the import was being saved. Nothing was "
            "imported; upload the file again to see a new preview."
        )
        return _upload_page(request, book, form, status=409, error=raced)
    _previews().delete(key)
    messages.success(
        request,
        _(
            "Imported %(file)s: %(created)s chapter(s) created, %(revised)s replaced, "
            "%(unchanged)s unchanged."
        )
        % {
            "file": stored["filename"],
            "created": len(result.created),
            "revised": len(result.revised),
            "unchanged": len(result.unchanged),
        },
    )
    return redirect(book)
