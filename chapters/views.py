import logging
import uuid
from io import BytesIO
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
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
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from chapters import diffing, policies, rendering
from chapters.forms import ChapterCreateForm, ChapterEditForm, set_upload_url
from chapters.images import ImageRefused, reencode_image
from chapters.models import (
    IMAGE_EXTENSIONS,
    IMAGE_FILENAME,
    Chapter,
    Handbook,
    NothingChanged,
    StaleVersion,
    StoredImage,
    image_key,
)
from handbook_review.http import AuthedRequest

log = logging.getLogger(__name__)

# --- Fetch-and-check helpers: 404 for what the user may not see, 403 for what they may not change.


def get_handbook(request: AuthedRequest, slug: str) -> Handbook:
    return get_object_or_404(policies.handbooks.visible_to(request.user), slug=slug)


def get_chapter(request: AuthedRequest, slug: str, pk: int) -> Chapter:
    return get_object_or_404(
        policies.chapters.visible_to(request.user).select_related("handbook"),
        handbook__slug=slug,
        pk=pk,
    )


def get_version(chapter: Chapter, number: Any) -> Any:
    try:
        return chapter.history.select_related("history_user", "credited_to").get(
            version=int(number)
        )
    except (TypeError, ValueError, chapter.history.model.DoesNotExist) as error:
        raise Http404(_("No such version.")) from error


def chapter_upload_url(chap: Chapter) -> str:
    return reverse("chapters:upload_chapter_image", args=[chap.handbook.slug, chap.pk])


# --- Pages


def add_chapter(request: AuthedRequest, slug: str) -> HttpResponse:
    book = get_handbook(request, slug)
    policies.handbooks.require(request.user, "add_chapter")
    form = ChapterCreateForm(
        request.POST or None,
        instance=Chapter(handbook=book),
        initial={"number": book.next_chapter_number()},
    )
    set_upload_url(form, reverse("chapters:upload_image", args=[book.slug]), language=book.language)
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
    policies.chapters.require(request.user, "edit")
    stale_diff = None
    if request.method != "POST":
        form = ChapterEditForm.for_chapter(chap)
        set_upload_url(form, chapter_upload_url(chap), language=chap.handbook.language)
        return render(request, "chapters/chapter_edit.html", {"chapter": chap, "form": form})
    form = ChapterEditForm(request.POST)
    set_upload_url(form, chapter_upload_url(chap), language=chap.handbook.language)
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
    policies.handbooks.require(request.user, "reorder")
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
            "can_restore": policies.chapters.can(request.user, "restore"),
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
    policies.chapters.require(request.user, "restore")
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
    policies.chapters.require(request.user, "edit")
    content = request.POST.get("content", "")
    if len(content.encode("utf-8")) > settings.CHAPTER_BODY_MAX_BYTES:
        return HttpResponseBadRequest(_("The text is too long to preview."))
    return HttpResponse(rendering.markdownify(content))


@require_POST
def upload_image(request: AuthedRequest, slug: str, pk: int | None = None) -> HttpResponse:
    """Store an image for a handbook's chapter (the editor's upload endpoint, per handbook)."""
    if not policies.chapters.can(request.user, "upload_image"):
        return JsonResponse({"image": [_("Only editors may upload images.")]}, status=403)
    book = policies.handbooks.visible_to(request.user).filter(slug=slug).first()
    chap = None
    if book is not None and pk is not None:
        chap = policies.chapters.visible_to(request.user).filter(handbook=book, pk=pk).first()
    if book is None or (pk is not None and chap is None):
        return JsonResponse({"image": [_("There is no such handbook or chapter.")]}, status=404)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"image": [_("Choose an image to upload.")]}, status=400)
    if upload.size is None or upload.size > settings.MARKDOWNX_UPLOAD_MAX_SIZE:
        return JsonResponse({"image": [_("Images may be at most 5 MB.")]}, status=400)
    try:
        data, kind, width, height = reencode_image(BytesIO(upload.read()))
    except ImageRefused as refusal:
        return JsonResponse({"image": [str(refusal)]}, status=400)
    key = uuid.uuid4()
    name = f"images/{key.hex}.{kind}"
    try:
        stored = default_storage.save(name, ContentFile(data))
    except OSError:
        log.exception("Storing the image %s failed", name)
        _remove_quietly(name)
        return JsonResponse(
            {
                "image": [
                    _(
                        "The image could not be stored: the server's storage is full or "
                        "failing. Nothing was saved; try again later."
                    )
                ]
            },
            status=507,
        )
    try:
        StoredImage.objects.create(
            uuid=key,
            handbook=book,
            chapter=chap,
            name=stored,
            content_type=IMAGE_EXTENSIONS[kind],
            width=width,
            height=height,
            size=len(data),
            uploaded_by=request.user,
        )
    except Exception:
        _remove_quietly(stored)
        raise
    return JsonResponse({"image_code": f"![]({settings.MEDIA_URL}{stored})"})


def _remove_quietly(name: str) -> None:
    """Leave no empty or partial file behind."""
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        log.exception("Could not remove the partial file %s", name)


@require_safe
def media(request: AuthedRequest, filename: str) -> FileResponse:
    """A chapter image, for whoever may read what it belongs to (404 for anyone else).

    The URL only names the image; the file opened is the one its row names.
    """
    if not IMAGE_FILENAME.fullmatch(filename):
        raise Http404
    image = (
        StoredImage.objects.filter(uuid=image_key(filename), name=f"images/{filename}")
        .select_related("handbook")
        .first()
    )
    if image is None or not policies.images.can_see(request.user, image):
        raise Http404
    try:
        handle = default_storage.open(image.name, "rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
