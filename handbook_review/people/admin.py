import csv
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_stubs_ext import StrOrPromise

from handbook_review.people import accounts, audit
from handbook_review.people.invitations import invite
from handbook_review.people.models import AuditEvent, Jurisdiction, Role, User
from handbook_review.spreadsheets import neutralise


class RoleField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=Role.choices, coerce=Role, label=_("Role"), required=True, **kwargs
        )


def check_jurisdiction(form: forms.ModelForm[User]) -> None:
    """A counterpart reviews for a reviewing jurisdiction, and a coordinator speaks for one:
    without it they could review nothing (rounds invite jurisdictions), so one must be chosen."""
    data = form.cleaned_data
    where = data.get("jurisdiction")
    if where is not None and where.kind == Jurisdiction.Kind.COUNTRY:
        return
    role = data.get("role")
    if role == Role.COORDINATOR:
        form.add_error(
            "jurisdiction",
            _(
                "A coordinator speaks for a reviewing jurisdiction: choose the country whose"
                " comments they consolidate and whose vote they cast."
            ),
        )
    elif role == Role.COUNTERPART:
        form.add_error(
            "jurisdiction",
            _(
                "A counterpart reviews for a reviewing jurisdiction: choose their country;"
                " without one they could open no review round."
            ),
        )


class UserCreationForm(forms.ModelForm[User]):
    """An account made without a password: the person chooses it from the invitation."""

    role = RoleField()
    send_invitation = forms.BooleanField(
        label=_("Send an invitation e-mail"), required=False, initial=True
    )

    class Meta:
        model = User
        fields = ("email", "name", "jurisdiction", "agency", "language")
        help_texts = {
            "language": _("The language of the invitation and of the interface for this person."),
        }

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        check_jurisdiction(self)
        return cleaned

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class UserChangeForm(forms.ModelForm[User]):
    role = RoleField()

    class Meta:
        model = User
        fields = ("email", "name", "jurisdiction", "agency", "language", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = self.instance.role

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        check_jurisdiction(self)
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users without their password: the admin never shows a hash nor sets a password. A
    person chooses their own password from an invitation or password-reset link."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "name", "jurisdiction", "agency", "role_name", "is_active")
    list_filter = ("is_active", "groups", "jurisdiction", "agency")
    search_fields = ("email", "name")
    ordering = ("name",)
    list_select_related = ("jurisdiction",)
    fieldsets = (
        (None, {"fields": ("email", "name", "password_status")}),
        (_("Affiliation"), {"fields": ("jurisdiction", "agency", "language")}),
        (_("Access"), {"fields": ("role", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "email",
                    "name",
                    "jurisdiction",
                    "agency",
                    "language",
                    "role",
                    "send_invitation",
                )
            },
        ),
    )
    readonly_fields = ("password_status", "last_login", "date_joined")
    actions = ("deactivate", "activate", "send_invitations")

    def get_urls(self) -> list[URLPattern]:
        # Django's "<id>/password/" page (an administrator typing someone's password) is left
        # out on purpose; the invitation link replaces it.
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="{}_{}_invite".format(*info),
            ),
            *admin.ModelAdmin.get_urls(self),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("role"))
    def role_name(self, user: User) -> str:
        names = {group.name for group in user.groups.all()}
        return ", ".join(str(r.label) for r in Role if r.value in names) or "—"

    @admin.display(description=_("password"))
    def password_status(self, user: User) -> StrOrPromise:
        if user.has_usable_password():
            return _("Set: the person logs in with a password they chose.")
        return _("Not set: the person has not chosen a password yet (invitation not used).")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        with transaction.atomic(), audit.context(source=AuditEvent.Source.ADMIN, request=request):
            if change:
                # Only the form's own fields: the password column is never written from here.
                obj.save(update_fields=list(UserChangeForm.Meta.fields))
            else:
                obj.save()
            accounts.set_role(obj, form.cleaned_data["role"], by=request.user)  # type: ignore[arg-type]
            if not change and form.cleaned_data.get("send_invitation"):
                self._invite(request, obj)
                self.message_user(request, _("Invitation sent to %s.") % obj.email)

    def _invite(self, request: HttpRequest, user: User) -> None:
        invite(request, user)
        audit.record(AuditEvent.Action.PASSWORD_RESET_SENT, target=user, request=request)

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Send the person a link to choose a (new) password: the button on the change page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if not user.is_active:
            self.message_user(
                request, _("%s is deactivated: activate the account first.") % user, messages.ERROR
            )
        else:
            with audit.context(source=AuditEvent.Source.ADMIN):
                self._invite(request, user)
            self.message_user(
                request, _("A link to choose a password was sent to %s.") % user.email
            )
        return redirect(reverse("admin:people_user_change", args=[user.pk]))

    def _set_active(self, request: HttpRequest, queryset: QuerySet[User], *, active: bool) -> int:
        """Save each user (not queryset.update), so each change is one audit event."""
        with (
            transaction.atomic(),
            audit.context(source=AuditEvent.Source.BULK_ACTION, request=request),
        ):
            users = (
                User.objects.select_for_update()
                .filter(pk__in=list(queryset.values_list("pk", flat=True)))
                .exclude(is_active=active)
                # An administrator cannot lock themselves out.
                .exclude(pk=request.user.pk or 0)
                .order_by("pk")
            )
            count = 0
            for user in users:
                user.is_active = active
                user.save(update_fields=["is_active"])
                count += 1
        return count

    @admin.action(description=_("Deactivate selected users"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = self._set_active(request, queryset, active=False)
        self.message_user(
            request,
            ngettext("%d user deactivated.", "%d users deactivated.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Activate selected users"))
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = self._set_active(request, queryset, active=True)
        self.message_user(
            request,
            ngettext("%d user activated.", "%d users activated.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Send invitation e-mails"))
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=True))
        with audit.context(source=AuditEvent.Source.BULK_ACTION):
            for user in users:
                self._invite(request, user)
        self.message_user(request, _("%d invitations sent.") % len(users), messages.SUCCESS)


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin[Jurisdiction]):
    list_display = ("name", "code", "kind")
    list_filter = ("kind",)


