"""The Word round trip's pages: download a review copy (of a chapter, or of every chapter of a
handbook the user may review), upload a reviewed copy, see what was found in it, confirm all or
some of it once."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from chapters import policies as chapter_policies
from chapters.exporting import ExportError
from chapters.models import Chapter, Handbook
from chapters.views import get_chapter, get_handbook
from chapters.wordfile import max_bytes, refuse_if_too_large, size_label
from chapters.wordsplit import ImportRefused
from comments import policies, wordcopy
from comments.actions import AlreadyConfirmed, confirm_word_review
from comments.models import NotAllowed, WordReview, WordReviewState
from handbook_review.http import AuthedRequest


class WordUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Reviewed Word copy"),
        help_text=gettext_lazy(
            "A review copy downloaded from this site, with your comments and tracked changes."
        ),
        widget=forms.FileInput(attrs={"accept": ".docx"}),
    )


def _docx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=wordcopy.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _copy(request: AuthedRequest, book: Handbook, chapters: list[Chapter]) -> HttpResponse:
    try:
        data = wordcopy.review_copy(book, chapters, request.user)
    except ExportError:
        return HttpResponse(_("The review copy could not be made. Try again later."), status=503)
    return _docx(data, wordcopy.copy_filename(book, chapters))


def review_copy(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The chapter's review copy: for editors, and counterparts while a round invites them."""
    chap = get_chapter(request, slug, pk)
    if not policies.threads.may_comment(request.user, chap):
        raise PermissionDenied
    return _copy(request, chap.handbook, [chap])


def handbook_review_copy(request: AuthedRequest, slug: str) -> HttpResponse:
    """Every chapter of the handbook the user may review now, in one review copy."""
    book = get_handbook(request, slug)
    chapters = [
        c
        for c in chapter_policies.chapters.visible_to(request.user)
        .filter(handbook=book)
        .select_related("handbook")
        .order_by("number")
        if policies.threads.may_comment(request.user, c)
    ]
    if not chapters:
        raise PermissionDenied
    return _copy(request, book, chapters)


def _upload_page(
    request: AuthedRequest, book: Handbook, form: WordUploadForm, *, status: int = 200
) -> HttpResponse:
    context = {"handbook": book, "form": form, "max_size": size_label(max_bytes())}
    return render(request, "comments/word_upload.html", context, status=status)


def word_upload(request: AuthedRequest, slug: str) -> HttpResponse:
    """The upload form; a POSTed reviewed copy is read (nothing is created) and previewed."""
    book = get_handbook(request, slug)
    if not policies.threads.can(request.user, "add"):
        raise PermissionDenied
    if request.method != "POST":
        return _upload_page(request, book, WordUploadForm())
    form = WordUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, book, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        refuse_if_too_large(upload.size or 0)
        review = wordcopy.read_upload(
            handbook=book, name=upload.name or "", data=upload.read(), by=request.user
        )
    except ImportRefused as refused:
        form.add_error("file", refused.message)
        return _upload_page(request, book, form, status=400)
    return redirect(review)


def get_word_review(request: AuthedRequest, slug: str, pk: int) -> tuple[Handbook, WordReview]:
    """The handbook and one of the user's own uploads into it (404 for anyone else's)."""
    book = get_handbook(request, slug)
    review = get_object_or_404(WordReview, handbook=book, pk=pk)
    if review.uploaded_by_id != request.user.pk:
        raise Http404(_("No such reviewed copy."))
    return book, review


def word_review(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """What the upload holds and where each item would land; or what confirming made."""
    book, review = get_word_review(request, slug, pk)
    planned = wordcopy.plan(review, request.user) if review.state == WordReviewState.READ else []
    comments = sum(p.item["kind"] != "change" for p in planned)
    changes = len(planned) - comments
    context = {
        "handbook": book,
        "review": review,
        "planned": planned,
        "comment_count": comments,
        "change_count": changes,
        "creatable": sum(p.action != "none" for p in planned),
        "untracked": review.found.get("untracked", 0),
        "result": review.result,
    }
    return render(request, "comments/word_review.html", context)


@require_POST
def word_confirm(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Create the chosen items, once."""
    _book, review = get_word_review(request, slug, pk)
    chosen = {int(n) for n in request.POST.getlist("item") if n.isdigit()}
    try:
        result = confirm_word_review(review=review, by=request.user, chosen=chosen)
    except AlreadyConfirmed:
        messages.info(
            request, _("This reviewed copy was already confirmed; nothing was created again.")
        )
        return redirect(review)
    except NotAllowed as error:
        messages.error(request, str(error))
        return redirect(review)
    made = len(result.threads) + len(result.general)
    messages.success(
        request,
        " ".join(
            [
                ngettext("%(n)s comment thread created,", "%(n)s comment threads created,", made)
                % {"n": made},
                ngettext("%(n)s suggestion,", "%(n)s suggestions,", len(result.suggestions))
                % {"n": len(result.suggestions)},
                ngettext("%(n)s reply.", "%(n)s replies.", len(result.replies))
                % {"n": len(result.replies)},
            ]
        ),
    )
    return redirect(review)
