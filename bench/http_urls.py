"""The application's URLs and one more for bench/run.py --http: `/bench/constant/`, a login-required
view that returns four bytes, the floor of what any page can cost on the same server (the
middleware, the session and the user, without the page's own work). Only the bench's own
gunicorn serves it (bench/http_settings.py); the application never names this module."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from handbook_review.urls import urlpatterns as application


@login_required
def constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"four", content_type="text/plain")


urlpatterns = [path("bench/constant/", constant), *application]
