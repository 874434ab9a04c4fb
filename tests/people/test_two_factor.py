"""The second factor, through real logins (the password form, then the code): editors and
administrators must enrol before any page; whoever has enrolled gives a code at every login;
wrong codes are throttled; a recovery code works once."""

import time

import pyotp
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from handbook_review.people import twofactor
from tests.test_crawl import bad_kwargs, parameters_of

PASSWORD = "pass-for-tests"
OPEN_WHILE_UNVERIFIED = {
    "login",
    "set_language",
    "logout",
    "twofactor_enrol",
    "twofactor_verify",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",  # public: a load balancer's probe, says only up or down
}


def log_in(person) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def code(device: TOTPDevice, at: float | None = None) -> str:
    return pyotp.TOTP(twofactor.secret(device).replace(" ", "")).at(at or time.time())


def enrolled(person) -> tuple[TOTPDevice, list[str]]:
    """Give `person` an authenticator app and recovery codes, as enrolment does."""
    device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    return device, twofactor.new_recovery_codes(user=person)


def named_patterns(resolvers=None, namespace: str = ""):
    """(URL name, parameter names) of every named URL pattern of the app (not the admin's)."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", parameters_of(entry)


def every_page(review_slug: str) -> list[tuple[str, str]]:
    """(name, URL) of every named URL of the app but those open while unverified."""
    return [
        (name, reverse(name, kwargs=bad_kwargs(parameters, review_slug)))
        for name, parameters in named_patterns()
        if name not in OPEN_WHILE_UNVERIFIED
    ]


@pytest.mark.parametrize("role", ["editor", "administrator"])
def test_an_editor_must_enrol_before_any_page(role, request, handbook):
    person = request.getfixturevalue(role)
    client = log_in(person)
    checked = 0
    for name, url in [*every_page(handbook.slug), ("admin", "/admin/"), ("chapters", "/h/x/")]:
        response = client.get(url)
        checked += 1
        assert response.status_code == 302, (name, url, response.status_code)
        assert response["Location"].startswith(reverse("twofactor_enrol")), (name, url)
    assert checked > 40
    # POST-only actions are held back as well.
    response = client.post(reverse("log_out_everywhere"))
    assert response["Location"].startswith(reverse("twofactor_enrol"))


def test_enrolment_shows_qr_and_key_then_ten_codes_once_then_the_app(editor, handbook):
    client = log_in(editor)
    page = client.get(reverse("twofactor_enrol"), {"next": "/h/some/"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert twofactor.secret(device) in html
    wrong = client.post(reverse("twofactor_enrol"), {"code": "000000", "next": "/h/some/"})
    assert wrong.status_code == 400
    assert "not valid" in wrong.content.decode()
    time.sleep(1.1)  # the wrong code's throttle (one second)
    response = client.post(reverse("twofactor_enrol"), {"code": code(device), "next": "/h/"})
    assert response.status_code == 302
    codes_page = client.get(response["Location"])
    codes = list(StaticToken.objects.filter(device__user=editor).values_list("token", flat=True))
    assert len(codes) == 10
    assert all(c in codes_page.content.decode() for c in codes)
    # Shown once only.
    assert client.get(reverse("twofactor_codes")).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_counterpart_is_not_forced_and_may_enrol(counterpart):
    client = log_in(counterpart)
    assert client.get(reverse("home")).status_code == 200
    page = client.get(reverse("twofactor_security"))
    assert reverse("twofactor_enrol") in page.content.decode()
    client.get(reverse("twofactor_enrol"))
    device = TOTPDevice.objects.get(user=counterpart)
    assert client.post(reverse("twofactor_enrol"), {"code": code(device)}).status_code == 302
    # From now on a code is asked at every login.
    again = log_in(counterpart)
    assert again.get(reverse("home"))["Location"].startswith(reverse("twofactor_verify"))


def test_a_counterpart_may_turn_it_off_with_a_code_an_editor_may_not(counterpart, editor):
    _, codes = enrolled(counterpart)
    client = log_in(counterpart)
    client.post(reverse("twofactor_verify"), {"code": codes[0]})
    assert client.post(reverse("twofactor_disable"), {"code": "123"}).status_code == 400
    assert TOTPDevice.objects.filter(user=counterpart).exists()
    time.sleep(1.1)  # the wrong code's throttle
    assert client.post(reverse("twofactor_disable"), {"code": codes[1]}).status_code == 302
    assert not TOTPDevice.objects.filter(user=counterpart).exists()

    _, editor_codes = enrolled(editor)
    editor_client = log_in(editor)
    editor_client.post(reverse("twofactor_verify"), {"code": editor_codes[0]})
    editor_client.post(reverse("twofactor_disable"), {"code": editor_codes[1]})
    assert TOTPDevice.objects.filter(user=editor).exists()


def test_later_logins_ask_for_the_code_before_any_page(editor, handbook):
    device, _ = enrolled(editor)
    client = log_in(editor)
    for name, url in every_page(handbook.slug):
        location = client.get(url).get("Location", "")
        assert location.startswith(reverse("twofactor_verify")), (name, url, location)
    # Replacing the app is no way around the code.
    assert client.get(reverse("twofactor_enrol"))["Location"].startswith(
        reverse("twofactor_verify")
    )
    response = client.post(
        reverse("twofactor_verify"), {"code": code(device), "next": f"/h/{handbook.slug}/"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/h/{handbook.slug}/"
    assert client.get(reverse("home")).status_code == 200


def test_the_admin_requires_the_code(administrator):
    enrolled(administrator)
    client = log_in(administrator)
    assert client.get("/admin/")["Location"].startswith(reverse("twofactor_verify"))
    assert client.get("/admin/people/user/")["Location"].startswith(reverse("twofactor_verify"))


def test_wrong_codes_are_throttled_with_a_message(editor):
    device, _ = enrolled(editor)
    client = log_in(editor)
    first = client.post(reverse("twofactor_verify"), {"code": "000000"})
    assert first.status_code == 400
    # At once afterwards even the right code is not checked.
    second = client.post(reverse("twofactor_verify"), {"code": code(device)})
    assert second.status_code == 429
    assert "Too many wrong codes" in second.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_recovery_code_works_once(editor):
    _, codes = enrolled(editor)
    client = log_in(editor)
    assert client.post(reverse("twofactor_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert StaticToken.objects.filter(device__user=editor).count() == 9
    other = log_in(editor)
    reused = other.post(reverse("twofactor_verify"), {"code": codes[0]})
    assert reused.status_code == 400
    assert "only once" in reused.content.decode()
    assert other.get(reverse("home")).status_code == 302


def test_a_code_of_another_user_or_a_forged_device_id_does_not_verify(editor, other_editor):
    _, codes = enrolled(editor)
    enrolled(other_editor)
    client = log_in(other_editor)
    assert client.post(reverse("twofactor_verify"), {"code": codes[0]}).status_code == 400
    session = client.session
    session["otp_device_id"] = twofactor.recovery_device(editor).persistent_id
    session.save()
    assert client.get(reverse("home"))["Location"].startswith(reverse("twofactor_verify"))


def test_without_require_2fa_an_editor_is_offered_it_not_forced(editor, settings):
    settings.REQUIRE_2FA = False
    client = log_in(editor)
    assert client.get(reverse("home")).status_code == 200
    assert reverse("twofactor_enrol") in client.get(reverse("twofactor_security")).content.decode()
    # Having enrolled, they are asked for the code all the same.
    enrolled(editor)
    assert log_in(editor).get(reverse("home"))["Location"].startswith(reverse("twofactor_verify"))


def test_new_recovery_codes_replace_the_old(counterpart):
    _, old = enrolled(counterpart)
    client = log_in(counterpart)
    client.post(reverse("twofactor_verify"), {"code": old[0]})
    response = client.post(reverse("twofactor_new_codes"))
    page = client.get(response["Location"]).content.decode()
    new = list(StaticToken.objects.filter(device__user=counterpart).values_list("token", flat=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert all(c in page for c in new)
