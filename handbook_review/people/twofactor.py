"""The second factor: a TOTP app (django-otp's TOTPDevice) with ten one-time recovery codes
(its StaticDevice), who must give it, and the middleware that holds a session back until it has.

Editors and administrators must enrol when REQUIRE_2FA is on; anyone who has enrolled is asked for
a code at every login. Devices are created, confirmed and deleted through the ORM, so that
django-otp's models send their save and delete signals. Passkeys (WebAuthn) are not offered:
django-otp has no plugin for them."""

from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from handbook_review.people import audit
from handbook_review.people.models import AuditEvent, Role, User

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
PRIVILEGED = (Role.EDITOR.value, Role.ADMINISTRATOR.value)


def second_factor_not_required[V: Callable[..., Any]](view: V) -> V:
    """Mark a view that a session owing its second factor may still open (login, verify, enrol,
    logout)."""
    view.second_factor_not_required = True  # type: ignore[attr-defined]
    return view


def is_privileged(user: User) -> bool:
    annotated = getattr(user, "is_privileged", None)
    if annotated is not None:
        return bool(annotated)
    return user.groups.filter(name__in=PRIVILEGED).exists()


def has_second_factor(user: User) -> bool:
    """Whether the user has a confirmed authenticator app."""
    annotated = getattr(user, "has_second_factor", None)
    if annotated is not None:
        return bool(annotated)
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_enrol(user: User) -> bool:
    """Editors and administrators must have a second factor when REQUIRE_2FA is on."""
    return bool(settings.REQUIRE_2FA) and is_privileged(user)


def second_factor_required(user: User) -> bool:
    """Whether a session of this user must pass a second factor before it sees the app."""
    return has_second_factor(user) or must_enrol(user)


def is_verified(request: HttpRequest) -> bool:
    user = request.user
    return bool(getattr(user, "is_verified", lambda: False)())


def app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_DEVICE_NAME, device__confirmed=True
    ).count()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator app this user is enrolling (made on first ask)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def qr_code(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, an SVG data URI (CSP allows img data:)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret(device: TOTPDevice) -> str:
    """The key as the base32 text that authenticator apps take for manual entry, in groups."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def throttle_message(device: Any) -> str | None:
    """The message for a device that refuses to check codes for now, or None."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    if data and data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return _(
            "Too many wrong codes in a row. Wait a few seconds (longer after each wrong code) "
            "and try again."
        )
    return _("This code cannot be checked right now. Try again later.")


def new_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODES new ones; returns them (they are
    shown once). The device stays (a session it verified stays verified) and is saved."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        device.confirmed = True
        device.save()
        audit.record(
            AuditEvent.Action.RECOVERY_CODES_REGENERATED,
            target=user,
            changes={"recovery_codes": [None, len(codes)]},
        )
    return codes


def confirm_enrolment(*, request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the app the user is enrolling with a code from it: it replaces any earlier app,
    the session counts as verified by it, and ten new recovery codes are made and returned.
    None (nothing changed) when the code is wrong."""
    if not device.verify_token(token.strip()):
        return None
    user = device.user
    with transaction.atomic():
        for old in TOTPDevice.objects.filter(user=user).exclude(pk=device.pk):
            old.delete()
        device.confirmed = True
        device.save()
        codes = new_recovery_codes(user=user)
    verified(request, device)
    return codes


class Refused(Exception):
    """A code was refused: `message` says why; `throttled` when it was not even checked."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


def verify(*, request: HttpRequest, user: User, token: str) -> None:
    """Check a code from the app (six digits) or a recovery code (used up by this) and mark the
    session verified; raises Refused when it is not accepted."""
    token = "".join(token.split()).lower()
    device: Any = app_device(user) if token.isdigit() and len(token) == 6 else None
    if device is None:
        device = recovery_device(user)
    if device is None:
        raise Refused(_("That code is not valid."))
    if (why := throttle_message(device)) is not None:
        raise Refused(why, throttled=True)
    if not device.verify_token(token):
        raise Refused(_("That code is not valid (a recovery code can be used only once)."))
    verified(request, device)


def verified(request: HttpRequest, device: Any) -> None:
    # A new session key once the second factor is given: a key seen before it is worth nothing.
    request.session.cycle_key()
    otp_login(request, device)


def disable(*, user: User) -> None:
    """Remove the user's app and recovery codes (one at a time, so that signals are sent)."""
    with transaction.atomic():
        for totp in TOTPDevice.objects.filter(user=user):
            totp.delete()
        for static in StaticDevice.objects.filter(user=user):
            static.delete()


def _next_query(request: HttpRequest) -> str:
    if request.method == "GET" and request.path != reverse("home"):
        return "?" + urlencode({"next": request.get_full_path()})
    return ""


class SecondFactorMiddleware:
    """Until a session that owes a second factor has given it, every page but the login,
    second-factor and logout pages (and those public anyway) redirects to the code prompt, or to
    enrolment for someone who must enrol and has not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = request.user
        if isinstance(user, AnonymousUser) or not user.is_authenticated:
            return None
        if getattr(view_func, "second_factor_not_required", False):
            return None
        if not getattr(view_func, "login_required", True):
            return None  # public pages (password reset, health): nothing to protect
        if is_verified(request):
            return None
        if not isinstance(user, User):
            return None
        if has_second_factor(user):
            return redirect(reverse("twofactor_verify") + _next_query(request))
        if must_enrol(user):
            return redirect(reverse("twofactor_enrol") + _next_query(request))
        return None
