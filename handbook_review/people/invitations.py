"""The invitation: an e-mail with a link to choose a password that says who invited the person,
for which handbooks, in which role and jurisdiction, and until when the link works.

The people floor knows no handbooks. The floor that does tells it which ones a person will read
(`register_handbooks`, called from its AppConfig.ready); without one, or for someone who reads
every handbook (an editor), the invitation names the site.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from handbook_review import clock
from handbook_review.languages import speaking
from handbook_review.people.models import User

# Each returns the titles of the handbooks the person reviews because of their jurisdiction;
# an empty list when nothing ties them to particular handbooks.
HANDBOOKS: list[Callable[[User], list[str]]] = []


def register_handbooks(titles: Callable[[User], list[str]]) -> None:
    if titles not in HANDBOOKS:
        HANDBOOKS.append(titles)


def handbooks_of(user: User) -> list[str]:
    return [title for titles in HANDBOOKS for title in titles(user)]


def link_expires(sent_at: datetime) -> datetime:
    """Until when a link made at `sent_at` works: Django's token refuses it after
    PASSWORD_RESET_TIMEOUT seconds."""
    return sent_at + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def invite(request: HttpRequest, user: User) -> None:
    """E-mail the person a link to choose their password (the password-reset link and token).

    Django's PasswordResetForm skips accounts without a usable password, which is exactly what a
    new invitee has, so the message is built here from the same token generator.
    """
    # Fresh from the database: the role was set a moment ago, and permissions are cached.
    invitee = User.objects.select_related("jurisdiction").get(pk=user.pk)
    inviter = request.user if isinstance(request.user, User) else None
    context = {
        "user": invitee,
        "inviter": inviter,
        "role": invitee.role,
        "handbooks": handbooks_of(invitee),
        "expires": link_expires(clock.now()),
        "uid": urlsafe_base64_encode(force_bytes(invitee.pk)),
        "token": default_token_generator.make_token(invitee),
        "protocol": "https" if request.is_secure() else "http",
        "domain": request.get_host(),
    }
    # In the invitee's language (chosen by the administrator), not the administrator's.
    with speaking(invitee):
        subject = render_to_string("registration/invitation_subject.txt", context).strip()
        body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [invitee.email])
