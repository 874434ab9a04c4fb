"""The audit log's writers: `record` and the receivers that call it for every account change.

Changes of a user's role (`User.set_role`), jurisdiction, agency, active flag, name, e-mail,
superuser status and two-factor devices, account creation and deletion, password changes, logins,
failed logins and lockouts are written as `AuditEvent` rows. Who did it, from where and through
what comes from the explicit arguments or, failing those, from the current context: the request
(`AuditMiddleware` puts it there) and the source an admin view or a command declares with
`context(...)`. Without either, the change came from a command (or a shell).
"""

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Model
from django.db.models.signals import post_delete, post_init, post_save, pre_delete, pre_save
from django.http import HttpRequest, HttpResponse

from handbook_review.people.models import AuditEvent, User

Action = AuditEvent.Action
Source = AuditEvent.Source

USER_AGENT_MAX = 300

# The user fields whose changes are recorded, and the action each change is recorded as.
TRACKED: dict[str, str] = {
    "jurisdiction_id": Action.JURISDICTION_CHANGED,
    "agency": Action.AGENCY_CHANGED,
    "is_active": Action.ACTIVATED,  # or DEACTIVATED, by the new value
    "email": Action.USER_CHANGED,
    "name": Action.USER_CHANGED,
    "is_superuser": Action.USER_CHANGED,
}
_BEFORE = "_audit_before"


@dataclass(frozen=True)
class _Context:
    request: HttpRequest | None = None
    source: str | None = None
    actor: User | None = None


_context: ContextVar[_Context] = ContextVar("audit_context", default=_Context())  # noqa: B039


