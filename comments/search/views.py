"""The search page: /search/?q=words&filters; everything in the URL, so a search can be
bookmarked, shared and paged."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from comments.search import finding
from comments.search.folding import terms
from comments.search.forms import SearchForm
from handbook_review.http import AuthedRequest


@require_GET
def search(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(request.GET, user=request.user)
    results, words, query = None, [], ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        words = terms(query)
        if words:
            results = finding.search(
                request.user, words, form.filters(), page=request.GET.get("page", 1)
            )
    params = request.GET.copy()
    params.pop("page", None)
    more = params.copy()
    more.pop("kind", None)
    return render(
        request,
        "comments/search.html",
        {
            "form": form,
            "query": query,
            "words": words,
            "results": results,
            "without_page": params.urlencode(),
            "without_kind": more.urlencode(),
        },
    )
