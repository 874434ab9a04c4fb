"""Administrators create, invite, give a role to and deactivate users in the admin."""

from django.core import mail
from django.urls import reverse

from handbook_review.people.models import Role, User
from tests import factories
from tests.conftest import client_for


def test_administrator_creates_and_invites_a_counterpart(administrator):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:people_user_add"),
        {
            "email": "New.Officer@Example.org",
            "name": "New Officer",
            "jurisdiction": factories.jurisdiction("ME").pk,
            "agency": "customs",
            "role": Role.COUNTERPART.value,
            "send_invitation": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.officer@example.org")
    assert user.role == Role.COUNTERPART and not user.is_staff
    assert not user.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["new.officer@example.org"]
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    # The link lets the invitee choose a password.
    path = link.split("testserver", 1)[1]
    page = client_for(None).get(path, follow=True)
    assert page.status_code == 200 and "Choose your password" in page.content.decode()


def test_deactivate_action_spares_the_acting_administrator(administrator, counterpart):
    client = client_for(administrator)
    client.post(
        reverse("admin:people_user_changelist"),
        {"action": "deactivate", "_selected_action": [counterpart.pk, administrator.pk]},
    )
    counterpart.refresh_from_db()
    administrator.refresh_from_db()
    assert not counterpart.is_active and administrator.is_active


def test_deactivated_user_is_logged_out_everywhere(counterpart, chapter):
    client = client_for(counterpart)
    assert client.get(chapter.get_absolute_url()).status_code == 200
    User.objects.filter(pk=counterpart.pk).update(is_active=False)
    assert client.get(chapter.get_absolute_url()).status_code == 302


def test_editor_cannot_manage_users(editor):
    assert client_for(editor).get(reverse("admin:people_user_changelist")).status_code == 302


def test_login_with_email_and_password(client, counterpart):
    response = client.post(
        reverse("login"), {"username": counterpart.email, "password": "pass-for-tests"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
