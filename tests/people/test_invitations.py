"""The invitation says who invited the person, for which handbooks, in which role and
jurisdiction, and until when its link works; the link works until then and not after."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from handbook_review.dates import moment
from handbook_review.people.models import Role, User
from tests import factories
from tests.conftest import client_for

BELGRADE = ZoneInfo("Europe/Belgrade")
SENT = datetime(2026, 3, 2, 10, 0, tzinfo=BELGRADE)


def invite(administrator, **fields):
    data = {
        "email": "new.officer@example.org",
        "name": "Nora Officer",
        "jurisdiction": factories.jurisdiction("ME").pk,
        "agency": "customs",
        "language": "en",
        "role": Role.COUNTERPART.value,
        "send_invitation": "on",
    }
    response = client_for(administrator).post(reverse("admin:people_user_add"), data | fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    [message] = mail.outbox
    return message


def link_path(message) -> str:
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    return link.split("testserver", 1)[1]


@pytest.fixture
def montenegrin_books(db):
    """Two handbooks Montenegro takes part in, and one it does not."""
    books = [factories.handbook(codes=("ME",)), factories.handbook(codes=("ME", "AL"))]
    factories.handbook(codes=("AL",))
    return books


def test_the_invitation_says_who_for_what_in_which_role_and_until_when(
    administrator, montenegrin_books, clock, settings
):
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    clock.set_to(SENT)
    message = invite(administrator)
    body = message.body
    assert "Dear Nora Officer," in body
    assert "Ada Admin (SEESAC) invited you to Handbook Review." in body
    titles = sorted(book.title for book in montenegrin_books)
    assert "You will review: " + ", ".join(f"“{t}”" for t in titles) in body
    assert "Your role: Counterpart" in body
    assert "Your jurisdiction: Montenegro" in body
    # Three days after sending, as the locale writes a moment (handbook_review/dates.py).
    assert "The link works once, until 5 March 2026, 10:00 CET." in body
    # Only the handbooks Montenegro takes part in.
    assert body.count("“Handbook") == 2


def test_an_editor_is_invited_to_the_site(administrator, montenegrin_books, clock):
    clock.set_to(SENT)
    body = invite(
        administrator, role=Role.EDITOR.value, jurisdiction=factories.jurisdiction("FRONTEX").pk
    ).body
    assert "You will work on every handbook in Handbook Review." in body
    assert "You will review" not in body
    assert "Your role: Editor" in body and "Your jurisdiction: FRONTEX" in body


def test_the_expiry_is_written_as_the_invitees_language_writes_dates(administrator, clock):
    clock.set_to(SENT)
    body = invite(administrator, language="sq").body
    with translation.override("sq"):
        expected = moment(SENT + timedelta(days=3))
    assert expected != "5 March 2026, 10:00 CET"
    assert expected in body


def test_the_link_works_until_the_time_it_states_and_not_after(administrator, clock, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    clock.set_to(SENT)
    path = link_path(invite(administrator))
    clock.set_to(SENT + timedelta(days=3) - timedelta(minutes=1))
    page = client_for(None).get(path, follow=True).content.decode()
    assert 'name="new_password1"' in page
    clock.set_to(SENT + timedelta(days=3) + timedelta(minutes=1))
    page = client_for(None).get(path, follow=True).content.decode()
    assert "no longer valid" in page and 'name="new_password1"' not in page


def test_a_new_link_for_someone_with_a_password_says_until_when(administrator, counterpart, clock):
    clock.set_to(SENT)
    client_for(administrator).post(reverse("admin:people_user_invite", args=[counterpart.pk]))
    [message] = mail.outbox
    assert "choose a new password" in message.body
    assert "until 5 March 2026, 10:00 CET" in message.body
    assert "invited you" not in message.body
    assert User.objects.get(pk=counterpart.pk).check_password("pass-for-tests")


# --- Choosing the password logs the person in


NEW_PASSWORD = "A-long-new-password-7"


def choose_password(client, path):
    """Open the link (Django moves the token into the session and redirects), then post."""
    form_page = client.get(path, follow=True)
    assert 'name="new_password1"' in form_page.content.decode()
    url = form_page.redirect_chain[-1][0]
    return client.post(
        url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )


def test_choosing_a_password_logs_the_invitee_in_on_the_home_page(administrator):
    path = link_path(invite(administrator))
    client = client_for(None)
    page = choose_password(client, path)
    assert page.redirect_chain[-1][0] == reverse("home")
    html = page.content.decode()
    assert "Nora Officer" in html and "Your password is saved. You are logged in." in html
    assert int(client.session["_auth_user_id"]) == User.objects.get(name="Nora Officer").pk
    assert User.objects.get(name="Nora Officer").check_password(NEW_PASSWORD)
    # Logged in for real: a page that needs a login opens.
    assert client.get(reverse("notifications:list")).status_code == 200


def test_the_link_works_once(administrator):
    path = link_path(invite(administrator))
    choose_password(client_for(None), path)
    page = client_for(None).get(path, follow=True).content.decode()
    assert "no longer valid" in page


def test_an_invited_editor_must_set_up_the_second_factor_first(administrator, settings):
    settings.REQUIRE_2FA = True
    path = link_path(
        invite(
            administrator,
            role=Role.EDITOR.value,
            jurisdiction=factories.jurisdiction("FRONTEX").pk,
        )
    )
    client = client_for(None)
    page = choose_password(client, path)
    assert page.redirect_chain[-1][0] == reverse("twofactor_enrol")
    # Not into the app before enrolling.
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor_enrol"))


def test_someone_with_a_second_factor_still_gives_a_code_after_a_reset(administrator, counterpart):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=counterpart, name="app", confirmed=True)
    client_for(administrator).post(reverse("admin:people_user_invite", args=[counterpart.pk]))
    [message] = mail.outbox
    client = client_for(None)
    page = choose_password(client, link_path(message))
    assert page.redirect_chain[-1][0] == reverse("twofactor_verify")
    assert client.get(reverse("notifications:list")).status_code == 302
