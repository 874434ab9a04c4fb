from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from handbook_review.people.models import Jurisdiction, Role, User


class RoleField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=Role.choices, coerce=Role, label=_("Role"), required=True, **kwargs
        )


class UserCreationForm(forms.ModelForm[User]):
    """An account made without a password: the person chooses it from the invitation."""

    role = RoleField()
    send_invitation = forms.BooleanField(
        label=_("Send an invitation e-mail"), required=False, initial=True
    )

    class Meta:
        model = User
        fields = ("email", "name", "jurisdiction", "agency")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

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
        fields = ("email", "name", "jurisdiction", "agency", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = self.instance.role


def invite(request: HttpRequest, user: User) -> None:
    """E-mail the person a link to choose their password (the password-reset link and token).

    Django's PasswordResetForm skips accounts without a usable password, which is exactly what a
    new invitee has, so the message is built here from the same token generator.
    """
    context = {
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "protocol": "https" if request.is_secure() else "http",
        "domain": request.get_host(),
    }
    subject = render_to_string("registration/invitation_subject.txt", context).strip()
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "name", "jurisdiction", "agency", "role_name", "is_active")
    list_filter = ("is_active", "groups", "jurisdiction", "agency")
    search_fields = ("email", "name")
    ordering = ("name",)
    list_select_related = ("jurisdiction",)
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        (_("Affiliation"), {"fields": ("jurisdiction", "agency")}),
        (_("Access"), {"fields": ("role", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"fields": ("email", "name", "jurisdiction", "agency", "role", "send_invitation")},
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ("deactivate", "send_invitations")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("role"))
    def role_name(self, user: User) -> str:
        names = {group.name for group in user.groups.all()}
        return ", ".join(str(r.label) for r in Role if r.value in names) or "—"

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        obj.set_role(form.cleaned_data["role"])
        if not change and form.cleaned_data.get("send_invitation"):
            invite(request, obj)
            self.message_user(request, _("Invitation sent to %s.") % obj.email)

    @admin.action(description=_("Deactivate selected users"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # An administrator cannot lock themselves out.
        count = queryset.exclude(pk=request.user.pk or 0).update(is_active=False)
        self.message_user(
            request,
            ngettext("%d user deactivated.", "%d users deactivated.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Send invitation e-mails"))
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=True))
        for user in users:
            invite(request, user)
        self.message_user(request, _("%d invitations sent.") % len(users), messages.SUCCESS)


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin[Jurisdiction]):
    list_display = ("name", "code", "kind")
    list_filter = ("kind",)
