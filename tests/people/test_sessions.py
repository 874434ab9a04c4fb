"""Sessions end when they should: after a password change (the others), on deactivation, after
the idle timeout and the absolute lifetime, on "log out everywhere"; a forged one is nothing."""

import datetime as dt

import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

PASSWORD = "pass-for-tests"


def log_in(person) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": person.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def logged_in(client: Client) -> bool:
    response = client.get(reverse("notifications:list"))
    return response.status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(counterpart):
    here, elsewhere = log_in(counterpart), log_in(counterpart)
    assert logged_in(here) and logged_in(elsewhere)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-2026",
            "new_password2": "a-new-long-passphrase-2026",
        },
    )
    assert response.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)


def test_deactivation_ends_every_session(counterpart):
    one, two = log_in(counterpart), log_in(counterpart)
    counterpart.is_active = False
    counterpart.save()
    assert not logged_in(one)
    assert not logged_in(two)


def test_log_out_everywhere_ends_the_others_and_keeps_this_one(counterpart):
    here, elsewhere = log_in(counterpart), log_in(counterpart)
    page = here.get(reverse("twofactor_security")).content.decode()
    assert reverse("log_out_everywhere") in page
    response = here.post(reverse("log_out_everywhere"), follow=True)
    assert "logged out on every other device" in response.content.decode()
    assert logged_in(here)
    assert not logged_in(elsewhere)
    # Logging in again afterwards works (the new epoch is in the new session's hash).
    assert logged_in(log_in(counterpart))


def test_log_out_everywhere_needs_a_post(counterpart):
    client = log_in(counterpart)
    assert client.get(reverse("log_out_everywhere")).status_code == 405


def test_an_idle_session_ends_after_the_timeout(counterpart):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = log_in(counterpart)
    # Activity keeps it alive: a request every 20 minutes.
    for minutes in (20, 40, 60):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert logged_in(client), minutes
    with time_machine.travel(start + dt.timedelta(minutes=60 + 31), tick=False):
        response = client.get(reverse("notifications:list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        page = client.get(response["Location"]).content.decode()
        assert "logged out after 30 minutes without activity" in page
        assert not logged_in(client)


def test_the_idle_timeout_comes_from_the_setting(counterpart, settings):
    settings.SESSION_IDLE_TIMEOUT = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = log_in(counterpart)
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        assert not logged_in(client)


def test_a_session_ends_after_its_absolute_lifetime_despite_activity(counterpart):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = log_in(counterpart)
    step = dt.timedelta(minutes=20)
    moment = start
    while moment + step < start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE):
        moment += step
        with time_machine.travel(moment, tick=False):
            assert logged_in(client)
    with time_machine.travel(
        start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60), tick=False
    ):
        assert not logged_in(client)


def test_a_forged_session_cookie_is_nobody(counterpart):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "forgedsessionkey0123456789abcdef"
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_session_whose_hash_was_tampered_with_is_nobody(counterpart):
    client = log_in(counterpart)
    session = client.session
    session["_auth_user_hash"] = "0" * 64
    session.save()
    assert not logged_in(client)