@contextmanager
def context(
    *, source: str | None = None, request: HttpRequest | None = None, actor: User | None = None
) -> Iterator[None]:
    """Within this block, events without an explicit source, request or actor take these."""
    current = _context.get()
    token = _context.set(
        replace(
            current,
            source=source or current.source,
            request=request or current.request,
            actor=actor or current.actor,
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


class AuditMiddleware:
    """Makes the request (its user, IP address, user agent) known to the receivers below."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context(request=request, source=Source.WEB):
            return self.get_response(request)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: django-axes' reading when it has one (it knows the proxies)."""
    if request is None:
        return None
    value = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _label(user: User | None) -> str:
    return user.email if user is not None else ""


def record(
    action: str,
    *,
    target: User | None = None,
    target_label: str | None = None,
    changes: dict[str, list[Any]] | None = None,
    by: User | None = None,
    source: str | None = None,
    request: HttpRequest | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one event. `by`, `source` and `request` default to the current context."""
    current = _context.get()
    request = request or current.request
    actor = by or current.actor
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and actor.pk is None:
        actor = None
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=_label(actor),
        target=target if target is not None and target.pk is not None else None,
        target_label=(target_label if target_label is not None else _label(target))[:254],
        changes=changes or {},
        ip_address=ip_address or client_ip(request),
        user_agent=str(user_agent)[:USER_AGENT_MAX],
        source=source or current.source or Source.COMMAND,
    )


# --- Users: creation, field changes, password changes, deletion


def _tracked_values(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in TRACKED}


def _remember_row(sender: type[User], instance: User, raw: bool = False, **kwargs: Any) -> None:
    # Compare with the row in the database, not with what the instance was loaded with; only
    # the fields this save writes.
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = list(TRACKED)
    update_fields = kwargs.get("update_fields")
    if update_fields is not None:
        fields = [
            f for f in TRACKED if f in update_fields or f.removesuffix("_id") in update_fields
        ]
        if not fields:
            return
    setattr(instance, _BEFORE, User.objects.filter(pk=instance.pk).values(*fields).first())


def _jurisdiction_name(pk: int | None) -> str | None:
    if pk is None:
        return None
    jurisdiction = apps.get_model("people", "Jurisdiction").objects.filter(pk=pk).first()
    return jurisdiction.name if jurisdiction is not None else str(pk)


def _shown(field: str, value: Any) -> Any:
    return _jurisdiction_name(value) if field == "jurisdiction_id" else value


def _record_user_save(
    sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    # set_password() keeps the raw password until the save; the silent re-hash of a password on
    # login (a stronger hasher) clears it first, so it is not mistaken for a change.
    password_set = getattr(instance, "_password", None) is not None
    if created:
        values = _tracked_values(instance)
        record(
            Action.USER_CREATED,
            target=instance,
            changes={f.removesuffix("_id"): [None, _shown(f, v)] for f, v in values.items()},
        )
        return
    before = instance.__dict__.pop(_BEFORE, None)
    if password_set:
        record(Action.PASSWORD_CHANGED, target=instance)
    if before is None:
        return
    changed: dict[str, dict[str, list[Any]]] = {}
    for field, old in before.items():
        action, new = TRACKED[field], getattr(instance, field)
        if old == new:
            continue
        if field == "is_active":
            action = Action.ACTIVATED if new else Action.DEACTIVATED
        changed.setdefault(action, {})[field.removesuffix("_id")] = [
            _shown(field, old),
            _shown(field, new),
        ]
    for action, changes in changed.items():
        record(action, target=instance, changes=changes)


# The users being deleted in this context: events about them (their devices go with them)
# must not point at a row that is about to disappear.
_deleting: ContextVar[frozenset[int]] = ContextVar("audit_deleting", default=frozenset())


def _record_user_delete(sender: type[User], instance: User, **kwargs: Any) -> None:
    _deleting.set(_deleting.get() | {instance.pk})
    record(Action.USER_DELETED, target_label=instance.email)


def _forget_deleted_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    _deleting.set(_deleting.get() - {instance.pk})


# --- Logins


def _record_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record(Action.LOGIN, target=user, by=user, request=request)


def _record_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The attempted e-mail address only; never the password (Django masks it anyway).
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:254]
    target = User.objects.filter(email__iexact=attempted).first() if attempted else None
    record(Action.LOGIN_FAILED, target=target, target_label=attempted, request=request)


def _record_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    attempted = str(username or "")[:254]
    target = User.objects.filter(email__iexact=attempted).first() if attempted else None
    try:
        ip = str(ipaddress.ip_address(ip_address)) if ip_address else None
    except ValueError:
        ip = None
    record(Action.LOCKED_OUT, target=target, target_label=attempted, request=request, ip_address=ip)


# --- Two-factor devices (django-otp): a device counts once it is confirmed.


def _remember_confirmed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # From __dict__: reading a deferred field here would cost a query per loaded device.
    instance.__dict__["_audit_confirmed"] = instance.__dict__.get("confirmed")


def _device_label(device: Any) -> str:
    kind = {"totpdevice": "authenticator app", "staticdevice": "recovery codes"}.get(
        device._meta.model_name, device._meta.model_name
    )
    return f"{kind}: {device.name}" if device.name else kind


def _device_owner(device: Any) -> dict[str, Any]:
    """`record`'s target arguments for the device's owner."""
    owner = User.objects.filter(pk=device.user_id).first()
    if owner is None or owner.pk in _deleting.get():
        return {"target": None, "target_label": _label(owner)}
    return {"target": owner}


def _record_device_save(sender: type[Model], instance: Any, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    was_confirmed = False if created else bool(instance.__dict__.get("_audit_confirmed"))
    now_confirmed = bool(instance.confirmed)
    instance.__dict__["_audit_confirmed"] = now_confirmed
    if was_confirmed == now_confirmed:
        return  # e.g. the throttling counters and last-used time saved on every verification
    record(
        Action.TWO_FACTOR_ENABLED if now_confirmed else Action.TWO_FACTOR_DISABLED,
        **_device_owner(instance),
        changes={"device": [None, _device_label(instance)]}
        if now_confirmed
        else {"device": [_device_label(instance), None]},
    )


def _record_device_delete(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    if not instance.confirmed:
        return  # an enrolment abandoned before confirming never enabled anything
    record(
        Action.TWO_FACTOR_DISABLED,
        **_device_owner(instance),
        changes={"device": [_device_label(instance), None]},
    )


def _record_unlocked(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    """An axes access attempt removed (the admin's unlock, `axes_reset_*`, or the cool-off's
    cleanup): whatever it locked is free again."""
    if instance.failures_since_start < settings.AXES_FAILURE_LIMIT:
        return  # a few failures forgotten, nothing was locked
    target = User.objects.filter(email__iexact=instance.username or "").first()
    record(
        Action.UNLOCKED,
        target=target,
        target_label=None if target else (instance.username or instance.ip_address or ""),
        changes={"locked": [True, False]},
        ip_address=instance.ip_address,
    )


def connect() -> None:
    """Connect the receivers (from PeopleConfig.ready)."""
    pre_save.connect(_remember_row, sender=User, dispatch_uid="audit.remember_row")
    post_save.connect(_record_user_save, sender=User, dispatch_uid="audit.user_save")
    pre_delete.connect(_record_user_delete, sender=User, dispatch_uid="audit.user_delete")
    post_delete.connect(_forget_deleted_user, sender=User, dispatch_uid="audit.user_deleted")
    user_logged_in.connect(_record_login, dispatch_uid="audit.login")
    user_login_failed.connect(_record_login_failed, dispatch_uid="audit.login_failed")
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out

        user_locked_out.connect(_record_locked_out, dispatch_uid="audit.locked_out")
        post_delete.connect(
            _record_unlocked, sender=apps.get_model("axes.AccessAttempt"), dispatch_uid="audit.unl"
        )
    for app, label in (
        ("django_otp.plugins.otp_totp", "otp_totp.TOTPDevice"),
        ("django_otp.plugins.otp_static", "otp_static.StaticDevice"),
    ):
        if not apps.is_installed(app):
            continue
        model = apps.get_model(label)
        uid = label.lower()
        post_init.connect(_remember_confirmed, sender=model, dispatch_uid=f"audit.{uid}.init")
        post_save.connect(_record_device_save, sender=model, dispatch_uid=f"audit.{uid}.save")
        post_delete.connect(_record_device_delete, sender=model, dispatch_uid=f"audit.{uid}.del")
