"""Report pages: the editors' dashboard, a counterpart's own review, the disposition report."""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from chapters import policies as chapter_policies
from chapters.models import Handbook, Round
from chapters.views import get_handbook
from comments import policies, reports
from comments.models import Category
from comments.reports import disposition
from comments.reports.disposition_board import disposition_board
from comments.reports.waiting import waiting
from handbook_review import clock
from handbook_review.http import AuthedRequest
from handbook_review.people.models import Jurisdiction

# --- The home page


def home(request: AuthedRequest) -> HttpResponse:
    """The handbooks the user may read, each with what waits for them in it."""
    books = list(chapter_policies.handbooks.visible_to(request.user).order_by("title", "pk"))
    now = clock.now()
    return render(
        request,
        "home.html",
        {"waiting": waiting(books, request.user, at=now), "now": now},
    )


# --- Fetch-and-check helpers


def get_editors_handbook(request: AuthedRequest, slug: str) -> Handbook:
    """404 for a handbook the user cannot see; 403 for one they see but may not report on."""
    book = get_handbook(request, slug)
    if not policies.threads.can(request.user, "view_all"):
        raise PermissionDenied
    return book


ALL = "all"


def chosen_round(
    request: AuthedRequest, rounds: list[Round], default: Round | None
) -> Round | None:
    """`?round=<pk>` picks one of the handbook's rounds, `?round=all` the whole handbook; no
    choice means `default`. Anything else is not a page that exists."""
    value = request.GET.get("round", "")
    if value == "":
        return default
    if value == ALL:
        return None
    if value.isdigit():
        for candidate in rounds:
            if candidate.pk == int(value):
                return candidate
    raise Http404(_("No such review round."))


def handbook_rounds(request: AuthedRequest, book: Handbook) -> list[Round]:
    return list(
        chapter_policies.rounds.visible_to(request.user).filter(handbook=book).order_by("-opens_at")
    )


# --- Pages


def dashboard(request: AuthedRequest, slug: str) -> HttpResponse:
    """Editors' overview of a round: who commented where, what is decided, what blocks approval."""
    book = get_editors_handbook(request, slug)
    now = clock.now()
    rounds = handbook_rounds(request, book)
    round_ = chosen_round(request, rounds, reports.default_round(rounds, now))
    board = reports.dashboard(book, request.user, round_=round_, rounds=rounds)
    bars, chart_height = reports.chart(board.participation)
    dispositions = disposition_board(
        book,
        request.user,
        round_=round_,
        category=request.GET.get("type", ""),
        show=request.GET.get("show", ""),
    )
    return render(
        request,
        "comments/dashboard.html",
        {
            "handbook": book,
            "board": board,
            "bars": bars,
            "chart_height": chart_height,
            "chart_label_x": reports.CHART_LABEL_WIDTH - 8,
            "chart_width": reports.CHART_LABEL_WIDTH + reports.CHART_BAR_WIDTH + 70,
            "round": round_,
            "round_state": round_.state(now) if round_ else None,
            "time_left": reports.time_left(round_, now) if round_ else "",
            "chosen": str(round_.pk) if round_ else ALL,
            "all_value": ALL,
            "round_query": f"?round={round_.pk}" if round_ else "",
            "report_types": Category.choices,
            "now": now,
            "dispositions": dispositions,
        },
    )


def my_review(request: AuthedRequest, slug: str) -> HttpResponse:
    """A participant's own page: rounds open to their jurisdiction, and what became of what
    they wrote."""
    book = get_handbook(request, slug)
    now = clock.now()
    return render(
        request,
        "comments/my_review.html",
        {
            "handbook": book,
            "review": reports.my_review(book, request.user, at=now),
            "jurisdiction": request.user.jurisdiction,
            "can_coordinate": policies.ballots.can(request.user, "coordinate"),
            "now": now,
        },
    )


# --- The disposition report (the resolution matrix's URLs lead here)

