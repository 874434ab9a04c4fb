"""Throttling of logins (django-axes) and of password-reset requests (django-ratelimit).

Axes counts failed logins per account and per client address and refuses both, the right password
included, for a cool-off; the password-reset form is limited per e-mail address and per client
address. Neither tells whether an account exists: an unknown address is counted and refused
exactly as a known one."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import is_ratelimited

from handbook_review.people.forms import LoginForm


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our proxy the address it appended last."""
    if settings.CLIENT_IP_FROM_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR") or "")


def client_ip_for_ratelimit(request: HttpRequest) -> str:
    return client_ip(request) or "0.0.0.0"  # noqa: S104 (a key, not an address to bind)


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The e-mail address as the account is stored (lower case), so that "Ana@X" and "ana@x"
    count against the same account."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "")
    return str(value).strip().lower()


def cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute "
        "or ask an administrator to unlock your account.",
        "Too many failed attempts. Try again in %(minutes)d minutes "
        "or ask an administrator to unlock your account.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """Axes' lockout response: the login page again, with the message, as 429."""
    form = LoginForm(request, initial={"username": login_username(request, credentials)})
    return TemplateResponse(
        request,
        "registration/login.html",
        {"form": form, "locked_out": lockout_message(), "next": request.POST.get("next", "")},
        status=429,
    ).render()


def _reset_email(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


def password_reset_throttled(request: HttpRequest) -> bool:
    """Count this password-reset request against its e-mail address and its client address;
    True when either is over its rate."""
    by_email = is_ratelimited(
        request,
        group="password_reset:email",
        key=_reset_email,
        rate=settings.PASSWORD_RESET_RATE,
        method="POST",
        increment=True,
    )
    by_address = is_ratelimited(
        request,
        group="password_reset:ip",
        key="ip",
        rate=settings.PASSWORD_RESET_IP_RATE,
        method="POST",
        increment=True,
    )
    return by_email or by_address


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's password-reset form, refusing with 429 once an address asked too often."""

    def form_valid(self, form: Any) -> HttpResponse:
        if password_reset_throttled(self.request):
            form.add_error(
                None,
                _(
                    "Too many password reset requests. Please wait an hour before asking "
                    "again, or ask an administrator."
                ),
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)
