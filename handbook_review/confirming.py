"""Asking before an irreversible step: a page that says what will happen, carrying what the
person typed, with a button to do it and one to go back to the form (nothing typed is lost).

A view calls `ask` once its form is valid and nothing refuses the step: it answers None when
the person confirmed (the POST carries confirmed=1), else the page to show."""

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise

CONFIRMED = "confirmed"
BACK = "back"  # the "Back to the form" button: the view shows its form again, filled in


def going_back(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get(BACK) == "1"


def ask(
    request: HttpRequest,
    *,
    title: str | Promise,
    consequences: Sequence[str | Promise],
    confirm: str | Promise,
    listed: Sequence[str] = (),
    context: dict[str, object] | None = None,
) -> HttpResponse | None:
    if request.POST.get(CONFIRMED) == "1":
        return None
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED, BACK)
        for value in values
    ]
    return render(
        request,
        "confirm.html",
        {
            **(context or {}),
            "title": title,
            "consequences": consequences,
            "listed": listed,
            "confirm_label": confirm,
            "carried": carried,
            "action": request.get_full_path(),
        },
    )