REPORT_FORMATS = {
    "xlsx": (
        disposition.to_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "csv": (disposition.to_csv, "text/csv; charset=utf-8"),
    "pdf": (disposition.to_pdf, "application/pdf"),
    "docx": (
        disposition.to_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
}
SCOPES = ("round", "chapter", "edition")


def number(request: AuthedRequest, name: str) -> int:
    value = request.GET[name]
    if not value.isdigit() or len(value) > 18:
        raise BadRequest(_("%(name)s must be a number.") % {"name": name})
    return int(value)


def report_scope(request: AuthedRequest, book: Handbook) -> disposition.Scope:
    """`?round=<id>` (or `all`), `?chapter=<id>` or `?edition=<id>`, one of them; none is the
    whole handbook. 404 for one the user cannot see or of another handbook, 400 for nonsense."""
    given = [name for name in SCOPES if request.GET.get(name, "") != ""]
    if len(given) > 1:
        raise BadRequest(_("Choose one of a round, a chapter or an edition."))
    if not given or request.GET.get("round") == ALL:
        return disposition.Scope(handbook=book)
    name = given[0]
    pk = number(request, name)
    if name == "round":
        round_ = chapter_policies.rounds.visible_to(request.user).filter(handbook=book, pk=pk)
        return disposition.Scope(handbook=book, round=get_object_or_404(round_))
    if name == "chapter":
        chapter = chapter_policies.chapters.visible_to(request.user).filter(handbook=book, pk=pk)
        return disposition.Scope(handbook=book, chapter=get_object_or_404(chapter))
    edition = chapter_policies.editions.visible_to(request.user).filter(handbook=book, pk=pk)
    return disposition.Scope.of_edition(
        get_object_or_404(edition.select_related("handbook", "previous"))
    )


def report_filters(
    request: AuthedRequest, jurisdiction: Jurisdiction | None = None
) -> disposition.Filters:
    """`?type=general|technical|editorial` and `?essential=1`."""
    category = request.GET.get("type", "")
    if category and category not in Category.values:
        raise BadRequest(_("No such type of comment."))
    essential = request.GET.get("essential", "")
    if essential not in ("", "0", "1"):
        raise BadRequest(_("essential must be 1 or 0."))
    return disposition.Filters(
        category=category, essential=essential == "1", jurisdiction=jurisdiction
    )


def report_response(report: disposition.Report, fmt: str) -> HttpResponse:
    make, content_type = REPORT_FORMATS[fmt]
    return HttpResponse(
        make(report),
        content_type=content_type,
        headers={
            "Content-Disposition": content_disposition_header(True, report.filename(fmt)),
            "Cache-Control": "private, no-store",
        },
    )


def disposition_report(request: AuthedRequest, slug: str, fmt: str) -> HttpResponse:
    """What became of every comment and suggestion of a round, a chapter or an edition: for
    editors, as XLSX, CSV, PDF or DOCX."""
    book = get_editors_handbook(request, slug)
    scope = report_scope(request, book)
    report = disposition.build(scope, request.user, report_filters(request), at=clock.now())
    return report_response(report, fmt)


def jurisdiction_report(request: AuthedRequest, slug: str, code: str, fmt: str) -> HttpResponse:
    """One jurisdiction's part of the report ("what happened to our comments"): its coordinators
    and the editors. A jurisdiction not taking part in the handbook is not found."""
    book = get_handbook(request, slug)
    jurisdiction = get_object_or_404(book.jurisdictions, code__iexact=code)
    if not policies.reports.may_report_on(request.user, jurisdiction):
        raise PermissionDenied
    scope = report_scope(request, book)
    filters = report_filters(request, jurisdiction)
    report = disposition.build(scope, request.user, filters, at=clock.now())
    return report_response(report, fmt)


def resolution_matrix(request: AuthedRequest, slug: str, fmt: str) -> HttpResponse:
    """The old comment resolution matrix is the disposition report now: the same scope, there."""
    book = get_editors_handbook(request, slug)
    address = reverse(f"comments:disposition_report_{fmt}", args=[book.slug])
    query = request.GET.urlencode()
    return HttpResponseRedirect(f"{address}?{query}" if query else address)
