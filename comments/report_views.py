"""Report pages: the editors' dashboard, a counterpart's own review, the resolution matrix."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _

from chapters import policies as chapter_policies
from chapters.models import Handbook, Round
from chapters.views import get_handbook
from comments import policies, reports
from comments.reports.dispositions import disposition_board
from handbook_review import clock
from handbook_review.http import AuthedRequest

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


def resolution_matrix(request: AuthedRequest, slug: str, fmt: str) -> HttpResponse:
    """Every comment and suggestion with the editors' response, as XLSX or CSV."""
    book = get_editors_handbook(request, slug)
    now = clock.now()
    round_ = chosen_round(request, handbook_rounds(request, book), None)
    rows = reports.matrix_rows(reports.matrix_threads(book, request.user, round_=round_), book)
    stem = f"{book.slug}-resolution-matrix"
    if round_ is not None:
        stem += f"-{slugify(round_.name) or round_.pk}"
    filename = f"{stem}-{timezone.localtime(now):%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        content = reports.matrix_csv(rows)
        content_type = "text/csv; charset=utf-8"
    else:
        content = reports.matrix_xlsx(
            rows,
            title=reports.matrix_title(book, round_, now),
            sheet=round_.name if round_ else _("Resolution matrix"),
        )
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return HttpResponse(
        content,
        content_type=content_type,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
