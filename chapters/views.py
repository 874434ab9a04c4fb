import mimetypes
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from PIL import Image, UnidentifiedImageError

from chapters import diffing, rendering
from chapters.forms import ChapterCreateForm, ChapterEditForm
from chapters.models import (
    Chapter,
    Handbook,
    NothingChanged,
    StaleVersion,
)
from handbook_review.http import AuthedRequest

# --- Fetch-and-check helpers: 404 for what the user may not see, 403 for what they may not change.


def get_handbook(request: AuthedRequest, slug: str) -> Handbook:
    return get_object_or_404(Handbook.objects.visible_to(request.user), slug=slug)


def get_chapter(request: AuthedRequest, slug: str, pk: int) -> Chapter:
    return get_object_or_404(
        Chapter.objects.visible_to(request.user).select_related("handbook"),
        handbook__slug=slug,
        pk=pk,
    )


def require_perm(request: AuthedRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def get_version(chapter: Chapter, number: Any) -> Any:
    try:
        return chapter.history.select_related("history_user", "credited_to").get(
            version=int(number)
        )
    except (TypeError, ValueError, chapter.history.model.DoesNotExist) as error:
        raise Http404(_("No such version.")) from error


# --- Pages


def home(request: AuthedRequest) -> HttpResponse:
    handbooks = Handbook.objects.visible_to(request.user)
    return render(request, "chapters/home.html", {"handbooks": handbooks})


def add_chapter(request: AuthedRequest, slug: str) -> HttpResponse:
    book = get_handbook(request, slug)
    require_perm(request, "chapters.add_chapter")
    form = ChapterCreateForm(
        request.POST or None,
        instance=Chapter(handbook=book),
        initial={"number": book.next_chapter_number()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                chap = book.add_chapter(
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    number=form.cleaned_data["number"],
                    by=request.user,
                )
        except IntegrityError:
            # Another editor took the number between validation and save.
            form.add_error("number", _("Another chapter of this handbook has this number."))
        else:
            messages.success(request, _("Chapter created."))
            return redirect(chap)
    status = 400 if form.errors else 200
    return render(
        request, "chapters/chapter_add.html", {"handbook": book, "form": form}, status=status
    )


def edit_chapter(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    require_perm(request, "chapters.change_chapter")
    stale_diff = None
    if request.method != "POST":
        form = ChapterEditForm.for_chapter(chap)
        return render(request, "chapters/chapter_edit.html", {"chapter": chap, "form": form})
    form = ChapterEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            chap.revise(
                title=data["title"],
                body=data["body"],
                by=request.user,
                reason=data["reason"],
                base_version=data["base_version"],
            )
        except StaleVersion as stale:
            chap.refresh_from_db()
            form.add_error(
                None,
                _(
                    "This chapter was changed by someone else while you were editing "
                    "(you started from version %(base)s; it is now at version %(current)s). "
                    "Nothing was saved. Your text is kept below: compare it with the current "
                    "text, merge, and save again."
                )
                % {"base": data["base_version"], "current": stale.current},
            )
            stale_diff = diffing.diff_html(chap.body, data["body"])
        except NothingChanged:
            form.add_error(None, _("Nothing to save: the title and text are unchanged."))
        else:
            messages.success(request, _("Saved as version %(v)s.") % {"v": chap.version})
            return redirect(chap)
    return render(
        request,
        "chapters/chapter_edit.html",
        {
            "chapter": chap,
            "form": form,
            "stale_diff": stale_diff,
            "stale_base": form.data.get("base_version"),
        },
        status=409 if stale_diff is not None else 400,
    )


@require_POST
def move_chapter(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    require_perm(request, "chapters.change_chapter")
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponseBadRequest(_("Direction must be “up” or “down”."))
    chap.handbook.move_chapter(chap, offset=offset)
    return redirect(chap.handbook)


def history(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    versions = list(chap.versions())
    return render(
        request,
        "chapters/history.html",
        {
            "chapter": chap,
            "versions": versions,
            "can_restore": request.user.has_perm("chapters.change_chapter"),
        },
    )


def compare(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    newest = chap.version
    a = get_version(chap, request.GET.get("from", max(newest - 1, 1)))
    b = get_version(chap, request.GET.get("to", newest))
    context = {
        "chapter": chap,
        "a": a,
        "b": b,
        "numbers": range(newest, 0, -1),
        "title_diff": diffing.diff_html(a.title, b.title) if a.title != b.title else None,
        "body_diff": diffing.diff_html(a.body, b.body),
    }
    template = "chapters/compare.html#diff" if request.htmx else "chapters/compare.html"
    return render(request, template, context)


@require_POST
def restore(request: AuthedRequest, slug: str, pk: int, number: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    require_perm(request, "chapters.change_chapter")
    old = get_version(chap, number)
    try:
        base_version = int(request.POST.get("base_version", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The form is missing the version it was made on."))
    try:
        chap.restore(old.version, by=request.user, base_version=base_version)
    except StaleVersion:
        messages.error(
            request,
            _("The chapter changed while you were looking at it; nothing was restored."),
        )
        return redirect("chapters:history", slug, chap.pk)
    except NothingChanged:
        messages.info(request, _("Version %(v)s is the same as the current text.") % {"v": number})
        return redirect(chap)
    messages.success(
        request,
        _("Version %(old)s restored as version %(new)s.") % {"old": number, "new": chap.version},
    )
    return redirect(chap)


# --- Markdown editor endpoints (django-markdownx), behind our own checks.


@require_POST
def markdown_preview(request: AuthedRequest) -> HttpResponse:
    require_perm(request, "chapters.change_chapter")
    content = request.POST.get("content", "")
    if len(content.encode("utf-8")) > settings.CHAPTER_BODY_MAX_BYTES:
        return HttpResponseBadRequest(_("The text is too long to preview."))
    return HttpResponse(rendering.markdownify(content))


ALLOWED_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


@require_POST
def upload_image(request: AuthedRequest) -> HttpResponse:
    """Store an image for a chapter, if it is really an image (judged by content, not by name)."""
    if not request.user.has_perm("chapters.upload_image"):
        return JsonResponse({"image": [_("Only editors may upload images.")]}, status=403)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"image": [_("Choose an image to upload.")]}, status=400)
    if upload.size is None or upload.size > settings.MARKDOWNX_UPLOAD_MAX_SIZE:
        return JsonResponse(
            {"image": [_("Images may be at most 5 MB.")]},
            status=400,
        )
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = ALLOWED_IMAGE_FORMATS.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind is None:
        return JsonResponse(
            {"image": [_("This file is not a PNG, JPEG, GIF or WebP image.")]}, status=400
        )
    upload.seek(0)
    name = default_storage.save(f"images/{uuid.uuid4().hex}.{kind}", upload)
    url = settings.MEDIA_URL + name
    return JsonResponse({"image_code": f"![]({url})"})


def media(request: AuthedRequest, path: str) -> FileResponse:
    """Uploaded images, for logged-in users only (the content is not public)."""
    if not path.startswith("images/"):
        raise Http404
    try:
        if not default_storage.exists(path):
            raise Http404
        handle = default_storage.open(path, "rb")
    except SuspiciousFileOperation as error:
        raise Http404 from error
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
