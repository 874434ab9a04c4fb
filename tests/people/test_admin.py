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


# --- The user page never shows a password hash and never sets a password


def _change_form(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "jurisdiction": user.jurisdiction_id,
        "agency": user.agency,
        "role": user.role.value,
        "is_active": "on",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_change_page_shows_no_password_hash_only_whether_one_is_set(administrator, counterpart):
    html = (
        client_for(administrator)
        .get(reverse("admin:people_user_change", args=[counterpart.pk]))
        .content.decode()
    )
    _algorithm, salt, digest = counterpart.password.split("$")
    assert counterpart.password not in html and salt not in html and digest not in html
    assert "md5$" not in html and "pbkdf2" not in html and 'name="password"' not in html
    assert "Set: the person logs in with a password they chose." in html
    invitee = factories.user(Role.COUNTERPART)
    invitee.set_unusable_password()
    invitee.save()
    html = (
        client_for(administrator)
        .get(reverse("admin:people_user_change", args=[invitee.pk]))
        .content.decode()
    )
    assert "Not set: the person has not chosen a password yet" in html
    assert invitee.password not in html


def test_posting_a_password_changes_nothing(administrator, counterpart):
    old_hash = counterpart.password
    response = client_for(administrator).post(
        reverse("admin:people_user_change", args=[counterpart.pk]),
        _change_form(counterpart, password="plain-text-password", name="Arben Renamed"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    counterpart.refresh_from_db()
    assert counterpart.name == "Arben Renamed"
    assert counterpart.password == old_hash
    client = client_for(None)
    response = client.post(
        reverse("login"), {"username": counterpart.email, "password": "pass-for-tests"}
    )
    assert response.status_code == 302 and client.get(reverse("home")).status_code == 200


def test_admin_password_form_is_gone(administrator, counterpart):
    client = client_for(administrator)
    response = client.get(f"/admin/people/user/{counterpart.pk}/password/", follow=True)
    assert 'name="password1"' not in response.content.decode()
    response = client.post(
        f"/admin/people/user/{counterpart.pk}/password/",
        {"password1": "Another-long-pass-1", "password2": "Another-long-pass-1"},
    )
    counterpart.refresh_from_db()
    assert counterpart.check_password("pass-for-tests")


def test_the_change_page_sends_a_link_to_choose_a_password(administrator, counterpart):
    client = client_for(administrator)
    url = reverse("admin:people_user_invite", args=[counterpart.pk])
    page = client.get(reverse("admin:people_user_change", args=[counterpart.pk])).content.decode()
    assert f'action="{url}"' in page
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [counterpart.email]
    assert "choose a new password" in message.body
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    page = client_for(None).get(link.split("testserver", 1)[1], follow=True)
    assert page.status_code == 200 and "Choose your password" in page.content.decode()
    # Sending a link changes nothing until the person uses it.
    counterpart.refresh_from_db()
    assert counterpart.check_password("pass-for-tests")


def test_no_link_for_a_deactivated_user_and_none_for_editors(administrator, editor, counterpart):
    counterpart.is_active = False
    counterpart.save()
    url = reverse("admin:people_user_invite", args=[counterpart.pk])
    response = client_for(administrator).post(url, follow=True)
    assert "activate the account first" in response.content.decode()
    assert client_for(editor).post(url).status_code == 302  # the admin's login page
    assert mail.outbox == []
    missing = reverse("admin:people_user_invite", args=[999999])
    assert client_for(administrator).post(missing).status_code == 404


def test_user_admin_permission_matrix(administrator, editor, counterpart):
    """Administrators manage users; editors and counterparts are sent to the admin's login."""
    other = factories.user(Role.COUNTERPART)
    urls = {
        "list": reverse("admin:people_user_changelist"),
        "change": reverse("admin:people_user_change", args=[other.pk]),
        "add": reverse("admin:people_user_add"),
    }
    expected = {administrator: 200, editor: 302, counterpart: 302}
    for person, status in expected.items():
        for name, url in urls.items():
            assert client_for(person).get(url).status_code == status, (person, name)