class _Echo:
    """A file that hands back what is written to it: lets csv.writer feed a streaming reply."""

    def write(self, value: str) -> str:
        return value


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit log: browsed, filtered, searched and exported; never added to, changed or
    deleted, not even by a superuser (the database refuses that too)."""

    change_list_template = "admin/people/auditevent/change_list.html"
    list_display = ("at", "action", "actor_label", "target_label", "changes_text", "ip_address")
    list_filter = (
        "action",
        ("at", admin.DateFieldListFilter),
        "source",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("target", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("actor_label", "target_label", "ip_address", "user_agent")
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "at",
        "action",
        "source",
        "actor",
        "actor_label",
        "target",
        "target_label",
        "changes_text",
        "ip_address",
        "user_agent",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    @admin.display(description=_("changes"))
    def changes_text(self, event: AuditEvent) -> str:
        return "; ".join(
            f"{field}: {old!r} → {new!r}" for field, (old, new) in event.changes.items()
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_csv),
                name="people_auditevent_export",
            ),
            *super().get_urls(),
        ]

    def export_csv(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """The list as filtered and searched on the page (same query string), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("These filters are not valid."))
        events = changelist.get_queryset(request).order_by("at", "id")
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            # A byte-order mark, so Excel reads Cyrillic and Albanian names right.
            yield "\ufeff" + writer.writerow(
                [
                    str(_("at")),
                    str(_("action")),
                    str(_("actor")),
                    str(_("user")),
                    str(_("changes")),
                    str(_("IP address")),
                    str(_("user agent")),
                    str(_("source")),
                ]
            )
            for event in events.iterator(chunk_size=2000):
                cells = [
                    timezone.localtime(event.at).isoformat(timespec="seconds"),
                    event.action,
                    event.actor_label,
                    event.target_label,
                    json.dumps(event.changes, ensure_ascii=False) if event.changes else "",
                    event.ip_address or "",
                    event.user_agent,
                    event.source,
                ]
                yield writer.writerow([neutralise(cell) for cell in cells])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        return response


# --- Django's and django-otp's pages, in the reader's language

DEFAULT_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as the reader's language says it. Django stores the names in English; ours
    are catalogue messages, and the four default ones are said with the model's own name."""
    action = permission.codename.partition("_")[0]
    model_class = permission.content_type.model_class()
    if action in DEFAULT_PERMISSIONS and model_class is not None:
        name = DEFAULT_PERMISSIONS[action] % {"model": model_class._meta.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{permission.content_type} | {name}"


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """Roles are groups. Their permissions are listed in the reader's language, both in the
    editable list and on the read-only page an administrator without the change right sees."""

    def get_fields(self, request: HttpRequest, obj: Group | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return ["name", "permission_names"]
        return ["name", "permissions"]

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return ["name", "permission_names"]
        return []

    @admin.display(description=_("permissions"))
    def permission_names(self, group: Group) -> str:
        found = group.permissions.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        )
        return ", ".join(permission_label(permission) for permission in found)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name == "permissions":
            field.label_from_instance = permission_label  # type: ignore[method-assign,assignment]
        return field


def _device_admin(model: type[Any], base: type[admin.ModelAdmin[Any]]) -> None:
    """django-otp's device pages, with their search help in the reader's language (django-otp
    writes it once, in English, when it is imported)."""
    admin.site.unregister(model)
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (base,),
            {"search_help_text": _("Search by the user's e-mail address")},
        ),
    )


_device_admin(TOTPDevice, TOTPDeviceAdmin)
_device_admin(StaticDevice, StaticDeviceAdmin)
