"""Failed logins lock the account and the client address out (django-axes), the right password
included, until the cool-off passes or an administrator unlocks; password-reset requests are
limited per e-mail address and per client address, known or not."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from axes.utils import reset
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories

PASSWORD = "pass-for-tests"
LOCKED = "Too many failed attempts. Try again in 30 minutes"


def log_in(client: Client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, email: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        log_in(client, email, "wrong password", ip)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_four_failures_do_not_lock_and_the_right_password_then_works(counterpart):
    client = Client()
    fail(client, counterpart.email, 4)
    response = log_in(client, counterpart.email, PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_the_fifth_failure_locks_the_account_with_a_clear_message(counterpart):
    client = Client()
    fail(client, counterpart.email, 4)
    response = log_in(client, counterpart.email, "wrong again")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "ask an administrator to unlock your account" in response.content.decode()


def test_a_locked_account_refuses_its_right_password_from_any_address(counterpart):
    fail(Client(), counterpart.email, 5, ip="10.0.0.1")
    client = Client()
    response = log_in(client, counterpart.email, PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not is_logged_in(client)


def test_the_account_is_counted_whatever_the_case_of_the_address(counterpart):
    fail(Client(), counterpart.email.upper(), 5, ip="10.0.0.1")
    response = log_in(Client(), counterpart.email, PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429


def test_the_lock_ends_after_the_cool_off(counterpart):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(Client(), counterpart.email, 5)
        assert log_in(Client(), counterpart.email, PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert log_in(Client(), counterpart.email, PASSWORD).status_code == 429
    # Every refused attempt during the lock (the one at 29 minutes too) restarts the cool-off.
    with time_machine.travel(start + dt.timedelta(minutes=60), tick=False):
        client = Client()
        assert log_in(client, counterpart.email, PASSWORD).status_code == 302
        assert is_logged_in(client)


def test_an_administrator_unlocks_with_the_management_command(counterpart):
    fail(Client(), counterpart.email, 5)
    assert log_in(Client(), counterpart.email, PASSWORD).status_code == 429
    call_command("axes_reset_username", counterpart.email)
    client = Client()
    assert log_in(client, counterpart.email, PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_an_administrator_unlocks_in_the_admin(counterpart, administrator):
    fail(Client(), counterpart.email, 5)
    attempt = AccessAttempt.objects.get(username=counterpart.email)
    admin = Client()
    admin.force_login(administrator)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin.get(url).status_code == 200
    assert admin.post(url, {"post": "yes"}).status_code == 302
    assert log_in(Client(), counterpart.email, PASSWORD, ip="10.9.9.9").status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(counterpart, bosnian, outsider):
    for n in range(5):
        log_in(Client(), f"nobody{n}@example.org", "guess", ip="192.0.2.7")
    # A real account with its right password, from that address: refused.
    assert log_in(Client(), counterpart.email, PASSWORD, ip="192.0.2.7").status_code == 429
    # From another address the same account logs in.
    client = Client()
    assert log_in(client, counterpart.email, PASSWORD, ip="192.0.2.8").status_code == 302
    reset(ip="192.0.2.7")
    assert log_in(Client(), bosnian.email, PASSWORD, ip="192.0.2.7").status_code == 302


def test_the_admin_login_is_locked_out_too(administrator):
    for _ in range(5):
        Client().post(
            reverse("admin:login"),
            {"username": administrator.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.3",
        )
    response = log_in(Client(), administrator.email, PASSWORD, ip="10.0.0.4")
    assert response.status_code == 429


# --- Password reset


def ask_reset(email: str, ip: str = "10.0.0.1"):
    return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


@pytest.fixture
def _mail(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def test_ten_reset_requests_send_three_emails(counterpart, _mail):
    statuses = [ask_reset(counterpart.email).status_code for _ in range(10)]
    assert statuses == [302] * 3 + [429] * 7
    assert len(mail.outbox) == 3
    refused = ask_reset(counterpart.email)
    assert "Too many password reset requests" in refused.content.decode()


def test_reset_throttling_is_the_same_for_an_unknown_address(db, _mail):
    statuses = [ask_reset("nobody@example.org").status_code for _ in range(5)]
    assert statuses == [302] * 3 + [429] * 2
    assert len(mail.outbox) == 0


def test_reset_is_limited_per_client_address_across_accounts(db, _mail):
    people = [factories.user() for _ in range(11)]
    statuses = [ask_reset(p.email, ip="198.51.100.1").status_code for p in people]
    assert statuses == [302] * 10 + [429]
    assert len(mail.outbox) == 10
    # Another address is not held back.
    assert ask_reset(people[-1].email, ip="198.51.100.2").status_code == 302
