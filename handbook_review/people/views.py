"""Account security: the second factor (enrol, verify, recovery codes, disable) and sessions."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from handbook_review import languages
from handbook_review.people import accounts, twofactor
from handbook_review.people.forms import CodeForm
from handbook_review.people.models import User

NEW_CODES = "twofactor_new_codes"


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


logout = twofactor.second_factor_not_required(auth_views.LogoutView.as_view())


class ChoosePasswordView(auth_views.PasswordResetConfirmView):
    """The page an invitation (or a password-reset link) opens: once the person has chosen a
    password they are logged in and land on the home page, not on the login form again. The
    second factor is asked as after any login: SecondFactorMiddleware sends whoever owes one
    to its prompt, or to enrolment, before the home page."""

    post_reset_login = True
    post_reset_login_backend = "handbook_review.people.backends.EmailBackend"
    success_url = reverse_lazy(settings.LOGIN_REDIRECT_URL)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is saved. You are logged in."))
        return response


@never_cache
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    has_app = twofactor.has_second_factor(user)
    return render(
        request,
        "people/security.html",
        {
            "has_app": has_app,
            "codes_left": twofactor.recovery_codes_left(user) if has_app else 0,
            "can_disable": has_app and not twofactor.must_enrol(user),
            "must_enrol": twofactor.must_enrol(user),
            "disable_form": CodeForm(auto_id="disable_%s"),
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT,
        },
    )


@twofactor.second_factor_not_required
@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app (or replace the one there is): scan the QR code or type the
    key, then confirm with a code from the app."""
    user = _user(request)
    if twofactor.has_second_factor(user) and not twofactor.is_verified(request):
        # Replacing the app is for whoever has given the current one, not for a stolen password.
        return redirect(reverse("twofactor_verify") + f"?next={reverse('twofactor_enrol')}")
    device = twofactor.pending_device(user)
    form = CodeForm(request.POST or None)
    status = 200
    if form.is_valid():
        if (why := twofactor.throttle_message(device)) is not None:
            form.add_error("code", why)
        else:
            codes = twofactor.confirm_enrolment(
                request=request, device=device, token=form.cleaned_data["code"]
            )
            if codes is not None:
                request.session[NEW_CODES] = codes
                messages.success(request, _("Two-factor authentication is on."))
                return redirect(reverse("twofactor_codes") + f"?next={_next(request)}")
            form.add_error("code", _("That code is not valid. Check the time on your phone."))
    if form.errors:
        status = 400
    return render(
        request,
        "people/enrol.html",
        {
            "form": form,
            "qr_code": twofactor.qr_code(device),
            "secret": twofactor.secret(device),
            "replacing": twofactor.has_second_factor(user),
            "must_enrol": twofactor.must_enrol(user),
            "next": request.GET.get("next") or request.POST.get("next", ""),
        },
        status=status,
    )


@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once: they are in the session only until this page."""
    codes = request.session.pop(NEW_CODES, None)
    if not codes:
        messages.info(request, _("Recovery codes are shown only once. You can make new ones here."))
        return redirect("twofactor_security")
    return render(request, "people/recovery_codes.html", {"codes": codes, "next": _next(request)})


@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    if not twofactor.has_second_factor(user):
        return redirect("twofactor_security")
    request.session[NEW_CODES] = twofactor.new_recovery_codes(user=user)
    return redirect("twofactor_codes")


@twofactor.second_factor_not_required
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The code prompt after a password login, for whoever has an authenticator app."""
    user = _user(request)
    if twofactor.is_verified(request) or not twofactor.has_second_factor(user):
        return redirect(_next(request))
    form = CodeForm(
        request.POST or None,
        help_text=_(
            "The six-digit code your authenticator app shows, or one of your recovery codes."
        ),
    )
    status = 200
    if form.is_valid():
        try:
            twofactor.verify(request=request, user=user, token=form.cleaned_data["code"])
        except twofactor.Refused as refused:
            form.add_error("code", refused.message)
            status = 429 if refused.throttled else 400
        else:
            return redirect(_next(request))
    elif form.errors:
        status = 400
    return render(
        request,
        "people/verify.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
        status=status,
    )


@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication off, with a current code as proof. Whoever must have it
    (editors, administrators) can only replace the app (enrol again), never remove it."""
    user = _user(request)
    if twofactor.must_enrol(user):
        messages.error(
            request,
            _("Editors and administrators must keep two-factor authentication on."),
        )
        return redirect("twofactor_security")
    if not twofactor.has_second_factor(user):
        return redirect("twofactor_security")
    form = CodeForm(request.POST, auto_id="disable_%s")
    if form.is_valid():
        try:
            twofactor.verify(request=request, user=user, token=form.cleaned_data["code"])
        except twofactor.Refused as refused:
            form.add_error("code", refused.message)
        else:
            twofactor.disable(user=user)
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("twofactor_security")
    return render(
        request,
        "people/security.html",
        {
            "has_app": True,
            "codes_left": twofactor.recovery_codes_left(user),
            "can_disable": True,
            "must_enrol": False,
            "disable_form": form,
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT,
        },
        status=400,
    )


@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every other session of this user; this one stays (it is where they asked)."""
    user = _user(request)
    accounts.end_sessions(user)
    update_session_auth_hash(request, user)
    messages.success(request, _("You have been logged out on every other device."))
    return redirect("twofactor_security")


# A language chosen before logging in (on the login page) is stored on the user at login.
CHOSEN_LANGUAGE = "chosen_language"


@login_not_required
@twofactor.second_factor_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language menu: remember the choice on the user (any device) and in a cookie.

    The login page's menu has no user yet: the choice waits in the session and is stored on the
    user when they log in (`remember_chosen_language`).
    """
    language = request.POST.get("language", "")
    target = _next(request)
    if language not in languages.CODES:
        messages.error(request, _("Choose one of the languages in the list."))
        return redirect(target)
    if request.user.is_authenticated and isinstance(request.user, User):
        accounts.choose_language(request.user, language)
    else:
        request.session[CHOSEN_LANGUAGE] = language
    # Django's own view checks `next` and sets the cookie as the LANGUAGE_COOKIE_* settings say.
    return i18n.set_language(request)


def remember_chosen_language(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """On login (user_logged_in): a language chosen on the login page becomes the user's."""
    language = request.session.pop(CHOSEN_LANGUAGE, None) if request is not None else None
    if language in languages.CODES:
        accounts.choose_language(user, language)
        translation.activate(language)
