from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from handbook_review import clock
from handbook_review.http import AuthedRequest
from handbook_review.notifications.forms import PreferenceForm
from handbook_review.notifications.models import Notification, Preference

PER_PAGE = 50


def get_notification(request: AuthedRequest, pk: int) -> Notification:
    """One of the user's own notifications; anyone else's is a 404."""
    return get_object_or_404(Notification, pk=pk, recipient=request.user)


def notifications(request: AuthedRequest) -> HttpResponse:
    page = Paginator(
        Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "preference": Preference.of(request.user)},
    )


@require_POST
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    Notification.objects.filter(recipient=request.user).mark_read()
    return redirect("notifications:list")


def open_notification(request: AuthedRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = get_notification(request, pk)
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    # Links are paths into this site; anything else (never written by us) goes to the list.
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(notification.url)


@require_http_methods(["GET", "POST"])
def preferences(request: AuthedRequest) -> HttpResponse:
    preference = Preference.of(request.user)
    form = PreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "notifications/settings.html", {"form": form}, status=400)
        form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
