"""The page a counterpart reads when a chapter comes back in a new round: what changed since
the version their jurisdiction last reviewed, with their comments and the editors'
dispositions beside each changed passage (comments.rereview)."""

import re

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from chapters import policies as chapter_policies
from chapters.models import Chapter
from chapters.views import get_chapter
from comments import policies
from comments.rereview import SinceReview, last_reviewed_version, since_review
from handbook_review.http import AuthedRequest
from handbook_review.people.models import Jurisdiction

# A jurisdiction's code as people.Jurisdiction has them; anything else (a NUL byte, which
# PostgreSQL refuses in a query, a code longer than the column) is no jurisdiction.
CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")


def reviewing_jurisdiction(request: AuthedRequest, chap: Chapter) -> Jurisdiction | None:
    """Whose review the page is about: an editor's choice (?jurisdiction=<code>, None when
    not chosen yet), a counterpart's own jurisdiction; 404 for another one, or one that does
    not take part in the handbook."""
    code = request.GET.get("jurisdiction")
    if code and not CODE.fullmatch(code):
        raise Http404(_("There is no such jurisdiction in this handbook."))
    taking_part = chap.handbook.jurisdictions.all()
    if chapter_policies.handbooks.can(request.user, "see_drafts"):
        if not code:
            return None
        found = taking_part.filter(code=code).first()
    else:
        own = request.user.jurisdiction_id
        found = taking_part.filter(pk=own).first() if own is not None else None
        if found is not None and code and code != found.code:
            found = None
    if found is None:
        raise Http404(_("There is no such jurisdiction in this handbook."))
    return found


def since_review_page(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    chap = get_chapter(request, slug, pk)
    jurisdiction = reviewing_jurisdiction(request, chap)
    context = {"handbook": chap.handbook, "chapter": chap, "jurisdiction": jurisdiction}
    if jurisdiction is None:
        choices = chap.handbook.jurisdictions.order_by("name")
        return render(request, "comments/since_review.html", {**context, "choices": choices})
    reviewed = last_reviewed_version(chap, jurisdiction)
    found: SinceReview | None = None
    if reviewed is not None and reviewed.version != chap.version:
        theirs = (
            policies.threads.visible_to(request.user)
            .filter(chapter=chap, author_jurisdiction=jurisdiction)
            .select_related("author", "disposition")
        )
        found = since_review(chap, reviewed, theirs)
    return render(
        request,
        "comments/since_review.html",
        {**context, "reviewed": reviewed, "since": found, "chapter_url": chap.get_absolute_url()},
    )
